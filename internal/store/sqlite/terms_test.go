package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/migrations"
)

// TestCycleTermsMigration: a database from before migration 0010 gets
// each existing cycle's terms from what is known, the terms in force at
// the migration (source 'migration'): the credential's period and policy
// as last synced, the deadline as audit_cycles computed it.
func TestCycleTermsMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	if _, err := s.SyncFile(t.Context(), domain.ConfigFile{Path: "c.yaml", ModTime: t0}, []domain.Credential{credential("alpha")}, domain.SyncOptions{}, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordRotation(t.Context(), domain.Rotation{CredentialID: "alpha", RotatedAt: t0, Source: "cli", Actor: "alice"}, t0); err != nil {
		t.Fatal(err)
	}
	// Back to the schema before 0010: no cycle_terms, 0004's audit_cycles.
	old, err := migrations.FS.ReadFile("0004_audit_views.sql")
	if err != nil {
		t.Fatal(err)
	}
	view := string(old)
	view = view[strings.Index(view, "CREATE VIEW audit_cycles"):]
	view = view[:strings.Index(view, "FROM judged;")+len("FROM judged;")]
	for _, stmt := range []string{`DROP VIEW audit_cycles`, `DROP TABLE cycle_terms`, view, `DELETE FROM schema_migrations WHERE version = 10`} {
		if _, err := s.db.Exec(stmt); err != nil {
			t.Fatalf("%.40s: %v", stmt, err)
		}
	}
	s.Close()

	s, err = Open(t.Context(), path) // migrates
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.db.Query(`SELECT rotation_id, deadline, policy, rotation_period, zone, source FROM cycle_terms ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var id int64
		var deadline, policy, period, zone, source string
		if err := rows.Scan(&id, &deadline, &policy, &period, &zone, &source); err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.Join([]string{deadline, policy, period, zone, source}, " "))
	}
	want := []string{
		"2026-06-30T00:00:00Z default 180d UTC migration", // 2026-01-01 + 180 days, closed
		"2026-11-28T00:00:00Z default 180d UTC migration", // 2026-06-01 + 180 days, open
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("terms after the migration:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var outcome string
	if err := s.db.QueryRow(`SELECT outcome || ' ' || deadline_source FROM audit_cycles ORDER BY rotation_id LIMIT 1`).Scan(&outcome); err != nil {
		t.Fatal(err)
	}
	if outcome != "on_time migration" {
		t.Errorf("the first cycle in audit_cycles: %q, want on_time migration", outcome)
	}
}
