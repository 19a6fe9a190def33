package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// status streams its rows and takes the view filters (--owner, --state,
// --policy, --due-within, --credential, --limit), applied in the query.

// filterCreds are, at filterNow: sp-api-prod and pay_1 overdue, payx1 due
// (the 30d stage), tok-ok ok, old-db inactive (removed from the config).
const filterCreds = `  - {id: sp-api-prod, name: "SP-API production", owner: integrations, rotated_at: 2026-06-01}
  - {id: pay_1, name: "Payments one", owner: payments, rotated_at: 2026-11-01, rotation_period: 30d, policy: strict}
  - {id: payx1, name: "Payments x", owner: payments, rotated_at: 2026-10-01, rotation_period: 90d}
  - {id: tok-ok, name: "A token", owner: payments, rotated_at: 2026-12-01}
`

const filterNow = "2026-12-05T00:00:00Z"

// filterEnv is a config with two policies and filterCreds synced at
// filterNow, old-db synced before and removed since.
func filterEnv(t *testing.T) *env {
	e := newEnv(t, "2026-06-01")
	config := func(creds string) string {
		body := fmt.Sprintf(baseConfig, e.hook.srv.URL+"/hook", creds)
		return strings.Replace(body, "channels:\n  ops:", "  strict:\n    - {before: 10d, channels: [ops]}\nchannels:\n  ops:", 1)
	}
	e.writeConfig(config(filterCreds + "  - {id: old-db, name: \"Old database\", owner: data, rotated_at: 2026-11-15, rotation_period: 365d}\n"))
	e.okAt("2026-12-01T00:00:00Z", "tick", "--at", "2026-12-01T00:00:00Z")
	e.writeConfig(config(filterCreds))
	e.okAt(filterNow, "tick", "--at", filterNow)
	return e
}

// statusIDs runs status -o jsonl with args at filterNow and returns the
// ids of its rows, in order.
func statusIDs(t *testing.T, e *env, args ...string) []string {
	t.Helper()
	out := e.okAt(filterNow, append([]string{"status", "-o", "jsonl"}, args...)...)
	ids := []string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var r statusRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("status %v: line %q: %v", args, line, err)
		}
		ids = append(ids, r.ID)
	}
	return ids
}

func TestStatusFilters(t *testing.T) {
	e := filterEnv(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "old-db pay_1 payx1 sp-api-prod tok-ok"},
		{[]string{"--owner", "payments"}, "pay_1 payx1 tok-ok"},
		{[]string{"--state", "overdue"}, "pay_1 sp-api-prod"},
		{[]string{"--state", "due"}, "payx1"},
		{[]string{"--state", "ok"}, "tok-ok"},
		{[]string{"--state", "inactive"}, "old-db"},
		{[]string{"--policy", "strict"}, "pay_1"},
		{[]string{"--due-within", "30d"}, "pay_1 payx1 sp-api-prod"},
		{[]string{"--due-within", "1d", "--state", "ok"}, ""},
		{[]string{"--credential", "pay_1"}, "pay_1"}, // _ is no wildcard
		{[]string{"--credential", "pay?1"}, "pay_1 payx1"},
		{[]string{"--credential", "pay[x]*"}, "payx1"},
		{[]string{"--credential", "*-*"}, "old-db sp-api-prod tok-ok"},
		{[]string{"--limit", "2"}, "old-db pay_1"},
		{[]string{"--owner", "payments", "--state", "overdue"}, "pay_1"},
		{[]string{"--owner", "payments", "--due-within", "30d", "--credential", "pay*"}, "pay_1 payx1"},
		{[]string{"--owner", "payments", "--due-within", "30d", "--credential", "pay*", "--limit", "1"}, "pay_1"},
		{[]string{"--state", "due", "--limit", "1"}, "payx1"},
	} {
		if got := strings.Join(statusIDs(t, e, c.args...), " "); got != c.want {
			t.Errorf("status %v: %q, want %q", c.args, got, c.want)
		}
	}

	// The same rows in every format: one JSON array, and a table.
	var rows []statusRow
	if out := e.okAt(filterNow, "status", "-o", "json", "--owner", "payments"); json.Unmarshal([]byte(out), &rows) != nil {
		t.Fatalf("status -o json: %s", out)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.ID+" "+r.State)
	}
	if want := "pay_1 overdue, payx1 due, tok-ok ok"; strings.Join(got, ", ") != want {
		t.Errorf("status -o json --owner payments: %q, want %q", strings.Join(got, ", "), want)
	}
	if out := e.okAt(filterNow, "status", "-o", "json", "--owner", "nobody"); out != "[]\n" {
		t.Errorf("status -o json with no row: %q, want []", out)
	}
	table := e.okAt(filterNow, "status", "--state", "overdue")
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID ") || !strings.HasPrefix(lines[1], "pay_1 ") || !strings.HasPrefix(lines[2], "sp-api-prod ") {
		t.Errorf("status --state overdue (table):\n%s", table)
	}
	// Columns line up: STATE starts at the same place on every line.
	col := strings.Index(lines[0], "STATE")
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l[col:], "overdue ") {
			t.Errorf("STATE column at %d, line %q", col, l)
		}
	}

	// --fail-on counts what the filters keep, as the rows stream by.
	out, errs, code := e.at(filterNow, "status", "-o", "jsonl", "--owner", "payments", "--fail-on", "overdue")
	if code != ExitFailOn || strings.TrimSpace(errs) != "notifier: 1 credential(s) overdue (--fail-on overdue): pay_1" || strings.Count(out, "\n") != 3 {
		t.Errorf("status --owner payments --fail-on overdue: exit %d, stderr %q, %d rows", code, errs, strings.Count(out, "\n"))
	}
	if _, errs, code := e.at(filterNow, "status", "--owner", "payments", "--state", "ok", "--fail-on", "due"); code != 0 {
		t.Errorf("status --state ok --fail-on due: exit %d (%s)", code, errs)
	}
	// --fail-on with --limit: the verdict would see only the first rows
	// (an overdue credential past them would exit 0), so it is refused.
	if _, errs, code := e.at(filterNow, "status", "--owner", "payments", "--fail-on", "overdue", "--limit", "1"); code != 1 || !strings.Contains(errs, "--limit would hide some") {
		t.Errorf("status --fail-on overdue --limit 1: exit %d, stderr %q; want refused in one line", code, errs)
	}
	// A bad value is one line naming its flag.
	for _, args := range [][]string{{"-o", "xml"}, {"--state", "late"}, {"--credential", "pay["}, {"--due-within", "soon"}, {"--limit", "-1"}} {
		_, errs, code := e.at(filterNow, append([]string{"status"}, args...)...)
		if code != 1 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, args[0]) {
			t.Errorf("status %v: exit %d, stderr %q, want one line naming %s", args, code, errs, args[0])
		}
	}
}

// TestStatusStreamsItsFirstRow reads the first row of status -o jsonl
// from the binary's stdout pipe, then stops reading: the process cannot
// finish its output (far more than a pipe holds) and is still running,
// so the row came while the command was at work, not after it.
func TestStatusStreamsItsFirstRow(t *testing.T) {
	const n = 3000 // about 800 KB of JSON Lines; a pipe holds 64 KB
	e := newEnv(t, "2026-06-01")
	var creds strings.Builder
	for i := range n {
		fmt.Fprintf(&creds, "  - {id: c%05d, name: \"Credential %d\", owner: team-%d, rotated_at: 2026-06-01}\n", i, i, i%7)
	}
	e.writeCreds(creds.String())
	e.okAt(filterNow, "tick", "--at", filterNow)

	cmd := exec.Command(binary, "--config", e.config, "status", "-o", "jsonl")
	cmd.Dir, cmd.Env = e.dir, append(os.Environ(), testNowEnv+"="+filterNow)
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
		t.Fatalf("first line: %v", err)
	}
	var row statusRow
	if err := json.Unmarshal([]byte(first), &row); err != nil || row.ID != "c00000" || row.State != "overdue" {
		t.Fatalf("first line %q (%v), want c00000 overdue", first, err)
	}
	if state := procState(t, cmd.Process.Pid); state == "Z" || state == "" {
		t.Fatalf("status had exited (state %q) when its first row was read", state)
	}
	rest := 1
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			break
		}
		if rest++; !strings.HasPrefix(line, `{"id":"c`) {
			t.Fatalf("line %d: %q", rest, line)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("status: %v", err)
	}
	if rest != n {
		t.Errorf("%d rows, want %d", rest, n)
	}
}

// procState is a process's state letter from /proc (R, S, Z...), "" when
// it is gone.
func procState(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// pid (comm) state ...: comm may hold spaces, the state follows its ')'.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndex(s, ")")+1:])
	if len(fields) == 0 {
		t.Fatalf("/proc/%d/stat: %q", pid, s)
	}
	return fields[0]
}
