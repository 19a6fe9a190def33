package daemon

import (
	"context"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/store/postgres"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
)

// The store as the daemon sees it. Declared here only, to be replaced by
// the store's roles (internal/store) when they exist.

// Store is what the daemon and the commands that write use: the engine's
// store, the lease, the history and Close. The SQLite store and the
// PostgreSQL store both are one; `database:` says which (a path, or a
// postgres:// URL).
type Store interface {
	engine.Store
	LeaseStore
	History(ctx context.Context, f domain.HistoryFilter) ([]domain.Event, error)
	Close() error
}

// LeaseStore holds the database's leases (LeaseKeeper).
type LeaseStore interface {
	AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (domain.Lease, bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

// dueListener is a store that says when another process made a cycle due
// for planning (PostgreSQL's LISTEN/NOTIFY).
type dueListener interface {
	ListenDue(ctx context.Context, fn func()) error
}

// OpenStore opens the database, applying migrations; auditKey (the
// config's audit.key, empty for none) keys the history's hash chain.
func OpenStore(ctx context.Context, database string, auditKey []byte) (Store, error) {
	if postgres.IsURL(database) {
		return postgres.Open(ctx, database, postgres.WithAuditKey(auditKey))
	}
	return sqlite.Open(ctx, database, sqlite.WithAuditKey(auditKey))
}

// Replicated says whether several `notifier run` share the database: on
// PostgreSQL they do, and share the work (see Daemon.Run); on SQLite one
// holds the lease.
func Replicated(database string) bool { return postgres.IsURL(database) }
