package sqlstore_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/notifier-dev/notifier/internal/store/sqlite"
)

// planDatabase is a migrated SQLite database in the test's folder, open
// as a store (which builds the queries) and read-only beside it (where
// the plans are asked), both closed when the test ends.
func planDatabase(t *testing.T) (*sqlite.Store, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notifier.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return s, db
}

// planStep is one step of SQLite's query plan: its parent's id (0: a
// step of the outer query) and what it does.
type planStep struct {
	parent int
	detail string
}

// explain is SQLite's plan of query with args on db, step by step.
func explain(t *testing.T, db *sql.DB, query string, args ...any) []planStep {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN %s: %v", query, err)
	}
	defer rows.Close()
	var plan []planStep
	for rows.Next() {
		var id, unused int
		var s planStep
		if err := rows.Scan(&id, &s.parent, &unused, &s.detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(plan) == 0 {
		t.Fatalf("no query plan for %s", query)
	}
	return plan
}

// details are the steps' details.
func details(plan []planStep) []string {
	out := make([]string, len(plan))
	for i, s := range plan {
		out[i] = s.detail
	}
	return out
}
