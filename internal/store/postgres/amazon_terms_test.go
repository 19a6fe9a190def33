package postgres

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/store/storetest"
	"github.com/notifier-dev/notifier/internal/testutil/pgtest"
)

// TestAmazonTermsMigration: as SQLite's, a database from before migration
// 0014 gets, for each open cycle whose latest statement differs from its
// terms, a cycle_terms row (source amazon, the notification as reference,
// the statement's recorded_at); a closed cycle's terms stay as they were.
func TestAmazonTermsMigration(t *testing.T) {
	srv := pgtest.Current(t)
	name := srv.Database(t)
	s, err := Open(t.Context(), testURL(t, name))
	if err != nil {
		t.Fatal(err)
	}
	storetest.SeedStatedDeadlines(t, s)
	s.Close()

	// Back to before 0014, as the superuser: no amazon rows, no reference,
	// the old sources.
	su, err := sql.Open("pgx", srv.URL(name))
	if err != nil {
		t.Fatal(err)
	}
	defer su.Close()
	if _, err := su.ExecContext(t.Context(), `ALTER TABLE cycle_terms DISABLE TRIGGER cycle_terms_append_only;
		DELETE FROM cycle_terms WHERE source = 'amazon';
		ALTER TABLE cycle_terms ENABLE TRIGGER cycle_terms_append_only;
		ALTER TABLE cycle_terms DROP COLUMN reference;
		ALTER TABLE cycle_terms DROP CONSTRAINT cycle_terms_source_check;
		ALTER TABLE cycle_terms ADD CONSTRAINT cycle_terms_source_check CHECK (source IN ('policy', 'config', 'migration'));
		DELETE FROM schema_migrations WHERE version = 14`); err != nil {
		t.Fatal(err)
	}
	var stated time.Time
	if err := su.QueryRowContext(t.Context(), `SELECT recorded_at FROM cycle_deadlines WHERE reference = 'n-3'`).Scan(&stated); err != nil {
		t.Fatal(err)
	}

	s, err = Open(t.Context(), testURL(t, name)) // migrates
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := su.QueryContext(t.Context(), `SELECT rotation_id, deadline, source, reference, recorded_at FROM cycle_terms ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var id, source, reference string
		var deadline, recorded time.Time
		if err := rows.Scan(&id, &deadline, &source, &reference, &recorded); err != nil {
			t.Fatal(err)
		}
		rec := "-"
		if source == "amazon" {
			rec = recorded.UTC().Format(time.RFC3339)
		}
		got = append(got, strings.Join([]string{id, deadline.UTC().Format(time.RFC3339), source, reference, rec}, " "))
	}
	want := []string{
		"1 2026-06-30T00:00:00Z policy  -", // closed: its statement n-1 stays in cycle_deadlines only
		"2 2026-11-28T01:00:00Z policy  -",
		"2 2026-07-01T00:00:00Z amazon n-3 " + stated.UTC().Format(time.RFC3339),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("terms after the migration:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var source string
	var deadline time.Time
	if err := su.QueryRowContext(t.Context(), `SELECT deadline, deadline_source FROM audit_cycles WHERE rotation_id = 2`).Scan(&deadline, &source); err != nil {
		t.Fatal(err)
	}
	if !deadline.Equal(t0.AddDate(0, 0, 30)) || source != "amazon" {
		t.Errorf("the open cycle in audit_cycles: %s %s, want %s amazon", deadline, source, t0.AddDate(0, 0, 30))
	}
}
