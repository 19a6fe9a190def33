// Package backend opens the database a DSN names: a postgres:// or
// postgresql:// URL is PostgreSQL, anything else a SQLite file. It is the
// one place that knows both backends; everyone else names a role of
// package store.
//
// It is not package store itself because the backends' own tests run the
// conformance suite, which imports package store: store importing the
// backends would close an import cycle.
package backend

import (
	"context"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store"
	"github.com/notifier-dev/notifier/internal/store/postgres"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
	"github.com/notifier-dev/notifier/internal/store/sqlstore"
)

// Option configures Open.
type Option func(*options)

type options struct {
	auditKey []byte
	wall     func() time.Time
}

// WithAuditKey keys the history's hash chain (the config's audit.key; nil
// for none).
func WithAuditKey(key []byte) Option { return func(o *options) { o.auditKey = key } }

// WithWallClock sets the real clock the store records at (nil: time.Now);
// the daemon passes its own, which a test build can start elsewhere.
func WithWallClock(now func() time.Time) Option { return func(o *options) { o.wall = now } }

// IsPostgres reports whether dsn names a PostgreSQL database rather than a
// SQLite file.
func IsPostgres(dsn string) bool { return domain.IsDatabaseURL(dsn) }

// Open opens the database dsn names, applying every pending migration.
func Open(ctx context.Context, dsn string, opts ...Option) (store.Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	// A failed open returns a nil interface, never one holding a nil store.
	if IsPostgres(dsn) {
		s, err := postgres.Open(ctx, dsn, postgres.WithAuditKey(o.auditKey), postgres.WithWallClock(o.wall))
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	s, err := sqlite.Open(ctx, dsn, sqlite.WithAuditKey(o.auditKey), sqlite.WithWallClock(o.wall))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// ErrNoDatabase is OpenReadOnly's error when there is no database yet.
var ErrNoDatabase = sqlstore.ErrNoDatabase

// OpenReadOnly opens the database dsn names for reading only; without a
// database (no SQLite file, no schema in PostgreSQL) it creates nothing
// and returns an error wrapping ErrNoDatabase.
func OpenReadOnly(ctx context.Context, dsn string) (store.ReadOnly, error) {
	if IsPostgres(dsn) {
		s, err := postgres.OpenReadOnly(ctx, dsn)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	s, err := sqlite.OpenReadOnly(ctx, dsn)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Replicated says whether several `notifier run` share the database: on
// PostgreSQL they do, and share the work; on SQLite one holds the lease.
func Replicated(dsn string) bool { return IsPostgres(dsn) }

// Name is the database as logs and messages show it: a URL without its
// password.
func Name(dsn string) string {
	if IsPostgres(dsn) {
		return postgres.Redact(dsn)
	}
	return dsn
}

// Password is the password a URL carries, "" for none: a secret the
// caller registers with its redactor.
func Password(dsn string) string { return postgres.Password(dsn) }

// Migrations lists the applied migrations of a store Open opened, as
// `notifier migrate` prints them.
func Migrations(ctx context.Context, s store.Store) ([]string, error) {
	var out []string
	switch s := s.(type) {
	case *sqlite.Store:
		ms, err := s.Migrations(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			out = append(out, fmt.Sprintf("%04d %s (applied %s)", m.Version, m.Name, m.AppliedAt))
		}
	case *postgres.Store:
		ms, err := s.Migrations(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			out = append(out, fmt.Sprintf("%04d %s (postgres, applied %s)", m.Version, m.Name, m.AppliedAt.Format(time.RFC3339)))
		}
	default:
		return nil, fmt.Errorf("migrations: %T is not a store backend.Open opens", s)
	}
	return out, nil
}
