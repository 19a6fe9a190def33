package postgres

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/notifier-dev/notifier/internal/store/copydb"
	"github.com/notifier-dev/notifier/migrations"
)

// OpenReadOnly connects for reading only: no migration runs, and every
// transaction is READ ONLY (default_transaction_read_only), so an
// auditor's command cannot write, whatever the role may. A database whose
// schema is older than this binary's is refused, naming the command that
// upgrades it.
func OpenReadOnly(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", Redact(url), redactErr(err, ""))
	}
	cfg.RuntimeParams["timezone"] = "UTC"
	cfg.RuntimeParams["application_name"] = "notifier (read-only)"
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	s := &Store{db: stdlib.OpenDB(*cfg), url: Redact(url)}
	s.shared = s.newShared()
	s.db.SetMaxOpenConns(4)
	files, err := fs.Glob(migrations.Postgres, "postgres/*.sql")
	if err != nil {
		s.db.Close()
		return nil, err
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("store: %s: %w", s.url, redactErr(err, cfg.Password))
	}
	if n < len(files) {
		s.db.Close()
		return nil, fmt.Errorf("store: %s has %d of this notifier's %d PostgreSQL migrations: run notifier migrate first", s.url, n, len(files))
	}
	return s, nil
}

// CopySide is the database as notifier copy-db reads or writes it.
func (s *Store) CopySide() copydb.DB {
	return copydb.DB{DB: s.db, Dialect: copydb.Postgres, Name: s.url}
}
