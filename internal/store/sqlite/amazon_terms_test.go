package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/store/storetest"
)

// TestAmazonTermsMigration: a database from before migration 0016, where
// a deadline Amazon stated did not move the cycle's terms, gets for each
// open cycle whose latest statement differs from its terms a cycle_terms
// row (source amazon, the notification as reference, the statement's
// recorded_at); a closed cycle's terms stay as they were.
func TestAmazonTermsMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	storetest.SeedStatedDeadlines(t, s)
	// Back to before 0016: the statements did not move the terms.
	tamper(t, s, `DELETE FROM cycle_terms WHERE source = 'amazon'`,
		`CREATE TRIGGER cycle_terms_no_update BEFORE UPDATE ON cycle_terms BEGIN SELECT RAISE(ABORT, 'cycle terms are append-only'); END`,
		`CREATE TRIGGER cycle_terms_no_delete BEFORE DELETE ON cycle_terms BEGIN SELECT RAISE(ABORT, 'cycle terms are append-only'); END`,
		`DELETE FROM schema_migrations WHERE version = 16`)
	var stated string
	if err := s.db.QueryRow(`SELECT recorded_at FROM cycle_deadlines WHERE reference = 'n-3'`).Scan(&stated); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(t.Context(), path) // migrates
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.db.Query(`SELECT rotation_id, deadline, source, reference, recorded_at FROM cycle_terms ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var id, deadline, source, reference, recorded string
		if err := rows.Scan(&id, &deadline, &source, &reference, &recorded); err != nil {
			t.Fatal(err)
		}
		if source != "amazon" {
			recorded = "-"
		}
		got = append(got, strings.Join([]string{id, deadline, source, reference, recorded}, " "))
	}
	want := []string{
		"1 2026-06-30T00:00:00Z policy  -", // closed: its statement n-1 stays in cycle_deadlines only
		"2 2026-11-28T01:00:00Z policy  -",
		"2 2026-07-01T00:00:00Z amazon n-3 " + stated,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("terms after the migration:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var cycle string
	if err := s.db.QueryRow(`SELECT deadline || ' ' || deadline_source FROM audit_cycles WHERE rotation_id = 2`).Scan(&cycle); err != nil {
		t.Fatal(err)
	}
	if cycle != "2026-07-01T00:00:00Z amazon" {
		t.Errorf("the open cycle in audit_cycles: %q, want 2026-07-01T00:00:00Z amazon", cycle)
	}
	c, err := s.Cycle(t.Context(), "alpha")
	if err != nil {
		t.Fatal(err)
	}
	if d := c.Deadline(time.UTC); !d.Equal(t0.AddDate(0, 0, 30)) {
		t.Errorf("the open cycle's deadline %s, want %s", d, t0.AddDate(0, 0, 30))
	}
}
