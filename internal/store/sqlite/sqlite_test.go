package sqlite

import (
	"database/sql"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
	"github.com/notifier-dev/notifier/internal/store/storetest"
	"github.com/notifier-dev/notifier/migrations"
)

// TestConformance runs the shared store suite on a real database file.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, path string) storetest.Store {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatalf("Open(%s): %v", path, err)
		}
		return s
	})
}

var t0 = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "notifier.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func count(t *testing.T, db *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// embeddedMigrations names the migrations the binary carries, in order.
func embeddedMigrations(t *testing.T) []string {
	t.Helper()
	files, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil || len(files) < 2 {
		t.Fatalf("embedded migrations: %v %v", files, err)
	}
	sort.Strings(files)
	for i, f := range files {
		files[i] = strings.TrimSuffix(f, ".sql")
	}
	return files
}

func credential(id string) domain.Credential {
	return domain.Credential{ID: id, Name: "Credential " + id, Owner: "team", RotatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		RotationPeriod: schedule.MustSpan("180d"), Policy: "default"}
}

func TestOpenRefusesAnythingButAFile(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file:notifier.db?mode=memory"} {
		if s, err := Open(t.Context(), path); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want a refusal", path)
		}
	}
}

func TestAppendOnlyTriggers(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	if _, err := s.SyncFile(ctx, domain.ConfigFile{Path: "c.yaml", ModTime: t0}, []domain.Credential{credential("alpha")}, domain.SyncOptions{}, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordAck(ctx, domain.Ack{CredentialID: "alpha", At: t0, Actor: "alice", Source: "cli"}); err != nil {
		t.Fatal(err)
	}
	tables := []string{"events", "rotations", "acknowledgments", "credentials", "cycle_terms"}
	before := map[string]int{}
	for _, table := range tables {
		if before[table] = count(t, s.db, `SELECT COUNT(*) FROM `+table); before[table] == 0 {
			t.Fatalf("no rows in %s to test with", table)
		}
	}

	for _, tc := range []struct {
		stmt, refusal string
	}{
		{`UPDATE events SET detail = 'rewritten'`, "events are append-only"},
		{`DELETE FROM events`, "events are append-only"},
		{`UPDATE rotations SET rotated_at = '2030-01-01T00:00:00Z'`, "rotations are append-only"},
		{`DELETE FROM rotations`, "rotations are append-only"},
		{`UPDATE acknowledgments SET actor = 'mallory'`, "acknowledgments are append-only"},
		{`DELETE FROM acknowledgments`, "acknowledgments are append-only"},
		{`UPDATE cycle_terms SET deadline = '2030-01-01T00:00:00Z'`, "cycle terms are append-only"},
		{`DELETE FROM cycle_terms`, "cycle terms are append-only"},
		{`DELETE FROM credentials`, "credentials are never deleted"},
	} {
		_, err := s.db.ExecContext(ctx, tc.stmt)
		if err == nil || !strings.Contains(err.Error(), tc.refusal) {
			t.Errorf("%s: %v, want refused with %q", tc.stmt, err, tc.refusal)
		}
	}
	for _, table := range tables {
		if n := count(t, s.db, `SELECT COUNT(*) FROM `+table); n != before[table] {
			t.Errorf("%s has %d rows, want %d", table, n, before[table])
		}
	}
	if n := count(t, s.db, `SELECT COUNT(*) FROM events WHERE detail = 'rewritten'`); n != 0 {
		t.Errorf("%d events were rewritten", n)
	}
	// A credential itself is updated in place (name, next action, active).
	if _, err := s.db.ExecContext(ctx, `UPDATE credentials SET name = 'Renamed'`); err != nil {
		t.Errorf("UPDATE credentials: %v, want allowed", err)
	}
}

func TestMigrationsAppliedOnceAndRecorded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notifier.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Path() != path {
		t.Errorf("Path = %q, want %q", s.Path(), path)
	}
	ms, err := s.Migrations(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	names := func(ms []Migration) string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return strings.Join(out, ",")
	}
	want := embeddedMigrations(t)
	if got := names(ms); got != strings.Join(want, ",") || !strings.HasPrefix(got, "0001_init,0002_service,") || ms[0].Version != 1 || ms[1].Version != 2 {
		t.Fatalf("migrations = %+v, want %v", ms, want)
	}
	for _, m := range ms {
		if _, err := ParseTime(m.AppliedAt); err != nil {
			t.Errorf("%s applied_at %q: %v", m.Name, m.AppliedAt, err)
		}
	}
	if _, err := s.SyncFile(t.Context(), domain.ConfigFile{Path: "c.yaml", ModTime: t0}, []domain.Credential{credential("alpha")}, domain.SyncOptions{}, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopening applies nothing again and keeps the data.
	s, err = Open(t.Context(), path)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	defer s.Close()
	again, err := s.Migrations(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again, ms) {
		t.Errorf("migrations after reopening = %+v, want %+v", again, ms)
	}
	if c, err := s.Cycle(t.Context(), "alpha"); err != nil || !c.Active {
		t.Errorf("alpha after reopening: %+v, %v", c, err)
	}
}

// TestUpgradeFrom0001 upgrades a database the old internal/db package made
// (only 0001_init applied, recorded as it recorded it): every row is kept,
// each credential's current cycle is its latest rotation, and every active
// credential is due at once.
func TestUpgradeFrom0001(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	body, err := fs.ReadFile(migrations.FS, "0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	const applied = "2026-02-01T08:00:00Z"
	for _, stmt := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`,
		string(body),
		`INSERT INTO schema_migrations VALUES (1, '0001_init', '` + applied + `')`,
		`INSERT INTO credentials (id, name, owner, rotation_period, expires_at, policy, config_rotated_at, active, created_at, updated_at) VALUES
			('alpha', 'Alpha', 'team-a', '180d', NULL, 'default', '2026-01-01T00:00:00Z', 1, '2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z'),
			('beta', 'Beta', 'team-b', '90d', '2026-04-01T00:00:00Z', 'urgent', '2026-01-01T00:00:00Z', 0, '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'),
			('gamma', 'Gamma', '', '30d', NULL, 'default', '2026-05-01T00:00:00Z', 1, '2026-05-01T00:00:00Z', '2026-05-01T00:00:00Z')`,
		`INSERT INTO rotations (id, credential_id, rotated_at, source, actor, note, recorded_at) VALUES
			(1, 'alpha', '2026-01-01T00:00:00Z', 'config', '', '', '2026-01-01T00:00:00Z'),
			(2, 'beta', '2026-01-01T00:00:00Z', 'config', '', '', '2026-01-01T00:00:00Z'),
			(3, 'alpha', '2026-03-01T00:00:00Z', 'cli', 'bob', 'rotated by hand', '2026-03-01T00:00:00Z'),
			(4, 'gamma', '2026-05-01T00:00:00Z', 'config', '', '', '2026-05-01T00:00:00Z')`,
		`INSERT INTO deliveries (id, rotation_id, credential_id, stage, seq, channel, status, due_at, created_at, attempts, next_attempt_at, sent_at, last_error) VALUES
			(1, 1, 'alpha', '30d', 0, 'slack', 'superseded', '2026-01-02T00:00:00Z', '2026-01-02T00:00:00Z', 1, NULL, NULL, 'superseded'),
			(2, 3, 'alpha', '30d', 0, 'slack', 'sent', '2026-05-01T00:00:00Z', '2026-05-01T00:00:00Z', 1, NULL, '2026-05-01T00:01:00Z', ''),
			(3, 3, 'alpha', '7d', 0, 'email', 'pending', '2026-05-24T00:00:00Z', '2026-05-24T00:00:00Z', 2, '2026-05-24T00:10:00Z', NULL, 'HTTP 503')`,
		`INSERT INTO acknowledgments (credential_id, rotation_id, acked_at, actor, note, source, delivery_id) VALUES
			('alpha', 3, '2026-05-02T09:00:00Z', 'alice', '', 'slack', 2)`,
		`INSERT INTO events (time, type, credential_id, rotation_id, delivery_id, status, actor, detail) VALUES
			('2026-03-01T00:00:00Z', 'rotation', 'alpha', 3, NULL, 'cli', 'bob', 'rotated at 2026-03-01T00:00:00Z'),
			('2026-05-01T00:01:00Z', 'reminder', 'alpha', 3, 2, 'sent', '', 'sent'),
			('2026-05-02T09:00:00Z', 'ack', 'alpha', 3, 2, 'slack', 'alice', 'acknowledged via slack')`,
	} {
		if _, err := old.ExecContext(t.Context(), stmt); err != nil {
			t.Fatalf("%.60s: %v", stmt, err)
		}
	}
	tables := []string{"credentials", "rotations", "deliveries", "acknowledgments", "events"}
	rows := map[string]int{}
	for _, table := range tables {
		rows[table] = count(t, old, `SELECT COUNT(*) FROM `+table)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open of a 0001 database: %v", err)
	}
	defer s.Close()
	ctx := t.Context()
	ms, err := s.Migrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := embeddedMigrations(t); len(ms) != len(want) || ms[0].AppliedAt != applied || ms[1].Name != "0002_service" || ms[len(ms)-1].Name != want[len(want)-1] {
		t.Errorf("migrations = %+v, want 0001_init as applied before, then 0002_service and the rest of %v", ms, want)
	}
	for _, table := range tables {
		if n := count(t, s.db, `SELECT COUNT(*) FROM `+table); n != rows[table] {
			t.Errorf("%s: %d rows after the upgrade, want %d", table, n, rows[table])
		}
	}

	alpha, err := s.Cycle(ctx, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	if alpha.RotationID != 3 || !alpha.Start.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) || alpha.Source != "cli" || alpha.AckBy != "alice" {
		t.Errorf("alpha's cycle = rotation %d from %s (%s), acked by %q; want rotation 3 from 2026-03-01 (cli), acked by alice",
			alpha.RotationID, alpha.Start, alpha.Source, alpha.AckBy)
	}
	beta, err := s.Cycle(ctx, "beta")
	if err != nil {
		t.Fatal(err)
	}
	if beta.Active || beta.RotationID != 2 || !beta.NextAction.IsZero() || !beta.ExpiresAt.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("beta = active %v, rotation %d, next action %s, expires %s; want inactive, rotation 2, never, 2026-04-01",
			beta.Active, beta.RotationID, beta.NextAction, beta.ExpiresAt)
	}

	// Every active credential is due, whatever the time: the new engine
	// plans each once.
	due, err := s.DueCycles(ctx, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range due {
		ids = append(ids, c.ID)
	}
	if strings.Join(ids, ",") != "alpha,gamma" {
		t.Errorf("due after the upgrade = %v, want alpha and gamma", ids)
	}
	if len(due) > 0 && (!due[0].Sent[schedule.Key{Stage: "30d"}] || !due[0].Sent[schedule.Key{Stage: "7d"}]) {
		t.Errorf("alpha's sent keys = %v, want 30d and 7d of its current cycle", due[0].Sent)
	}

	// The old pending delivery is claimable; the old history is read.
	claimed, err := s.ClaimDeliveries(ctx, "w1", "email", t0, t0.Add(time.Minute), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(claimed) != 1 || claimed[0].ID != 3 || claimed[0].Attempts != 2 {
		t.Errorf("claimed %+v, want delivery 3 with its 2 attempts", claimed)
	}
	evs, err := s.History(ctx, domain.HistoryFilter{CredentialID: "alpha"})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || evs[2].Type != domain.EventAck || evs[2].Actor != "alice" {
		t.Errorf("alpha's history = %+v, want the 3 old events", evs)
	}

	// A credential the old schema knew without a file is taken by the
	// first file that defines it, with no conflict.
	changes, err := s.SyncFile(ctx, domain.ConfigFile{Path: "c.yaml", ModTime: t0},
		[]domain.Credential{{ID: "alpha", Name: "Alpha", Owner: "team-a", RotatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			RotationPeriod: schedule.MustSpan("180d"), Policy: "default"}}, domain.SyncOptions{}, t0)
	var conflict *domain.FileConflict
	if errors.As(err, &conflict) || err != nil {
		t.Fatalf("first sync after the upgrade: %v", err)
	}
	if len(changes) != 0 {
		t.Errorf("changes = %+v, want none", changes)
	}
	if c, _ := s.Cycle(ctx, "alpha"); c.File != "c.yaml" || c.RotationID != 3 {
		t.Errorf("alpha after the sync: file %q rotation %d, want c.yaml and rotation 3", c.File, c.RotationID)
	}
}

// TestConcurrentOpenMigratesOnce opens one new database from several
// handles at once, as a daemon and a CLI command started together would.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	for round := range 5 {
		path := filepath.Join(t.TempDir(), "notifier.db")
		const n = 4
		stores := make([]*Store, n)
		errs := make([]error, n)
		done := make(chan int)
		for i := range n {
			go func() {
				stores[i], errs[i] = Open(t.Context(), path)
				done <- i
			}()
		}
		for range n {
			<-done
		}
		for i := range n {
			if errs[i] != nil {
				t.Errorf("round %d: Open %d: %v", round, i, errs[i])
				continue
			}
			defer stores[i].Close()
		}
		if errs[0] != nil {
			continue
		}
		if got, want := count(t, stores[0].db, `SELECT COUNT(*) FROM schema_migrations`), len(embeddedMigrations(t)); got != want {
			t.Errorf("round %d: %d migrations recorded, want %d", round, got, want)
		}
	}
}
