package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/notifier-dev/notifier/internal/store/copydb"
	"github.com/notifier-dev/notifier/internal/store/sqlstore"
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
	s := newStore(stdlib.OpenDB(*cfg), Redact(url), nil)
	s.db.SetMaxOpenConns(4)
	files, err := migrationFiles().Files()
	if err != nil {
		s.db.Close()
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	applied, err := sqlstore.Collect(rows, err, sqlstore.ScanID)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42P01" { // undefined_table: not migrated
		s.db.Close()
		return nil, fmt.Errorf("store: %s: %w", s.url, sqlstore.ErrNoDatabase)
	}
	if err != nil {
		s.db.Close()
		return nil, fmt.Errorf("store: %s: %w", s.url, redactErr(err, cfg.Password))
	}
	if missing := sqlstore.Missing(files, applied); len(missing) > 0 {
		s.db.Close()
		return nil, fmt.Errorf("store: %s has %d of this notifier's %d PostgreSQL migrations: run notifier migrate first", s.url, len(files)-len(missing), len(files))
	}
	return s, nil
}

// CopySide is the database as notifier copy-db reads or writes it.
func (s *Store) CopySide() copydb.DB {
	return copydb.DB{DB: s.db, Dialect: copydb.Postgres, Name: s.url}
}

// ClaimsOf lists the pending deliveries under a claim whose claimant's
// name contains part ("" for any claimant, expired claims included): what
// an operator asks of a replica that died mid-send, and what tests check.
func (s *Store) ClaimsOf(ctx context.Context, part string) (map[int64]bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM deliveries WHERE status = 'pending' AND claimed_by IS NOT NULL AND strpos(claimed_by, $1) > 0`, part)
	ids, err := sqlstore.Collect(rows, err, sqlstore.ScanID)
	if err != nil {
		return nil, fmt.Errorf("store: claims: %w", err)
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}
