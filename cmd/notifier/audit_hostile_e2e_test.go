package main

// The auditors' commands under hostile conditions: mistyped flags, no
// database, an empty one, one that needs migrating, a copy read with
// --db, backups over an existing file or into a folder that cannot hold
// one.

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestEndToEndReportRefusesBadInput(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	db := filepath.Join(e.dir, "notifier.db")
	// Before any database exists: refused, and none is created.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report"}, "notifier.db: no such database yet (`notifier run --init` or `notifier migrate` creates it)"},
		{[]string{"history"}, "notifier.db: no such database"},
		{[]string{"status"}, "notifier.db: no such database"},
		{[]string{"backup", filepath.Join(e.dir, "b.db")}, "notifier.db: no such database"},
		{[]string{"report", "--format", "xml"}, `--format: "xml" is not one of table, json, csv, html`},
		{[]string{"report", "--since", "last tuesday"}, `--since: "last tuesday" is not a time`},
		{[]string{"report", "--since", ""}, "--since: "},
		{[]string{"report", "--until", "2026-13-01"}, "--until: "},
		{[]string{"report", "--at", "soon"}, `--at: "soon" is not a time`},
		{[]string{"report", "--db", ""}, "--db: empty"},
		{[]string{"report", "--db", filepath.Join(e.dir, "copy.db")}, "copy.db: no such database"},
		{[]string{"report", "--colour"}, "unknown flag: --colour"},
		{[]string{"backup"}, "accepts 1 arg(s), received 0"},
	} {
		out, errs, code := e.run(tc.args...)
		refused(t, tc.args, out, errs, code, tc.want)
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused command created the database: %v", err)
	}

	// An empty database: a report of nothing, in every format.
	e.ok("migrate")
	doc := e.reportJSON()
	if doc.Cycles == nil || len(doc.Cycles) != 0 || doc.Summary["cycles"] != 0 || doc.Summary["credentials"] != 0 || doc.Summary["back_dated"] != 0 || doc.Summary["retractions"] != 0 || len(doc.Summary) != 8 {
		t.Errorf("report of an empty database: %+v", doc)
	}
	if out := e.ok("report"); !strings.Contains(out, "0 credentials, 0 cycles") || !strings.Contains(out, "no cycles in the window") {
		t.Errorf("table of an empty database:\n%s", out)
	}
	if out := e.ok("report", "--format", "csv"); strings.Count(out, "\n") != 1 {
		t.Errorf("csv of an empty database is not its header alone:\n%s", out)
	}
	if out := e.ok("report", "--format", "html"); !strings.Contains(out, "No cycles in the window.") || !strings.HasSuffix(out, "</html>\n") {
		t.Errorf("html of an empty database:\n%s", out)
	}

	e.tick("2026-06-02T00:00:00Z")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "--credential", "sp-api-prdo"}, `unknown credential "sp-api-prdo"`},
		{[]string{"report", "--since", "2026-07-01", "--until", "2026-06-01"}, "--since 2026-07-01 is not before --until 2026-06-01: the window is empty"},
	} {
		out, errs, code := e.run(tc.args...)
		refused(t, tc.args, out, errs, code, tc.want)
	}

	// A database a newer binary would migrate: readers do not migrate it,
	// and say what to do.
	sqlDB, err := sql.Open("sqlite3", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlDB.Exec(`DELETE FROM schema_migrations WHERE version = 4; DROP VIEW audit_rotations; DROP VIEW audit_acknowledgments;
		DROP VIEW audit_deliveries; DROP VIEW audit_events; DROP VIEW audit_cycles; DROP INDEX acknowledgments_credential`); err != nil {
		t.Fatal(err)
	}
	sqlDB.Close()
	for _, args := range [][]string{{"report"}, {"history"}, {"status"}} {
		out, errs, code := e.run(args...)
		refused(t, args, out, errs, code, "lacks 0004_audit_views; run `notifier migrate` (or start the daemon) on it first")
	}
	e.ok("migrate")
	e.ok("report")
}

// A backup is a consistent, verified copy that reads back as the original;
// it never overwrites without --force and never leaves half a file.
func TestEndToEndBackup(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	e.tick("2026-11-21T00:00:00Z")
	e.ok("ack", "sp-api-prod", "--at", "2026-11-21T01:00:00Z", "--by", "alice")
	dest := filepath.Join(e.dir, "backups", "notifier-2026-11-21.db")
	if err := os.Mkdir(filepath.Dir(dest), 0o700); err != nil {
		t.Fatal(err)
	}
	out := e.ok("backup", dest)
	if !strings.Contains(out, "written and verified (integrity_check ok)") {
		t.Errorf("backup output: %s", out)
	}
	// The copy reads back (with --db, without its config) as the original does.
	want := e.ok("report", "--format", "json", "--at", "2026-11-22")
	got, errs, code := runBare(t, "report", "--format", "json", "--at", "2026-11-22", "--db", dest)
	if code != 0 || strings.ReplaceAll(got, dest, "") != strings.ReplaceAll(want, filepath.Join(e.dir, "notifier.db"), "") {
		t.Errorf("report of the copy (exit %d, %s):\n%s\nwant\n%s", code, errs, got, want)
	}
	if got, _, _ := runBare(t, "history", "--db", dest, "--type", "ack"); !strings.Contains(got, "alice") {
		t.Errorf("history of the copy:\n%s", got)
	}
	before, err := os.ReadFile(dest)
	if err != nil {
		t.Fatal(err)
	}

	// Refused: an existing file without --force (left as it was), a folder
	// that does not exist, a parent that is a file, the database itself.
	blocker := filepath.Join(e.dir, "a-file")
	os.WriteFile(blocker, []byte("x"), 0o600)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"backup", dest}, "already exists; give --force to replace it"},
		{[]string{"backup", filepath.Join(e.dir, "nope", "b.db")}, "no such file or directory"},
		{[]string{"backup", filepath.Join(blocker, "b.db")}, "not a directory"},
		{[]string{"backup", filepath.Join(e.dir, "notifier.db")}, "is the database itself"},
		{[]string{"backup", filepath.Dir(dest), "--force"}, "exists and is not a regular file"},
	} {
		out, errs, code := e.run(tc.args...)
		refused(t, tc.args, out, errs, code, tc.want)
	}
	if after, _ := os.ReadFile(dest); string(after) != string(before) {
		t.Error("a refused backup changed the existing copy")
	}
	// --force replaces it, with the newer state.
	e.ok("rotate", "sp-api-prod", "--at", "2026-11-22T00:00:00Z", "--by", "bob")
	e.ok("backup", dest, "--force")
	if got, _, _ := runBare(t, "history", "--db", dest, "--type", "rotation"); !strings.Contains(got, "bob") {
		t.Errorf("the forced backup lacks the newer rotation:\n%s", got)
	}
	// Nothing half-written is left beside the copies.
	entries, _ := os.ReadDir(filepath.Dir(dest))
	if len(entries) != 1 {
		var names []string
		for _, en := range entries {
			names = append(names, en.Name())
		}
		t.Errorf("backup folder holds %v, want the one copy", names)
	}
	if st, err := os.Stat(dest); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("backup file mode: %v %v, want 0600", st.Mode(), err)
	}
}

// runBare runs the binary as an auditor with only a database file would:
// in an empty folder, without --config.
func runBare(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return runIn(t, t.TempDir(), nil, args...)
}

// While `notifier run` sends a burst of reminders (each sent one a write),
// report, history, status and backup run beside it: every one succeeds,
// none says "database is locked", and successive reports never see fewer
// reminders sent.
func TestEndToEndReadersBesideTheDaemon(t *testing.T) {
	sink := newKeySink(t, 20*time.Millisecond, false) // 1000 at 10 at once: about 2 s of writes
	const n = 1000
	// Rotated 175 days ago: the 7d reminder of every credential is due at start.
	dir, config := fleetEnv(t, n, sink.srv.URL, "@hourly", time.Now().UTC().Add(-175*24*time.Hour).Format(time.RFC3339))
	e := &env{t: t, dir: dir, config: config}
	e.ok("migrate")
	// Not waiting for "notifier running": it is logged after the first
	// tick, which is the burst.
	startDaemon(t, dir, config)
	last, rounds := -1, 0
	for sent := 0; sent < n; rounds++ {
		doc := e.reportJSON()
		sent = 0
		for _, c := range doc.Cycles {
			for _, r := range c.Reminders {
				if r.Status == "sent" {
					sent++
				}
			}
		}
		if sent < last {
			t.Fatalf("a report saw %d reminders sent after one saw %d", sent, last)
		}
		last = sent
		for _, args := range [][]string{{"history", "--type", "reminder", "--format", "csv"}, {"status", "--format", "json"},
			{"backup", filepath.Join(dir, "backup.db"), "--force"}} {
			out, errs, code := e.run(args...)
			if code != 0 || strings.Contains(errs, "locked") || out == "" {
				t.Fatalf("%v beside the daemon: exit %d, stderr %q", args, code, errs)
			}
		}
		if rounds > 2000 {
			t.Fatalf("the daemon sent %d of %d reminders", sent, n)
		}
	}
	if keys, _ := sink.counts(); keys != n {
		t.Errorf("the sink received %d reminders, want %d", keys, n)
	}
	if rounds < 2 {
		t.Errorf("the daemon had sent everything by the first report: the reads did not overlap the writes")
	}
	t.Logf("%d rounds of report, history, status and backup beside the daemon", rounds)
}

// A copy read without its config shows times in the zone the daemon
// recorded, and counts deadlines in it, as the config would.
func TestEndToEndCopyReadInTheDaemonsZone(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	body, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	e.writeConfig(strings.Replace(string(body), "timezone: UTC", "timezone: Europe/Berlin", 1))
	e.tick("2026-11-21T09:00")
	withConfig := e.ok("report", "--format", "csv", "--at", "2026-11-22")
	bare, errs, code := runBare(t, "report", "--format", "csv", "--at", "2026-11-22", "--db", filepath.Join(e.dir, "notifier.db"))
	if code != 0 || bare != withConfig || !strings.Contains(bare, ",2026-06-01T00:00:00+02:00,2026-11-28T00:00:00+01:00,") {
		t.Errorf("report of the file alone (exit %d, %s):\n%s\nwith its config:\n%s", code, errs, bare, withConfig)
	}
}
