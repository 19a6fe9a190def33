package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// historyFleet is three credentials of two owners, one with a long name.
const historyFleet = `  - {id: sp-api-prod, name: "SP-API production (LWA client secret)", owner: integrations, rotated_at: 2026-06-01}
  - {id: sp-api-eu, name: "SP-API Europe, the marketplace of every EU country, a long name", owner: integrations, rotated_at: 2026-06-01}
  - {id: vendor-sftp, name: "Vendor SFTP", owner: vendors, rotated_at: 2026-06-01}
`

// rowsOf is each row's "type credential" of history JSON.
func rowsOf(rows []historyJSON) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, r.Type+" "+r.Credential)
	}
	return out
}

// TestHistoryFilters: --credential takes a glob (an id matches itself),
// --owner and --limit cut the history, every filter combines with the
// others and with --type, -o takes jsonl, and --format stays a synonym
// of -o.
func TestHistoryFilters(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	e.writeCreds(historyFleet)
	e.ok("tick", "--at", "2026-06-02T09:00:00Z")
	e.ok("ack", "sp-api-eu", "--by", "alice", "--at", "2026-06-02T09:00:00Z")
	all := e.history()
	if len(all) < 7 {
		t.Fatalf("history: %v, want 3 rotations, 3 credentials added and an ack", rowsOf(all))
	}
	// only keeps the rows of all that keep says yes to, in order.
	only := func(keep func(r historyJSON) bool) []string {
		var out []historyJSON
		for _, r := range all {
			if keep(r) {
				out = append(out, r)
			}
		}
		return rowsOf(out)
	}
	spAPI := func(r historyJSON) bool { return strings.HasPrefix(r.Credential, "sp-api-") }
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--credential", "sp-api-*"}, only(spAPI)},
		{[]string{"--credential", "sp-api-prod"}, only(func(r historyJSON) bool { return r.Credential == "sp-api-prod" })},
		{[]string{"--credential", "sp-api"}, nil}, // no wildcard: the whole id
		{[]string{"--credential", "*-[ep]?*", "--type", "rotation"}, only(func(r historyJSON) bool { return spAPI(r) && r.Type == "rotation" })},
		{[]string{"--owner", "vendors"}, only(func(r historyJSON) bool { return r.Credential == "vendor-sftp" })},
		{[]string{"--limit", "2"}, rowsOf(all[:2])},
		{[]string{"--credential", "*", "--owner", "integrations", "--type", "ack", "--limit", "5"}, []string{"ack sp-api-eu"}},
		{[]string{"--credential", "sp-*", "--owner", "integrations", "--limit", "3"}, only(spAPI)[:3]},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			if got := rowsOf(e.history(tc.args...)); !slices.Equal(got, tc.want) && len(got)+len(tc.want) > 0 {
				t.Errorf("history %v:\n got %v\nwant %v", tc.args, got, tc.want)
			}
			// JSON Lines: the same rows, one object a line.
			var rows []historyJSON
			for _, line := range strings.Split(strings.TrimSuffix(e.ok(append([]string{"history", "-o", "jsonl"}, tc.args...)...), "\n"), "\n") {
				if line == "" {
					continue
				}
				var r historyJSON
				if err := json.Unmarshal([]byte(line), &r); err != nil {
					t.Fatalf("history -o jsonl line %q: %v", line, err)
				}
				rows = append(rows, r)
			}
			if got := rowsOf(rows); !slices.Equal(got, tc.want) && len(got)+len(tc.want) > 0 {
				t.Errorf("history -o jsonl %v:\n got %v\nwant %v", tc.args, got, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--credential", "[a-"}, `--credential: "[a-" is not a valid pattern (use *, ? and [a-z])`},
		{[]string{"--limit", "-1"}, "--limit: -1 is negative"},
		{[]string{"-o", "yaml"}, `--output: "yaml" is not one of table, json, jsonl, csv`},
	} {
		if _, errs, code := e.run(append([]string{"history"}, tc.args...)...); code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("history %v: exit %d, stderr %q; want an error saying %q", tc.args, code, errs, tc.want)
		}
	}
}

// TestHistoryTableFitsTheTerminal: with COLUMNS the table's lines fit it,
// long text cut with "…"; the CSV of the same rows is whole.
func TestHistoryTableFitsTheTerminal(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	e.writeCreds(historyFleet)
	e.ok("tick", "--at", "2026-06-02T09:00:00Z")
	table, errs, code := e.runWithEnv(append(os.Environ(), "COLUMNS=100"), "history", "--type", "credential")
	if code != 0 {
		t.Fatalf("history: exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "TIME") {
		t.Fatalf("history table:\n%s\nwant the header and 3 credentials", table)
	}
	cut := false
	for _, l := range lines {
		if n := utf8.RuneCountInString(l); n > 100 {
			t.Errorf("history table line of %d characters, COLUMNS=100: %q", n, l)
		}
		cut = cut || strings.HasSuffix(l, "…")
	}
	if !cut || !strings.Contains(lines[1], "2026-06-02T09:00:00Z") {
		t.Errorf("history table at COLUMNS=100: no detail cut with …, or no time:\n%s", table)
	}
	csvOut := e.ok("history", "--type", "credential", "-o", "csv")
	if !strings.Contains(csvOut, "a long name") {
		t.Errorf("history csv cut the detail:\n%s", csvOut)
	}
}

// TestHistoryStreams: the first line of `history -o jsonl` is read from
// the binary's stdout while the command is still running: its output is
// far larger than the pipe and its buffer, so it cannot have finished
// before anyone read; the process is seen alive (not a zombie) after the
// first line, and the rest arrives whole.
func TestHistoryStreams(t *testing.T) {
	const n = 3000 // 6000 events, over 1 MB of JSON Lines
	e := newEnv(t, "2026-06-01")
	var creds strings.Builder
	for i := range n {
		fmt.Fprintf(&creds, "  - {id: cred-%05d, name: \"Credential %d\", owner: team-%d, rotated_at: 2026-06-01}\n", i, i, i%7)
	}
	e.writeCreds(creds.String())
	e.ok("tick", "--at", "2026-06-02T09:00:00Z")

	cmd := exec.Command(binary, "--config", e.config, "history", "-o", "jsonl")
	cmd.Dir = e.dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(stdout)
	first, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the first line: %v", err)
	}
	if state := procState(t, cmd.Process.Pid); state == "Z" || state == "" {
		t.Errorf("history had exited (state %q) before its first line was read: it does not stream", state)
	}
	var row historyJSON
	if err := json.Unmarshal([]byte(first), &row); err != nil || row.Type != "rotation" || row.Credential == "" {
		t.Errorf("first line %q (%v): want the first rotation", first, err)
	}
	lines := 1
	for {
		if _, err := r.ReadString('\n'); err != nil {
			break
		}
		lines++
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("history -o jsonl: %v", err)
	}
	if lines != 2*n {
		t.Errorf("history -o jsonl printed %d lines, want %d (a rotation and an addition per credential)", lines, 2*n)
	}
}
