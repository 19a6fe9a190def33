package postgres

import (
	"database/sql"
	"fmt"
	"io/fs"
	"testing"

	"github.com/notifier-dev/notifier/internal/store/storetest"
	"github.com/notifier-dev/notifier/internal/testutil/pgtest"
	"github.com/notifier-dev/notifier/migrations"
)

// TestUpgradeFrom0006KeepsTheChain: a database built by the migrations
// before 0007 (recorded_at), with a chain of version 1 rows, migrates;
// verify still names where the chain starts and passes, and covers the
// recorded_at of the rows written since (storetest.CheckUpgradedChain).
func TestUpgradeFrom0006KeepsTheChain(t *testing.T) {
	srv := pgtest.Current(t)
	name := srv.Database(t)
	su, err := sql.Open("pgx", srv.URL(name))
	if err != nil {
		t.Fatal(err)
	}
	defer su.Close()
	stmts := []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`}
	files, err := migrationFiles().Files()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Version >= 7 {
			break
		}
		body, err := fs.ReadFile(migrations.Postgres, f.Path)
		if err != nil {
			t.Fatal(err)
		}
		stmts = append(stmts, string(body), fmt.Sprintf(`INSERT INTO schema_migrations VALUES (%d, '%s', '2026-02-01T08:00:00Z')`, f.Version, f.Name))
	}
	for _, r := range storetest.OldEvents(1, 3) {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO events (id, time, type, status, detail, hash) VALUES (%d, '%s', '%s', '%s', '%s', '\x%x')`,
			r.ID, r.Time, r.Type, r.Status, r.Detail, r.Hash))
	}
	old, err := sql.Open("pgx", testURL(t, name)) // as the role the store connects as, which owns the tables
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	for _, st := range stmts {
		if _, err := old.ExecContext(t.Context(), st); err != nil {
			t.Fatalf("%.60s: %v", st, err)
		}
	}
	s, err := Open(t.Context(), testURL(t, name))
	if err != nil {
		t.Fatalf("Open of a 0006 database: %v", err)
	}
	defer s.Close()
	storetest.CheckUpgradedChain(t, s, 1, 3, func(stmt string) {
		off, on := "", ""
		for _, table := range []string{"events", "rotations", "acknowledgments"} {
			off += "ALTER TABLE " + table + " DISABLE TRIGGER " + table + "_append_only; "
			on += "; ALTER TABLE " + table + " ENABLE TRIGGER " + table + "_append_only"
		}
		if _, err := su.ExecContext(t.Context(), off+stmt+on); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	})
}
