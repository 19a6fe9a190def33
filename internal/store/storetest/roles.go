package storetest

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/copydb"
)

// testSyncedTimezone: the Reader's SyncedTimezone is the zone the last
// settings sync recorded, seen by every handle.
func testSyncedTimezone(t *testing.T, open Opener) {
	e := newEnv(t, open)
	zone := func(s Store) string {
		t.Helper()
		tz, err := s.SyncedTimezone(e.ctx)
		if err != nil {
			t.Fatalf("SyncedTimezone: %v", err)
		}
		return tz
	}
	equal(t, "zone before any sync", zone(e.Store), "")
	for _, tz := range []string{"Europe/Paris", "America/New_York"} {
		if _, err := e.SyncSettings(e.ctx, map[string]string{"timezone": tz}, t0); err != nil {
			t.Fatalf("SyncSettings: %v", err)
		}
		equal(t, "zone after a sync", zone(e.Store), tz)
		equal(t, "zone another process reads", zone(e.handle()), tz)
	}
}

// testPath: Path names the database a handle is on, alike for every
// handle on it, and another database differently.
func testPath(t *testing.T, open Opener) {
	e := newEnv(t, open)
	other := &env{t: t, ctx: e.ctx, open: open, path: filepath.Join(t.TempDir(), "other.db")}
	if e.Path() == "" {
		t.Fatal("Path() is empty")
	}
	equal(t, "another handle's path", e.handle().Path(), e.Path())
	if p := other.handle().Path(); p == e.Path() {
		t.Errorf("two databases have one Path() %q", p)
	}
}

// testCopySide: the Copier's side of a database is copied, as copy-db
// does, into an empty database of the same backend, which then reads the
// same credentials and history.
func testCopySide(t *testing.T, open Opener) {
	src := newEnv(t, open)
	src.sync("a.yaml", t0, cred("alpha"), cred("beta"))
	src.ack("alpha", hours(2), "ops")
	dst := &env{t: t, ctx: src.ctx, open: open, path: filepath.Join(t.TempDir(), "copy.db")}
	dst.Store = dst.handle()
	counts, err := copydb.Copy(src.ctx, src.CopySide(), dst.CopySide())
	if err != nil {
		t.Fatalf("Copy: %v", err)
	}
	equal(t, "credentials copied", counts["credentials"], int64(2))
	ids := func(e *env) []string {
		t.Helper()
		states, err := e.States(e.ctx)
		if err != nil {
			t.Fatalf("States: %v", err)
		}
		var out []string
		for _, s := range states {
			out = append(out, s.ID)
		}
		return sorted(out)
	}
	equal(t, "the copy's credentials", ids(dst), ids(src))
	all := domain.HistoryFilter{}
	equal(t, "the copy's history", len(dst.history(all)), len(src.history(all)))
	equalTime(t, "the copy's acknowledgment", dst.cycle("alpha").AckAt, hours(2))
	// A copy is the same database: the ack links the source issued work
	// on it.
	equal(t, "the copy's database id", databaseID(t, dst.Store), databaseID(t, src.Store))
}

// testDatabaseID: a database has one random id from its creation, read
// alike by every handle, kept by every settings sync, and another
// database has another.
func testDatabaseID(t *testing.T, open Opener) {
	e := newEnv(t, open)
	id := databaseID(t, e.Store)
	if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
		t.Errorf("database id %q, want 32 lowercase hex digits (128 random bits)", id)
	}
	equal(t, "another handle's database id", databaseID(t, e.handle()), id)
	for _, values := range []map[string]string{{"timezone": "UTC", "policy:standard": "f1"}, {}} {
		if _, err := e.SyncSettings(e.ctx, values, t0); err != nil {
			t.Fatalf("SyncSettings: %v", err)
		}
		equal(t, "the database id after a settings sync", databaseID(t, e.Store), id)
	}
	other := &env{t: t, ctx: e.ctx, open: open, path: filepath.Join(t.TempDir(), "other.db")}
	if o := databaseID(t, other.handle()); o == id {
		t.Errorf("two databases have one id %q", o)
	}
}

func databaseID(t *testing.T, s Store) string {
	t.Helper()
	id, err := s.DatabaseID(context.Background())
	if err != nil {
		t.Fatalf("DatabaseID: %v", err)
	}
	return id
}
