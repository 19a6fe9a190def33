package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/testutil/filesum"
	"github.com/notifier-dev/notifier/internal/testutil/pgtest"
)

// Views never write: plan, status, history, report and verify leave the
// database (its file, -wal and -shm) as they found it, and create nothing.

// views are the read-only commands, each as a user runs it.
var views = [][]string{
	{"plan", "--format", "json"},
	{"status", "--format", "json"},
	{"history", "--format", "json"},
	{"report", "--format", "json"},
	{"verify"},
}

// sameFiles fails the test naming each file that appeared, disappeared or
// changed.
func sameFiles(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	var names []string
	for n := range before {
		names = append(names, n)
	}
	for n := range after {
		if _, ok := before[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		if before[n] != after[n] {
			switch {
			case before[n] == "":
				t.Errorf("%s created %s", what, n)
			case after[n] == "":
				t.Errorf("%s removed %s", what, n)
			default:
				t.Errorf("%s changed %s", what, n)
			}
		}
	}
}

type planJSON struct {
	At, Credential, Stage, Deadline string
	DaysRemaining                   int `json:"days_remaining"`
}

func planRows(t *testing.T, out string) []planJSON {
	t.Helper()
	var rows []planJSON
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("plan json: %v\n%s", err, out)
	}
	return rows
}

// firstOf is the first planned reminder of each credential, as
// "deadline stage days".
func firstOf(rows []planJSON) map[string]string {
	out := map[string]string{}
	for _, r := range rows {
		if _, ok := out[r.Credential]; !ok {
			out[r.Credential] = fmt.Sprintf("%s %s %d", r.Deadline, r.Stage, r.DaysRemaining)
		}
	}
	return out
}

// On a fresh config, plan plans from the config alone; the other views say
// in one line that there is no database yet; nothing is created.
func TestViewsOnAFreshConfig(t *testing.T) {
	const wall = "2026-10-01T00:00:00Z"
	e := newEnv(t, "2026-06-01")
	before := filesum.Dir(t, e.dir)
	rows := planRows(t, e.okAt(wall, "plan", "--format", "json", "--horizon", "60d"))
	if got, want := firstOf(rows)["sp-api-prod"], "2026-11-28T00:00:00Z 30d 30"; got != want {
		t.Errorf("plan without a database: first reminder %q, want %q (%+v)", got, want, rows)
	}
	db := filepath.Join(e.dir, "notifier.db")
	for _, v := range views[1:] {
		out, errs, code := e.at(wall, v...)
		if code == 0 {
			t.Errorf("%s without a database: exit 0\n%s", v[0], out)
		}
		lines := strings.Split(strings.TrimSpace(errs), "\n")
		if len(lines) != 1 || !strings.Contains(errs, db) || !strings.Contains(errs, "notifier run") || !strings.Contains(errs, "notifier migrate") {
			t.Errorf("%s without a database: stderr %q, want one line naming %s, `notifier run` and `notifier migrate`", v[0], errs, db)
		}
	}
	sameFiles(t, "a view without a database", before, filesum.Dir(t, e.dir))
}

// On a database a tick wrote, every view leaves every byte as it was and
// creates no -wal or -shm.
func TestViewsLeaveTheDatabaseUnchanged(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	// The 30-day notice went out on 10-29; the tick left a database.
	e.okAt("2026-10-30T09:00:00Z", "tick")
	if got := e.hook.take(); len(got) != 1 {
		t.Fatalf("the tick sent %d reminders, want the 30-day notice", len(got))
	}
	// The one-shot tick checkpointed and removed its -wal and -shm on
	// closing: the file alone (TestViewsBesideAWriteAheadLog reads beside
	// them).
	before := filesum.Dir(t, e.dir)
	for _, v := range views {
		e.okAt("2026-11-02T09:00:00Z", v...)
		sameFiles(t, v[0], before, filesum.Dir(t, e.dir))
	}
}

// plan shows what the daemon will do: a credential added to the config
// since the last sync, and a rotated_at moved forward since, count as the
// config says, and nothing is recorded.
func TestPlanReadsTheConfigAheadOfTheDatabase(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	e.okAt("2026-10-01T09:00:00Z", "tick")
	e.writeCreds(fmt.Sprintf(spAPI, "2026-09-01") + "  - {id: vendor-sftp, name: Vendor SFTP, owner: ops, rotated_at: 2026-08-01}\n")
	before := filesum.Dir(t, e.dir)
	rows := planRows(t, e.okAt("2026-10-02T09:00:00Z", "plan", "--format", "json"))
	got := firstOf(rows)
	if want := "2027-02-28T00:00:00Z 30d 30"; got["sp-api-prod"] != want {
		t.Errorf("plan: sp-api-prod (rotated_at moved to 09-01) first %q, want %q", got["sp-api-prod"], want)
	}
	if want := "2027-01-28T00:00:00Z 30d 30"; got["vendor-sftp"] != want {
		t.Errorf("plan: vendor-sftp (only in the config) first %q, want %q", got["vendor-sftp"], want)
	}
	sameFiles(t, "plan", before, filesum.Dir(t, e.dir))
	if h := e.history("--type", "rotation"); len(h) != 1 {
		t.Errorf("after plan, %d rotations recorded, want the first only: %+v", len(h), h)
	}
}

// Row 7: a command --at a moment before some other credential's rotated_at
// is not refused for that other credential's sake; a view at that moment
// shows a credential rotated later as not yet known; a write before the
// asked credential's own cycle speaks of that credential and that time.
func TestAtBeforeAnotherCredentialsRotation(t *testing.T) {
	const wall = "2026-10-01T09:00:00Z"
	e := newEnv(t, "2026-06-01")
	e.writeCreds(fmt.Sprintf(spAPI, "2026-06-01") + "  - {id: vendor-sftp, name: Vendor SFTP, owner: ops, rotated_at: 2026-09-01}\n")
	e.okAt(wall, "tick")
	const earlier = "2026-08-01T00:00:00Z"
	for _, v := range [][]string{{"plan", "--format", "json"}, {"status", "--format", "json"}} {
		out, errs, code := e.at(wall, append(v, "--at", earlier)...)
		if code != 0 {
			t.Errorf("%s --at %s: exit %d: %s", v[0], earlier, code, errs)
			continue
		}
		if strings.Contains(out, "vendor-sftp") {
			t.Errorf("%s --at %s shows vendor-sftp, first rotated on 09-01:\n%s", v[0], earlier, out)
		}
		if !strings.Contains(out, "sp-api-prod") {
			t.Errorf("%s --at %s lacks sp-api-prod:\n%s", v[0], earlier, out)
		}
	}
	e.okAt(wall, "ack", "sp-api-prod", "--at", earlier, "--by", "alice")
	e.okAt(wall, "rotate", "sp-api-prod", "--at", earlier, "--by", "alice")
	// Before sp-api-prod's rotation of 08-01: its cycle of 06-01, as
	// recorded; vendor-sftp is still not yet known.
	const before = "2026-07-15T00:00:00Z"
	if s := e.statusAt(wall, before); s["sp-api-prod"].RotatedAt != "2026-06-01T00:00:00Z" || s["sp-api-prod"].Deadline != "2026-11-28T00:00:00Z" || len(s) != 1 {
		t.Errorf("status --at %s: %+v; want sp-api-prod's cycle of 06-01 alone", before, s)
	}
	if got := firstOf(planRows(t, e.okAt(wall, "plan", "--format", "json", "--at", before))); len(got) != 1 || got["sp-api-prod"] != "2026-11-28T00:00:00Z 30d 30" {
		t.Errorf("plan --at %s: %v; want sp-api-prod's cycle of 06-01 alone", before, got)
	}
	for _, cmd := range []string{"ack", "rotate"} {
		_, errs, code := e.at(wall, cmd, "vendor-sftp", "--at", earlier, "--by", "alice")
		if code == 0 || !strings.Contains(errs, "vendor-sftp") || !strings.Contains(errs, "2026-08-01") || strings.Contains(errs, "sp-api-prod") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%s vendor-sftp --at %s (before its cycle of 09-01): exit %d, stderr %q; want one line naming vendor-sftp and 2026-08-01", cmd, earlier, code, errs)
		}
	}
}

// On PostgreSQL, every view leaves every table as it was; on a database
// without notifier's schema, plan plans from the config and status refuses.
func TestViewsLeavePostgresUnchanged(t *testing.T) {
	srv := pgtest.Shared(t)
	name := srv.Database(t)
	e := newEnv(t, "2026-06-01")
	// writeCreds writes the config on PostgreSQL.
	writeCreds := func(creds string) {
		e.writeCreds(creds)
		body, err := os.ReadFile(e.config)
		if err != nil {
			t.Fatal(err)
		}
		body = []byte(strings.Replace(string(body), "database: notifier.db", "database: "+srv.UserURL(name), 1))
		if err := os.WriteFile(e.config, body, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeCreds(fmt.Sprintf(spAPI, "2026-06-01"))
	db, err := sql.Open("pgx", srv.URL(name))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// No notifier schema yet: plan plans from the config, status says
	// there is no database yet, and neither creates a table.
	if out := e.okAt("2026-10-30T09:00:00Z", "plan", "--format", "json"); !strings.Contains(out, "sp-api-prod") {
		t.Errorf("plan on an empty PostgreSQL database lacks sp-api-prod:\n%s", out)
	}
	if _, errs, code := e.at("2026-10-30T09:00:00Z", "status"); code == 0 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, "no such database yet") {
		t.Errorf("status on an empty PostgreSQL database: exit %d, stderr %q; want one line: no such database yet", code, errs)
	}
	if n := len(pgTables(t, db)); n != 0 {
		t.Errorf("plan and status on an empty PostgreSQL database created %d tables", n)
	}
	e.okAt("2026-10-30T09:00:00Z", "tick")
	writeCreds(fmt.Sprintf(spAPI, "2026-09-01") + "  - {id: vendor-sftp, name: Vendor SFTP, owner: ops, rotated_at: 2026-08-01}\n")
	before := pgDump(t, db)
	for _, v := range views {
		out := e.okAt("2026-11-02T09:00:00Z", v...)
		if v[0] == "plan" && !strings.Contains(out, "vendor-sftp") {
			t.Errorf("plan on PostgreSQL lacks the config-only vendor-sftp:\n%s", out)
		}
		after := pgDump(t, db)
		for table, sum := range before {
			if after[table] != sum {
				t.Errorf("%s changed table %s", v[0], table)
			}
		}
	}
}

// pgDump is a digest of every table's rows.
func pgDump(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	tables := pgTables(t, db)
	if len(tables) < 5 {
		t.Fatalf("PostgreSQL has %d tables: %v", len(tables), tables)
	}
	out := map[string]string{}
	for _, n := range tables {
		var sum sql.NullString
		var count int
		if err := db.QueryRowContext(t.Context(), `SELECT count(*), md5(string_agg(x::text, ',' ORDER BY x::text)) FROM `+n+` x`).Scan(&count, &sum); err != nil {
			t.Fatal(err)
		}
		out[n] = fmt.Sprintf("%d %s", count, sum.String)
	}
	return out
}

// Beside a write-ahead log (a daemon holds the database, or died holding
// it), the views leave the database, its -wal and its -shm as they were.
func TestViewsBesideAWriteAheadLog(t *testing.T) {
	rotated := time.Now().UTC().Add(-10 * 24 * time.Hour).Format(time.RFC3339)
	sink := newHook(t)
	dir, config := fleetEnv(t, 3, sink.srv.URL, "@hourly", rotated)
	d := startDaemon(t, dir, config)
	d.await(t, "notifier running", 60*time.Second) // logged after the start-up tick
	// A copy of what a daemon killed now leaves: its -wal and -shm.
	crashed := t.TempDir()
	for _, f := range []string{"config.yaml", "notifier.db", "notifier.db-wal", "notifier.db-shm"} {
		body, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(crashed, f), body, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ name, dir string }{{"a daemon running", dir}, {"a daemon died", crashed}} {
		t.Run(tc.name, func(t *testing.T) {
			e := &env{t: t, dir: tc.dir, config: filepath.Join(tc.dir, "config.yaml")}
			before := filesum.Dir(t, tc.dir)
			for _, v := range views {
				out := e.ok(v...)
				if v[0] == "status" && strings.Count(out, `"id"`) != 3 {
					t.Errorf("status beside a -wal: want 3 credentials:\n%s", out)
				}
				sameFiles(t, v[0], before, filesum.Dir(t, tc.dir))
			}
		})
	}
	d.terminate(t, 30*time.Second)
}

// statusAt is status --at at, with the wall clock at wall.
func (e *env) statusAt(wall, at string) map[string]statusRow {
	e.t.Helper()
	var rows []statusRow
	if out := e.okAt(wall, "status", "--format", "json", "--at", at); json.Unmarshal([]byte(out), &rows) != nil {
		e.t.Fatalf("status json:\n%s", out)
	}
	m := map[string]statusRow{}
	for _, r := range rows {
		m[r.ID] = r
	}
	return m
}

// pgTables lists the tables of the public schema.
func pgTables(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	return tables
}
