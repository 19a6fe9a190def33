package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/testutil/filesum"
	"github.com/notifier-dev/notifier/internal/testutil/pgtest"
)

// A simulation never reaches a live database (issue 16): a tick --at
// after the wall clock is refused before anything is opened, a tick at a
// past moment cannot suppress today's reminders, and tick --dry-run shows
// what would be sent without sending or writing anything.

// The credential of newEnv rotated on 2026-06-01 has its deadline on
// 2026-11-28 00:00 UTC: the 30d stage from 10-29, the 7d stage from 11-21.

// at runs the binary with its wall clock at now (the test-only clock).
func (e *env) at(now string, args ...string) (string, string, int) {
	e.t.Helper()
	return e.runWithEnv(append(os.Environ(), testNowEnv+"="+now), args...)
}

// okAt is at, failing the test unless the binary exits 0.
func (e *env) okAt(now string, args ...string) string {
	e.t.Helper()
	out, errs, code := e.at(now, args...)
	if code != 0 {
		e.t.Fatalf("notifier %v at %s: exit %d\nstdout: %s\nstderr: %s", args, now, code, out, errs)
	}
	return out
}

// fileSums is the sha256 of the database file and of its -wal and -shm,
// "absent" for a file that does not exist.
func (e *env) fileSums() map[string]string {
	e.t.Helper()
	sums := map[string]string{}
	for _, name := range []string{"notifier.db", "notifier.db-wal", "notifier.db-shm"} {
		b, err := os.ReadFile(filepath.Join(e.dir, name))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			sums[name] = "absent"
		case err != nil:
			e.t.Fatal(err)
		default:
			sum := sha256.Sum256(b)
			sums[name] = hex.EncodeToString(sum[:])
		}
	}
	return sums
}

func sameSums(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for name, sum := range before {
		if after[name] != sum {
			t.Errorf("%s changed %s: %.12s -> %.12s", what, name, sum, after[name])
		}
	}
}

// TestTickAtAFutureMomentIsRefusedBeforeTheDatabase, on SQLite and
// PostgreSQL: the refused tick creates no database and changes none
// (SQLite: the files' bytes; PostgreSQL: every table's rows).
func TestTickAtAFutureMomentIsRefusedBeforeTheDatabase(t *testing.T) {
	onEachBackend(t, testTickAtAFutureMomentIsRefusedBeforeTheDatabase)
}

func testTickAtAFutureMomentIsRefusedBeforeTheDatabase(t *testing.T, backend string) {
	e := newEnv(t, "2026-06-01")
	db := e.onBackend(backend)
	// No database yet: the refused tick creates none.
	out, errs, code := e.at("2026-10-20T09:00:00Z", "tick", "--at", "2026-11-22T09:00:00Z")
	if code != 1 || !strings.Contains(errs, "--at: 2026-11-22T09:00:00Z is in the future: the clock says 2026-10-20T09:00") ||
		strings.Count(strings.TrimSpace(errs), "\n") != 0 || out != "" {
		t.Fatalf("tick --at a future moment: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if !e.noDatabase(db) {
		t.Errorf("the refused tick created the database")
	}
	want(t, e.hook.take())
	// With a database: it does not change.
	e.okAt("2026-10-20T09:00:00Z", "tick")
	want(t, e.hook.take())
	before := e.storeSums(db)
	if _, errs, code := e.at("2026-10-20T09:00:00Z", "tick", "--at", "2026-11-22T09:00:00Z"); code != 1 || !strings.Contains(errs, "is in the future") ||
		strings.Contains(errs, pgtest.Password) {
		t.Fatalf("tick --at a future moment on a database: exit %d: %s", code, errs)
	}
	sameSums(t, "a refused tick", before, e.storeSums(db))
	want(t, e.hook.take())
	// A few seconds ahead of the clock is the clocks' skew, not a future.
	e.okAt("2026-10-20T09:00:00Z", "tick", "--at", "2026-10-20T09:04:00Z")
	// When the day comes, the real tick sends what was due then.
	e.okAt("2026-11-22T09:00:00Z", "tick")
	want(t, e.hook.take(), "7d", 6)
}

func TestTickAtAPastMomentDoesNotSuppressTodaysReminders(t *testing.T) {
	onEachBackend(t, testTickAtAPastMomentDoesNotSuppressTodaysReminders)
}

func testTickAtAPastMomentDoesNotSuppressTodaysReminders(t *testing.T, backend string) {
	e := newEnv(t, "2026-06-01")
	e.onBackend(backend)
	// Catch-up of a missed moment: the 30d stage as it was due then.
	e.okAt("2026-11-22T09:00:00Z", "tick", "--at", "2026-10-30T09:00:00Z")
	want(t, e.hook.take(), "30d", 29)
	// Today's tick still sends today's stage.
	e.okAt("2026-11-22T09:00:00Z", "tick")
	want(t, e.hook.take(), "7d", 6)
	// A past tick after today's sends nothing again, nor anything older.
	e.okAt("2026-11-22T09:05:00Z", "tick", "--at", "2026-11-01T09:00:00Z")
	want(t, e.hook.take())
	e.okAt("2026-11-22T10:00:00Z", "tick")
	want(t, e.hook.take())
}

type intended struct {
	Credential, Name, Stage, Channel, Type, Recipient, Status, Reason, Subject, Text string
	Seq                                                                              int
}

func (e *env) dryRun(now string, args ...string) []intended {
	e.t.Helper()
	out := e.okAt(now, append([]string{"tick", "--dry-run", "--format", "json"}, args...)...)
	var rows []intended
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		e.t.Fatalf("tick --dry-run json: %v\n%s", err, out)
	}
	return rows
}

// TestTickDryRunSendsAndWritesNothing, on SQLite and PostgreSQL: a dry
// run renders what would be sent; it sends nothing, creates no database
// and changes none (SQLite: the files' bytes; PostgreSQL: every table's
// rows).
func TestTickDryRunSendsAndWritesNothing(t *testing.T) {
	onEachBackend(t, testTickDryRunSendsAndWritesNothing)
}

func testTickDryRunSendsAndWritesNothing(t *testing.T, backend string) {
	e := newEnv(t, "2026-06-01")
	db := e.onBackend(backend)
	hookURL := e.hook.srv.URL + "/hook"
	// No database: planned from the config alone, as a first run; any
	// moment, the future too. The 30d stage was missed: skipped.
	rows := e.dryRun("2026-10-20T09:00:00Z", "--at", "2026-11-22T09:00:00Z")
	if len(rows) != 2 || rows[0].Stage != "30d" || rows[0].Status != "skipped" || !strings.Contains(rows[0].Reason, "missed") ||
		rows[1].Stage != "7d" || rows[1].Status != "pending" {
		t.Fatalf("dry run from the config alone: %+v", rows)
	}
	r := rows[1]
	if r.Credential != "sp-api-prod" || r.Channel != "ops" || r.Type != "webhook" || r.Recipient != hookURL ||
		!strings.Contains(r.Subject, "6 days remaining") || !strings.Contains(r.Text, "6 days remaining") ||
		!strings.Contains(r.Text, "notifier ack sp-api-prod") {
		t.Errorf("dry run message: %+v", r)
	}
	if !e.noDatabase(db) {
		t.Errorf("the dry run created the database")
	}
	want(t, e.hook.take())

	// On a database: the 30d stage was sent by a real tick, so only the
	// 7d one would be; the database does not change.
	e.okAt("2026-10-30T09:00:00Z", "tick")
	want(t, e.hook.take(), "30d", 29)
	before := e.storeSums(db)
	rows = e.dryRun("2026-10-30T09:05:00Z", "--at", "2026-11-22T09:00:00Z")
	if len(rows) != 1 || rows[0].Stage != "7d" || rows[0].Status != "pending" || rows[0].Recipient != hookURL {
		t.Fatalf("dry run on the database: %+v", rows)
	}
	table := e.okAt("2026-10-30T09:05:00Z", "tick", "--dry-run", "--at", "2026-11-22T09:00:00Z")
	for _, line := range []string{
		"would send sp-api-prod 7d -> ops (webhook: " + hookURL + ")\n",
		"  subject: ",
		"dry run at 2026-11-22T09:00:00Z: 1 would be sent, 0 skipped; nothing was sent or written\n",
	} {
		if !strings.Contains(table, line) {
			t.Errorf("dry run table lacks %q:\n%s", line, table)
		}
	}
	if strings.Contains(table, pgtest.Password) {
		t.Errorf("the dry run shows the database password:\n%s", table)
	}
	// Now, not at a moment: nothing is due yet.
	if rows := e.dryRun("2026-10-30T09:05:00Z"); len(rows) != 0 {
		t.Errorf("dry run now: %+v", rows)
	}
	sameSums(t, "a dry run", before, e.storeSums(db))
	want(t, e.hook.take())
	if h := e.history("--type", "reminder"); len(h) != 1 {
		t.Errorf("history after dry runs: %+v", h)
	}
	// The real tick on the day still sends the 7d stage.
	e.okAt("2026-11-22T09:00:00Z", "tick")
	want(t, e.hook.take(), "7d", 6)
}

// On PostgreSQL too, a tick --at ahead of the clock is refused and a dry
// run writes nothing: the history is the same before and after, and the
// real tick on the day still sends.
func TestTickSimulationOnPostgres(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	pgConfig(t, e.config)
	environ := func(now string) []string {
		return append(os.Environ(), pgPasswordEnv+"="+pgtest.Password, testNowEnv+"="+now)
	}
	run := func(now string, wantCode int, args ...string) (string, string) {
		t.Helper()
		out, errs, code := e.runWithEnv(environ(now), args...)
		if code != wantCode {
			t.Fatalf("notifier %v at %s: exit %d, want %d\nstdout: %s\nstderr: %s", args, now, code, wantCode, out, errs)
		}
		return out, errs
	}
	run("2026-10-30T09:00:00Z", 0, "tick")
	want(t, e.hook.take(), "30d", 29)
	history, _ := run("2026-10-30T09:00:00Z", 0, "history", "--format", "json")
	if _, errs := run("2026-10-30T09:01:00Z", 1, "tick", "--at", "2026-11-22T09:00:00Z"); !strings.Contains(errs, "is in the future") ||
		strings.Contains(errs, pgtest.Password) {
		t.Errorf("tick --at a future moment: %s", errs)
	}
	out, _ := run("2026-10-30T09:02:00Z", 0, "tick", "--dry-run", "--format", "json", "--at", "2026-11-22T09:00:00Z")
	var rows []intended
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("dry run json: %v\n%s", err, out)
	}
	if len(rows) != 1 || rows[0].Stage != "7d" || rows[0].Status != "pending" || !strings.Contains(rows[0].Text, "6 days remaining") ||
		strings.Contains(out, pgtest.Password) {
		t.Errorf("dry run on PostgreSQL: %+v", rows)
	}
	want(t, e.hook.take())
	if after, _ := run("2026-10-30T09:03:00Z", 0, "history", "--format", "json"); after != history {
		t.Errorf("the history changed:\nbefore %s\nafter %s", history, after)
	}
	run("2026-11-22T09:00:00Z", 0, "tick")
	want(t, e.hook.take(), "7d", 6)
}

// TestTestCommandAtAFutureMomentWritesNothing: `notifier test CHANNEL
// --credential ID` syncs the config to describe the credential; at a
// future --at that sync would write the config's changes into the history
// dated then. It is refused, as a tick at that moment is, and the
// database is left as it was.
func TestTestCommandAtAFutureMomentWritesNothing(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	e.ok("tick")
	e.hook.take()
	// A change the sync would record.
	e.writeCreds(strings.Replace(fmt.Sprintf(spAPI, "2026-06-01"), "owner: integrations", "owner: platform", 1))
	before := filesum.Dir(t, e.dir)
	delete(before, "config.yaml")
	_, errs, code := e.run("test", "ops", "--credential", "sp-api-prod", "--at", "2030-01-01")
	if code != 1 || !strings.Contains(errs, "is in the future") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Errorf("test --at a future moment: exit %d, %q; want 1 and one line saying it is in the future", code, errs)
	}
	after := filesum.Dir(t, e.dir)
	delete(after, "config.yaml")
	sameFiles(t, "test --at a future moment", before, after)
	if got := e.hook.take(); len(got) != 0 {
		t.Errorf("test --at a future moment sent %d messages", len(got))
	}
}
