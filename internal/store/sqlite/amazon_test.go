package sqlite

import (
	"database/sql"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/migrations"
)

// TestUpgradeFrom0002 upgrades a database at 0002 (the service schema)
// with rows in every table that refers to rotations: 0006 rebuilds
// rotations to widen its source CHECK, and every row, id, reference,
// trigger and index must survive it.
func TestUpgradeFrom0002(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v2.db")
	old := databaseAt0002(t, path,
		`INSERT INTO credentials (id, name, owner, rotation_period, expires_at, policy, config_rotated_at, active, created_at, updated_at, file, next_action_at) VALUES
			('alpha', 'Alpha', 'team-a', '180d', NULL, 'default', '2026-01-01T00:00:00Z', 1, '2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z', 'c.yaml', '2026-06-01T00:00:00Z'),
			('beta', 'Beta', '', '90d', NULL, 'default', '2026-01-01T00:00:00Z', 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'c.yaml', '2026-04-01T00:00:00Z')`,
		`INSERT INTO rotations (id, credential_id, rotated_at, source, actor, note, recorded_at) VALUES
			(7, 'alpha', '2026-01-01T00:00:00Z', 'config', '', '', '2026-01-01T00:00:00Z'),
			(9, 'beta', '2026-01-01T00:00:00Z', 'config', '', '', '2026-01-01T00:00:00Z'),
			(12, 'alpha', '2026-03-01T00:00:00Z', 'slack', 'bob', 'rotated', '2026-03-01T00:00:00Z')`,
		`UPDATE credentials SET rotation_id = CASE id WHEN 'alpha' THEN 12 ELSE 9 END`,
		`INSERT INTO deliveries (id, rotation_id, credential_id, stage, seq, channel, status, due_at, created_at, attempts, next_attempt_at) VALUES
			(1, 7, 'alpha', '30d', 0, 'slack', 'superseded', '2026-01-02T00:00:00Z', '2026-01-02T00:00:00Z', 1, NULL),
			(2, 12, 'alpha', '30d', 0, 'email', 'pending', '2026-05-01T00:00:00Z', '2026-05-01T00:00:00Z', 2, '2026-05-01T00:10:00Z')`,
		`INSERT INTO acknowledgments (credential_id, rotation_id, acked_at, actor, source, delivery_id) VALUES ('alpha', 12, '2026-05-02T09:00:00Z', 'alice', 'slack', 2)`,
		`INSERT INTO events (time, type, credential_id, rotation_id, status, detail) VALUES ('2026-03-01T00:00:00Z', 'rotation', 'alpha', 12, 'slack', 'rotated')`,
	)
	dump := func(db *sql.DB) map[string]string {
		out := map[string]string{}
		for _, table := range []string{"rotations", "credentials", "deliveries", "acknowledgments", "events"} {
			rows, err := db.QueryContext(t.Context(), `SELECT * FROM `+table+` ORDER BY rowid`)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			var b strings.Builder
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				for i, c := range cols {
					if c == "lwa_client_id" || c == "hash" || strings.HasPrefix(c, "source_") { // the columns 0006, 0003 and 0007 add
						continue
					}
					if c == "deadline" && table == "credentials" { // 0031 adds it, filled from the terms (checked below)
						continue
					}
					if c == "snoozed_until" { // 0022 adds it, NULL: the rows before it are plain acknowledgments
						if vals[i] != nil {
							t.Errorf("%s: snoozed_until %v of a row written before migration 0022, want NULL", table, vals[i])
						}
						continue
					}
					if c == "recorded_at" && table != "rotations" { // 0009 adds it, NULL for the rows before it
						if vals[i] != nil {
							t.Errorf("%s: recorded_at %v of a row written before migration 0009, want NULL", table, vals[i])
						}
						continue
					}
					b.WriteString(c + "=")
					b.WriteString(fmtValue(vals[i]) + ";")
				}
				b.WriteString("\n")
			}
			rows.Close()
			out[table] = b.String()
		}
		return out
	}
	before := dump(old)
	s := upgrade(t, old, path)
	ctx := t.Context()
	after := dump(s.db)
	for table, rows := range before {
		if after[table] != rows {
			t.Errorf("%s after the upgrade:\n%s\nwant\n%s", table, after[table], rows)
		}
	}
	// 0031 fills each credential's deadline with its current cycle's, as
	// its latest terms state it.
	if n := count(t, s.db, `SELECT COUNT(*) FROM credentials c WHERE c.deadline IS NOT
		(SELECT t.deadline FROM cycle_terms t WHERE t.rotation_id = c.rotation_id ORDER BY t.id DESC LIMIT 1)`); n != 0 {
		t.Errorf("%d credentials whose deadline after the upgrade is not their current cycle's", n)
	}
	if n := count(t, s.db, `SELECT COUNT(*) FROM credentials WHERE deadline IS NULL`); n != 0 {
		t.Errorf("%d credentials without a deadline after the upgrade", n)
	}
	if n := count(t, s.db, `SELECT COUNT(*) FROM pragma_foreign_key_check`); n != 0 {
		t.Errorf("%d foreign key violations after the upgrade", n)
	}
	var ok string
	if err := s.db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Errorf("integrity_check = %q, %v", ok, err)
	}
	for _, trigger := range []string{"rotations_no_update", "rotations_no_delete"} {
		if n := count(t, s.db, `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'trigger' AND name = ? AND tbl_name = 'rotations'`, trigger); n != 1 {
			t.Errorf("trigger %s: %d after the upgrade, want 1", trigger, n)
		}
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE rotations SET note = 'edited' WHERE id = 12`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("UPDATE of a rotation after the upgrade: %v, want refused as append-only", err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM rotations WHERE id = 7`); err == nil {
		t.Errorf("DELETE of a rotation after the upgrade succeeded")
	}
	if n := count(t, s.db, `SELECT COUNT(*) FROM sqlite_temp_schema WHERE name = 'rotations_0006'`); n != 0 {
		t.Errorf("the migration's temporary copy is left behind")
	}
	// The foreign keys still hold: a rotation of an unknown credential is refused.
	if _, err := s.db.ExecContext(ctx, `INSERT INTO rotations (credential_id, rotated_at, source, recorded_at) VALUES ('nope', '2026-07-01T00:00:00Z', 'cli', '2026-07-01T00:00:00Z')`); err == nil {
		t.Errorf("a rotation of an unknown credential was accepted after the upgrade")
	}

	// The widened CHECK: an sp-api rotation is recorded; an unknown source is not.
	alpha, err := s.Cycle(ctx, "alpha")
	if err != nil || alpha.RotationID != 12 || alpha.AckBy != "alice" {
		t.Fatalf("alpha after the upgrade = rotation %d acked by %q, %v; want 12 acked by alice", alpha.RotationID, alpha.AckBy, err)
	}
	if err := s.RecordRotation(ctx, domain.Rotation{CredentialID: "alpha", RotatedAt: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), Source: domain.SourceSPAPI}, t0); err != nil {
		t.Errorf("sp-api rotation after the upgrade: %v", err)
	}
	if err := s.RecordRotation(ctx, domain.Rotation{CredentialID: "beta", RotatedAt: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), Source: "carrier-pigeon"}, t0); err == nil {
		t.Errorf("a rotation with an unknown source was accepted")
	}
	// The superseded pending delivery of the old cycle, from before the upgrade.
	var status string
	if err := s.db.QueryRowContext(ctx, `SELECT status FROM deliveries WHERE id = 2`).Scan(&status); err != nil || status != domain.StatusSuperseded {
		t.Errorf("delivery 2 after the sp-api rotation: %q %v, want superseded", status, err)
	}
}

func fmtValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return string(x)
	default:
		return fmt.Sprint(x)
	}
}

// databaseAt0002 makes a database as notifier left it at migration 0002
// (0001 and 0002 applied and recorded), runs stmts on it, and returns it
// open, foreign keys on.
func databaseAt0002(t *testing.T, path string, stmts ...string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	all := []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`}
	for i, name := range []string{"0001_init.sql", "0002_service.sql"} {
		body, err := fs.ReadFile(migrations.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, string(body), `INSERT INTO schema_migrations VALUES (`+string(rune('1'+i))+`, '`+strings.TrimSuffix(name, ".sql")+`', '2026-02-01T08:00:00Z')`)
	}
	for _, stmt := range append(all, stmts...) {
		if _, err := db.ExecContext(t.Context(), stmt); err != nil {
			t.Fatalf("%.60s: %v", stmt, err)
		}
	}
	return db
}

// upgrade closes the old database and opens it as the store, which
// migrates it; the store is closed when the test ends.
func upgrade(t *testing.T, old *sql.DB, path string) *Store {
	t.Helper()
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open of a 0002 database: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
