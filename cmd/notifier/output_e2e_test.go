package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/notifier-dev/notifier/internal/domain"
)

// noData are the commands that print no data a script would read, and so
// take no -o: the daemon (logs only), groups of subcommands, help and the
// shell completion scripts. Every other command that runs must have an
// output flag.
var noData = map[string]string{
	"notifier run":        "the daemon: logs on stderr, no data",
	"notifier completion": "prints a shell script",
	"notifier help":       "help text",
	"notifier calendar":   "prints one format, an iCalendar for calendar apps (the same data is in status -o json)",
}

// TestEveryPrintingCommandHasOutput walks the command tree: a command
// that runs and prints data has -o/--output with json among its values.
func TestEveryPrintingCommandHasOutput(t *testing.T) {
	root := (&cli{stdout: os.Stdout, stderr: os.Stderr}).root()
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var walk func(*cobra.Command)
	seen := 0
	walk = func(cmd *cobra.Command) {
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
		path := cmd.CommandPath()
		if !cmd.Runnable() || cmd.Hidden || strings.HasPrefix(path, "notifier completion ") {
			return
		}
		if _, ok := noData[path]; ok {
			return
		}
		seen++
		f := cmd.Flags().Lookup("output")
		if f == nil || f.Shorthand != "o" {
			t.Errorf("%s prints data but has no -o/--output (or add it to noData, saying why)", path)
			return
		}
		if !strings.Contains(f.Usage, "json") {
			t.Errorf("%s: -o does not offer json: %q", path, f.Usage)
		}
	}
	walk(root)
	if seen < 13 {
		t.Errorf("only %d commands checked; the walk lost the tree", seen)
	}
}

// jsonOut parses out as one JSON object and checks that it has every key.
func jsonOut(t *testing.T, what, out string, keys ...string) map[string]any {
	t.Helper()
	var got map[string]any
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("%s -o json: not a JSON object: %v\n%s", what, err, out)
	}
	if dec.More() {
		t.Fatalf("%s -o json: more than one JSON value on stdout:\n%s", what, out)
	}
	for _, k := range keys {
		if _, ok := got[k]; !ok {
			t.Errorf("%s -o json: no %q in %s", what, k, out)
		}
	}
	return got
}

// TestOutputJSON runs every command that prints data with -o json, in a
// user's order, and reads back the facts its text says.
func TestOutputJSON(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	const now = "2026-11-22T09:00:00Z" // the 7d stage is due
	backup := filepath.Join(e.dir, "backup.db")
	copied := filepath.Join(e.dir, "copy.db")
	for _, tc := range []struct {
		args  []string
		keys  []string
		check func(t *testing.T, got map[string]any)
	}{
		{[]string{"check"}, []string{"config", "ok", "database", "credentials", "channels", "policies", "warnings"}, func(t *testing.T, got map[string]any) {
			if got["ok"] != true || got["credentials"] != float64(1) || !strings.HasSuffix(got["database"].(string), "/notifier.db") {
				t.Errorf("check: %v", got)
			}
			if ch, _ := got["channels"].(map[string]any); ch["ops"] != "webhook" {
				t.Errorf("check channels: %v", got["channels"])
			}
		}},
		{[]string{"migrate"}, []string{"database", "migrations"}, func(t *testing.T, got map[string]any) {
			if ms, _ := got["migrations"].([]any); len(ms) == 0 {
				t.Errorf("migrate: no migrations: %v", got)
			}
		}},
		{[]string{"tick", "--dry-run"}, nil, nil}, // an array: checked below
		{[]string{"tick"}, []string{"at", "outcomes", "sent", "skipped", "retrying", "failed"}, func(t *testing.T, got map[string]any) {
			// The first tick: the 30d stage was missed, the 7d one sent.
			outs, _ := got["outcomes"].([]any)
			if got["sent"] != float64(1) || got["skipped"] != float64(1) || len(outs) != 2 {
				t.Fatalf("tick: %v", got)
			}
			for i, stage := range []string{"30d", "7d"} {
				o := outs[i].(map[string]any)
				status := []string{domain.StatusSkipped, domain.StatusSent}[i]
				if o["credential"] != "sp-api-prod" || o["stage"] != stage || o["channel"] != "ops" || o["status"] != status {
					t.Errorf("tick outcome %d: %v; want %s %s", i, o, stage, status)
				}
			}
		}},
		{[]string{"ack", "sp-api-prod", "--by", "alice", "--note", "on it", "--at", now}, []string{"credential", "cycle", "acked_at", "recorded_at", "actor", "note", "already_acknowledged"}, func(t *testing.T, got map[string]any) {
			if got["credential"] != "sp-api-prod" || got["actor"] != "alice" || got["note"] != "on it" || got["acked_at"] != now ||
				!strings.HasPrefix(got["recorded_at"].(string), "2026-11-22T09:0") || got["already_acknowledged"] != false || got["cycle"] != "2026-06-01T00:00:00Z" {
				t.Errorf("ack: %v", got)
			}
		}},
		{[]string{"retract", "ack", "sp-api-prod", "--actor", "alice", "--reason", "not seen", "--at", now}, []string{"credential", "kind", "target_id", "target_at", "retraction_id", "actor", "reason"}, func(t *testing.T, got map[string]any) {
			if got["kind"] != "acknowledgment" || got["target_at"] != now || got["reason"] != "not seen" {
				t.Errorf("retract ack: %v", got)
			}
		}},
		{[]string{"rotate", "sp-api-prod", "--by", "alice", "--at", now}, []string{"credential", "rotated_at", "actor", "note", "deadline", "days_remaining"}, func(t *testing.T, got map[string]any) {
			if got["rotated_at"] != now || got["deadline"] != "2027-05-21T09:00:00Z" || got["days_remaining"] != float64(180) {
				t.Errorf("rotate: %v", got)
			}
		}},
		{[]string{"retract", "rotation", "sp-api-prod", "--actor", "alice", "--reason", "wrong one", "--at", now}, []string{"credential", "kind", "target_id", "target_at", "retraction_id", "cycle", "deadline", "days_remaining"}, func(t *testing.T, got map[string]any) {
			if got["kind"] != "rotation" || got["target_at"] != now || got["cycle"] != "2026-06-01T00:00:00Z" || got["deadline"] != "2026-11-28T00:00:00Z" || got["days_remaining"] != float64(6) {
				t.Errorf("retract rotation: %v", got)
			}
		}},
		{[]string{"test", "ops"}, []string{"channel", "type", "subject", "sent"}, func(t *testing.T, got map[string]any) {
			if got["channel"] != "ops" || got["type"] != "webhook" || got["sent"] != true || got["subject"] == "" {
				t.Errorf("test: %v", got)
			}
		}},
		{[]string{"verify"}, []string{"database", "ok", "rows", "first_event", "last_event", "head", "problem"}, func(t *testing.T, got map[string]any) {
			if got["ok"] != true || got["rows"].(float64) < 5 || len(got["head"].(string)) != 64 || got["problem"] != nil {
				t.Errorf("verify: %v", got)
			}
		}},
		{[]string{"backup", backup}, []string{"path", "database", "bytes", "integrity_check"}, func(t *testing.T, got map[string]any) {
			if got["path"] != backup || got["bytes"].(float64) <= 0 || got["integrity_check"] != "ok" {
				t.Errorf("backup: %v", got)
			}
		}},
		{[]string{"copy-db", "--to", copied}, []string{"from", "to", "copied", "chain"}, func(t *testing.T, got map[string]any) {
			counts, _ := got["copied"].(map[string]any)
			chain, _ := got["chain"].(map[string]any)
			if counts["credentials"] != float64(1) || counts["rotations"] != float64(2) || chain["ok"] != true {
				t.Errorf("copy-db: %v", got)
			}
		}},
		{[]string{"version"}, []string{"version", "commit", "date", "go"}, nil},
	} {
		name := strings.Join(tc.args[:min(2, len(tc.args))], " ")
		out := e.okAt(now, append(tc.args, "-o", "json")...)
		if slices.Contains(tc.args, "--dry-run") {
			var rows []map[string]any
			if err := json.Unmarshal([]byte(out), &rows); err != nil {
				t.Fatalf("tick --dry-run -o json: %v\n%s", err, out)
			}
			continue
		}
		got := jsonOut(t, name, out, tc.keys...)
		if tc.check != nil {
			tc.check(t, got)
		}
	}
	// The tick's reminder, then the test message; nothing else was sent.
	if got := e.hook.take(); len(got) != 2 || got[0].Stage != "7d" || !got[1].Test || got[0].Test {
		t.Errorf("the webhook received %+v; want the 7d reminder and the test message", got)
	}
}

// check -o json on a config with problems prints its verdict: ok false
// and every problem with its file:line, as well as the lines on stderr.
func TestCheckOutputJSONProblems(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	e.writeCreds("  - {id: sp-api-prod, rotated_at: 2026-13-01}\n  - {id: other, rotated_at: 2026-06-01, policy: nosuch}\n")
	out, errs, code := e.run("check", "-o", "json")
	if code != 1 || !strings.Contains(errs, "the config has 2 problem(s)") {
		t.Fatalf("check -o json on a bad config: exit %d\n%s", code, errs)
	}
	got := jsonOut(t, "check", out, "config", "ok", "problems")
	ps, _ := got["problems"].([]any)
	if got["ok"] != false || len(ps) != 2 {
		t.Fatalf("check -o json: %v", got)
	}
	for _, p := range ps {
		p := p.(map[string]any)
		if p["file"] != "config.yaml" || p["line"].(float64) < 12 || p["severity"] != "error" || p["message"] == "" {
			t.Errorf("check -o json problem: %v", p)
		}
	}
}

// A command that fails with -o json prints its one-line error on stderr
// and no JSON error object: stdout holds data, or nothing.
func TestOutputJSONErrorsStayOnStderr(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	for _, args := range [][]string{
		{"ack", "nobody", "--by", "alice"},
		{"rotate", "nobody", "--by", "alice"},
		{"test", "nochannel"},
		{"verify", "--db", filepath.Join(e.dir, "absent.db")},
		{"check", "--at", "yesterday"},
	} {
		out, errs, code := e.at("2026-11-22T09:00:00Z", append(args, "-o", "json", "--log-level", "warn")...)
		if code != 1 || out != "" {
			t.Errorf("%v -o json: exit %d, stdout %q", args, code, out)
		}
		oneLine(t, fmt.Sprint(args), errs, "notifier: ")
	}
	if _, errs, code := e.run("ack", "sp-api-prod", "--by", "alice", "-o", "yaml"); code != 1 {
		t.Errorf("ack -o yaml: exit %d", code)
	} else {
		oneLine(t, "ack -o yaml", errs, `--output: "yaml" is not one of text, json`)
	}
}
