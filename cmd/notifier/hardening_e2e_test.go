package main

// End-to-end tests of issue 10's hardening: records dated in the future,
// --at that is empty or not a time, durations and times out of range
// (and a database an older version wrote with one), hostile text in the
// outputs people read, and a config with 100,000 problems.

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runBounded is run, killing the process if it has not exited within two
// minutes: the inputs here used to make notifier spin forever, deaf to
// SIGTERM, and a test must fail rather than leave such a process behind.
// It is a hang detector, not a measure of speed (each run takes well under
// a second).
func (e *env) runBounded(args ...string) (string, string, int) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"--config", e.config}, args...)...)
	cmd.Dir = e.dir
	atTestClock(cmd)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		e.t.Fatalf("notifier %v did not exit within two minutes: killed", args)
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return out.String(), errb.String(), exit.ExitCode()
	} else if err != nil {
		e.t.Fatalf("running notifier %v: %v", args, err)
	}
	return out.String(), errb.String(), 0
}

// refused asserts that a run exited 1 with one line on stderr that holds
// every one of wants, and nothing on stdout.
func refused(t *testing.T, args []string, stdout, stderr string, code int, wants ...string) {
	t.Helper()
	if code != 1 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("notifier %q: exit %d, stdout %q, stderr %q; want exit 1 and one line on stderr", args, code, stdout, stderr)
	}
	for _, w := range wants {
		if !strings.Contains(stderr, w) {
			t.Errorf("notifier %q: stderr %q lacks %q", args, stderr, w)
		}
	}
}

// An acknowledgment or rotation dated after the real clock is refused, on
// one line naming the time and the clock, and nothing is recorded: not the
// ack, not the rotation, not a sync of the config dated then. A real ack
// afterwards is recorded as the first.
func TestEndToEndFutureAckAndRotateRefused(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	e.tick("2026-06-02T00:00:00Z")
	before := e.history()

	for _, args := range [][]string{
		{"ack", "sp-api-prod", "--at", "2099-01-01", "--by", "eve"},
		{"rotate", "sp-api-prod", "--at", "2036-01-01", "--by", "eve"},
	} {
		out, errs, code := e.run(args...)
		refused(t, args, out, errs, code, "--at: "+args[3]+"T00:00:00Z is in the future: the clock says ",
			"a record can be back-dated, never dated ahead")
	}
	if after := e.history(); len(after) != len(before) {
		t.Fatalf("refused records changed the history:\nbefore %+v\nafter  %+v", before, after)
	}
	if st := e.status("2026-06-02T00:00:00Z")["sp-api-prod"]; st.RotatedAt != "2026-06-01T00:00:00Z" || st.Deadline != "2026-11-28T00:00:00Z" || st.Acknowledged {
		t.Errorf("status after refused records: %+v", st)
	}

	start := time.Now().UTC().Truncate(time.Second)
	out := e.ok("ack", "sp-api-prod", "--by", "alice")
	if !strings.Contains(out, "sp-api-prod: acknowledged by alice at ") {
		t.Errorf("real ack: %q", out)
	}
	acks := e.history("--type", "ack")
	if len(acks) != 1 || acks[0].Actor != "alice" {
		t.Fatalf("ack history: %+v", acks)
	}
	if at, err := time.Parse(time.RFC3339, acks[0].Time); err != nil || at.Before(start) || at.After(time.Now()) {
		t.Errorf("the real ack is dated %s, want the clock's time (from %s)", acks[0].Time, start.Format(time.RFC3339))
	}
	out = e.ok("ack", "sp-api-prod", "--by", "bob")
	if !strings.Contains(out, "already acknowledged by alice at "+acks[0].Time) {
		t.Errorf("second real ack: %q", out)
	}
}

// --at given empty, or not a time, or out of range, is an error for every
// command that takes it, before anything is opened.
func TestEndToEndAtMustBeATime(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	commands := [][]string{
		{"tick"}, {"status"}, {"plan"}, {"ack", "sp-api-prod", "--by", "alice"}, {"rotate", "sp-api-prod", "--by", "alice"}, {"check"}, {"test", "ops"},
	}
	for _, cmd := range commands {
		for _, tt := range []struct{ at, want string }{
			{"", "--at: empty; give a time"},
			{"   ", "--at: empty; give a time"},
			{"garbage", `--at: "garbage" is not a time (use 2026-06-01, 2026-06-01T09:30 or RFC 3339)`},
			{"1969-12-31", `--at: "1969-12-31" is before 1970-01-01T00:00:00Z`},
			{"9999-12-31T12:00:00Z", `--at: "9999-12-31T12:00:00Z" is after 9999-12-31T00:00:00Z`},
		} {
			args := append(append([]string{}, cmd...), "--at", tt.at)
			out, errs, code := e.run(args...)
			refused(t, args, out, errs, code, tt.want)
		}
		// --at= is the same empty value.
		args := append(append([]string{}, cmd...), "--at=")
		out, errs, code := e.run(args...)
		refused(t, args, out, errs, code, "--at: empty")
	}
	for _, args := range [][]string{{"history", "--since", ""}, {"history", "--until", "nope"}, {"plan", "--horizon", "36501d"}} {
		out, errs, code := e.run(args...)
		refused(t, args, out, errs, code, args[1]+": ")
	}
	if len(e.hook.take()) != 0 {
		t.Error("a refused command sent something")
	}
	if _, err := os.Stat(filepath.Join(e.dir, "notifier.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused command created the database: %v", err)
	}
}

// The rotation period that made status spin at 100% CPU (and rotate write
// its rotation first) is refused by check and by every command that loads
// the config, naming the key; nothing is written.
func TestEndToEndHugeRotationPeriodRefused(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	e.writeCreds(`  - {id: sp-api-prod, name: SP-API, rotated_at: 2026-06-01, rotation_period: 281474976710656d}
`)
	want := `config.yaml:12: credentials[0].rotation_period: "281474976710656d" is longer than 36500d (100 years)`
	for _, args := range [][]string{
		{"check"}, {"tick", "--at", "2026-11-21T00:00:00Z"}, {"status"}, {"rotate", "sp-api-prod", "--at", "2026-07-01", "--by", "alice"},
	} {
		_, errs, code := e.runBounded(args...)
		if code != 1 || !strings.Contains(errs, want+"\n") || !strings.Contains(errs, "the config has 1 problem(s); nothing was changed") {
			t.Errorf("%v: exit %d, stderr:\n%s\nwant a line %s", args, code, errs, want)
		}
	}
	if _, err := os.Stat(filepath.Join(e.dir, "notifier.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused config created the database: %v", err)
	}
}

// A rotation period that slips through (here, written into the database as
// an older version would have) gives a deadline that saturates just past
// 9999-12-31, and every command finishes at once. The cycle open before
// keeps the deadline it started with (a cycle keeps its terms); the
// rotation starts one with the huge period.
func TestEndToEndHugePeriodFromAnOldDatabase(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	e.tick("2026-06-02T00:00:00Z")
	db, err := sql.Open("sqlite3", filepath.Join(e.dir, "notifier.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE credentials SET rotation_period = '281474976710656d' WHERE id = 'sp-api-prod'`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	for _, args := range [][]string{
		{"status", "--at", "2026-07-01", "--format", "json"}, {"status", "--at", "2026-07-01"},
		{"plan", "--at", "2026-07-01", "--horizon", "36500d"}, {"tick", "--at", "2026-07-01"},
		{"rotate", "sp-api-prod", "--at", "2026-07-01", "--by", "alice"}, {"status", "--at", "2026-07-02", "--format", "json"},
	} {
		out, errs, code := e.runBounded(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errs)
		}
		if args[0] == "status" && args[2] == "2026-07-01" && args[len(args)-1] == "json" && !strings.Contains(out, `"deadline": "2026-11-28T00:00:00Z"`) {
			t.Errorf("%v: the open cycle does not keep its deadline 2026-11-28T00:00:00Z:\n%s", args, out)
		}
		if args[0] == "status" && args[2] == "2026-07-02" && args[len(args)-1] == "json" && !strings.Contains(out, `"deadline": "9999-12-31T01:00:00Z"`) {
			t.Errorf("%v: the deadline does not saturate at 9999-12-31T01:00:00Z:\n%s", args, out)
		}
		if args[0] == "rotate" && !strings.Contains(out, "next deadline 9999-12-31T01:00:00Z (2912262 days)") {
			t.Errorf("%v: %s", args, out)
		}
	}
}

// Control characters, bidirectional overrides and formulas in a note, an
// actor and the config's names are shown escaped in the tables and the
// CSV, and kept exact in the JSON.
func TestEndToEndHostileTextIsNeutralised(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	e.writeCreds(`  - {id: sp-api-prod, name: "SP\e[31m\u202eIPA", owner: "\u2066ops\u2069", rotated_at: 2026-06-01}
`)
	const note = "=HYPERLINK(\"http://evil.example/\",\"click\")\x1b[31m\u202eevil"
	const noteShown = `=HYPERLINK("http://evil.example/","click")\x1b[31m\u202eevil`
	e.tick("2026-11-21T00:00:00Z")
	e.ok("ack", "sp-api-prod", "--at", "2026-11-21T01:00:00Z", "--by", "@alice", "--note", note)

	noRaw := func(what, out string) {
		t.Helper()
		if i := strings.IndexAny(out, "\x1b\u202e\u2066\u2069"); i >= 0 {
			t.Errorf("%s holds a raw control or bidi character at byte %d:\n%q", what, i, out)
		}
	}

	// When the ack was recorded is the wall clock's: as the JSON has it.
	recorded := e.history("--type", "ack")[0].RecordedAt
	table := e.ok("history", "--type", "ack")
	wantTable := "TIME                  RECORDED              TYPE  CREDENTIAL   STAGE  CHANNEL  STATUS  ACTOR   DETAIL\n" +
		"2026-11-21T01:00:00Z  " + recorded + "  ack   sp-api-prod  -      -        cli     @alice  acknowledged via cli: " + noteShown + "\n"
	if table != wantTable {
		t.Errorf("history table:\n%q\nwant\n%q", table, wantTable)
	}
	noRaw("history table", table)

	csvOut := e.ok("history", "--type", "ack", "--format", "csv")
	wantCSV := "time,type,credential,stage,channel,status,actor,detail,recorded_at\n" +
		`2026-11-21T01:00:00Z,ack,sp-api-prod,,,cli,'@alice,"acknowledged via cli: =HYPERLINK(""http://evil.example/"",""click"")\x1b[31m\u202eevil",` + recorded + "\n"
	if csvOut != wantCSV {
		t.Errorf("history csv:\n%q\nwant\n%q", csvOut, wantCSV)
	}
	noRaw("history csv", csvOut)

	rows := e.history("--type", "ack")
	if len(rows) != 1 || rows[0].Detail != "acknowledged via cli: "+note || rows[0].Actor != "@alice" {
		t.Errorf("history json is not the exact record: %+v", rows)
	}

	status := e.ok("status", "--at", "2026-11-21T02:00:00Z")
	for _, want := range []string{`SP\x1b[31m\u202eIPA`, `\u2066ops\u2069`, "@alice"} {
		if !strings.Contains(status, want) {
			t.Errorf("status table lacks %q:\n%s", want, status)
		}
	}
	noRaw("status table", status)
	if st := e.status("2026-11-21T02:00:00Z")["sp-api-prod"]; st.Name != "SP\x1b[31m\u202eIPA" || st.Owner != "\u2066ops\u2069" {
		t.Errorf("status json is not exact: %+v", st)
	}
}

// A config with 100,000 problems prints the first 100, then how many more:
// at most 102 lines.
func TestEndToEndManyProblemsAreCut(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	var b strings.Builder
	for i := range 100_000 {
		fmt.Fprintf(&b, "  - {id: c%d, rotated_at: nope}\n", i)
	}
	e.writeCreds(b.String())
	for _, args := range [][]string{{"check"}, {"tick", "--at", "2026-11-21T00:00:00Z"}} {
		out, errs, code := e.runBounded(args...)
		lines := strings.Split(strings.TrimSuffix(errs, "\n"), "\n")
		if code != 1 || out != "" || len(lines) != MaxProblemsShown+2 {
			t.Fatalf("%v: exit %d, %d lines of stderr, want 1 and %d", args, code, len(lines), MaxProblemsShown+2)
		}
		if got, want := lines[0], `config.yaml:12: credentials[0].rotated_at: "nope" is not a time (use 2026-06-01, 2026-06-01T09:30 or RFC 3339)`; got != want {
			t.Errorf("%v: first line %q, want %q", args, got, want)
		}
		if got, want := lines[MaxProblemsShown], "... and 99900 more"; got != want {
			t.Errorf("%v: line %d %q, want %q", args, MaxProblemsShown+1, got, want)
		}
		if got, want := lines[MaxProblemsShown+1], "notifier: the config has 100000 problem(s); nothing was changed"; got != want {
			t.Errorf("%v: last line %q, want %q", args, got, want)
		}
	}
}
