package main

import (
	"context"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/chain"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/store/copydb"
	"github.com/notifier-dev/notifier/internal/store/postgres"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
)

// daemonStore is what the daemon and the commands that write use: the
// engine's store, the lease, the history and Close. The SQLite store and
// the PostgreSQL store both are one; `database:` says which (a path, or a
// postgres:// URL).
type daemonStore interface {
	engine.Store
	AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (domain.Lease, bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
	History(ctx context.Context, f domain.HistoryFilter) ([]domain.Event, error)
	Close() error
}

// readerStore is what the read-only commands (history, report, status)
// use.
type readerStore interface {
	engine.Store
	History(ctx context.Context, f domain.HistoryFilter) ([]domain.Event, error)
	ReportCycles(ctx context.Context, f domain.ReportFilter, fn func(domain.CycleRecord) error) error
	SyncedTimezone(ctx context.Context) (string, error)
	VerifyChain(ctx context.Context, opts chain.Options) (chain.Report, error)
	ChainHead(ctx context.Context) (chain.Head, error)
	CopySide() copydb.DB
	Path() string
	Close() error
}

// openStore opens the database, applying migrations; auditKey (the
// config's audit.key, empty for none) keys the history's hash chain.
func openStore(ctx context.Context, database string, auditKey []byte) (daemonStore, error) {
	if postgres.IsURL(database) {
		return postgres.Open(ctx, database, postgres.WithAuditKey(auditKey))
	}
	return sqlite.Open(ctx, database, sqlite.WithAuditKey(auditKey))
}

// openReadOnly opens the database for reading only.
func openReadOnly(ctx context.Context, database string) (readerStore, error) {
	if postgres.IsURL(database) {
		return postgres.OpenReadOnly(ctx, database)
	}
	return sqlite.OpenReadOnly(ctx, database)
}

// isReplicated says whether several `notifier run` share the database:
// on PostgreSQL they do, and share the work (see Main.Run); on SQLite one
// holds the lease.
func isReplicated(database string) bool { return postgres.IsURL(database) }

// databaseName is the database as logs and messages show it: a URL
// without its password.
func databaseName(database string) string {
	if postgres.IsURL(database) {
		return postgres.Redact(database)
	}
	return database
}

// appliedMigrations lists the applied migrations of either store, as
// `notifier migrate` prints them.
func appliedMigrations(ctx context.Context, s daemonStore) ([]string, error) {
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
	}
	return out, nil
}
