// Package postgres is notifier's PostgreSQL driver: the store itself
// (internal/store/sqlstore) over a PostgreSQL database, for installations
// where several `notifier run` replicas share one database. It passes the
// same conformance suite (internal/store/storetest) as SQLite's.
//
// What is PostgreSQL's own is here: connecting (a URL whose password never
// reaches an error), the dialect (timestamptz, booleans, arrays, numbered
// placeholders, RETURNING), claims taken with SELECT … FOR UPDATE SKIP
// LOCKED, LISTEN/NOTIFY, read snapshots shared between connections, and
// ANALYZE after a large sync.
//
// Writers are serialized as SQLite's are: every write transaction but a
// claim takes one transaction-level advisory lock first, across every
// process on the database. The store's methods were written for one writer
// at a time (read, decide, write), and the hash-chained history needs its
// events appended in one order; a lock taken first and held to the commit
// gives both, with no deadlock between writers. Claims, the dispatcher's
// hot path, do not take it: SKIP LOCKED lets replicas claim side by side.
// Reads never wait for it.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlstore"
	"github.com/notifier-dev/notifier/migrations"
)

// writeLock is the advisory lock key of the store's write transactions
// ("notifier" in ASCII, truncated to 63 bits).
const writeLock = 0x6e6f746966696572

// Store is an open notifier database on PostgreSQL: the store
// (sqlstore), and what only PostgreSQL has (ListenDue, ClaimsOf,
// Migrations as PostgreSQL records them, CopySide). It is a type of its
// own, not a *sqlstore.Store, so that callers can tell the backends apart.
type Store struct {
	*sqlstore.Store
	db  *sql.DB
	url string // without its password
}

// Option configures Open.
type Option = sqlstore.Option

// WithAuditKey keys the history's hash chain (sqlstore.WithAuditKey).
func WithAuditKey(key []byte) Option { return sqlstore.WithAuditKey(key) }

// WithWallClock sets the clock records are recorded at (sqlstore.WithWallClock).
func WithWallClock(now func() time.Time) Option { return sqlstore.WithWallClock(now) }

// newStore is the store over the database db (its URL without password).
func newStore(db *sql.DB, url string, opts []Option) *Store {
	return &Store{Store: sqlstore.New(&driver{Reader: sqlstore.ReaderOf(db, bind), db: db, url: url}, opts...), db: db, url: url}
}

// IsURL reports whether database names a PostgreSQL database rather than
// a SQLite file.
func IsURL(database string) bool { return domain.IsDatabaseURL(database) }

// Open connects to the database the URL names (the password from the URL,
// PGPASSWORD or ~/.pgpass, as libpq does) and applies every pending
// migration, each in its own transaction. Errors never carry the password.
// WithAuditKey keys the history's hash chain.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", Redact(url), redactErr(err, ""))
	}
	// Every time is handed over as UTC; the session's zone changes nothing
	// stored but keeps what psql shows readable.
	cfg.RuntimeParams["timezone"] = "UTC"
	cfg.RuntimeParams["application_name"] = "notifier"
	s := newStore(stdlib.OpenDB(*cfg), Redact(url), opts)
	s.db.SetMaxOpenConns(16)
	s.db.SetMaxIdleConns(4)
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, redactErr(err, cfg.Password)
	}
	return s, nil
}

// Redact is the URL with its password, if any, replaced.
func Redact(raw string) string {
	i := strings.Index(raw, "://")
	if i < 0 {
		return raw
	}
	rest := raw[i+3:]
	at := strings.LastIndex(strings.SplitN(rest, "/", 2)[0], "@")
	if at < 0 {
		return raw
	}
	userinfo := rest[:at]
	if u, _, ok := strings.Cut(userinfo, ":"); ok {
		return raw[:i+3] + u + ":xxxxx" + rest[at:]
	}
	return raw
}

// Password is the password the URL carries, "" for none: what the caller
// registers with the redactor.
func Password(url string) string {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return ""
	}
	return cfg.Password
}

// redactErr removes the password from an error's text; the driver does not
// echo it today, but an error is no place to trust that.
func redactErr(err error, password string) error {
	if err == nil || password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), password, "xxxxx"))
}

// Close closes the connections.
func (s *Store) Close() error { return s.db.Close() }

// Path is the database's URL, without its password.
func (s *Store) Path() string { return s.url }

// Migration is one applied schema change.
type Migration struct {
	Version   int
	Name      string
	AppliedAt time.Time
}

func (s *Store) migrate(ctx context.Context) error {
	// Replicas starting at once: the lock makes one of them migrate while
	// the others wait, then find nothing to do.
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: connect: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(writeLock)); err != nil {
		return fmt.Errorf("store: connect: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(writeLock))
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`); err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	files, err := migrationFiles().Files()
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := applyMigration(ctx, conn, f); err != nil {
			return err
		}
	}
	return nil
}

// migrationFiles is this binary's migrations.
func migrationFiles() sqlstore.Migrations {
	return sqlstore.Migrations{FS: migrations.Postgres, Dir: "postgres"}
}

// applyMigration applies f in a transaction of its own on conn, which
// holds the lock.
func applyMigration(ctx context.Context, c *sql.Conn, f sqlstore.MigrationFile) error {
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migration %s: %w", f.Name, err)
	}
	t := conn{tx: tx, ctx: ctx}
	defer t.Rollback()
	run := func(script string) error {
		_, err := tx.ExecContext(ctx, script)
		return err
	}
	if err := migrationFiles().Apply(t, dialect{}, f, run, time.Now()); err != nil {
		return err
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("store: migration %s: %w", f.Name, err)
	}
	return nil
}

// Migrations lists the applied migrations, oldest first.
func (s *Store) Migrations(ctx context.Context) ([]Migration, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	out, err := sqlstore.Collect(rows, err, func(r sqlstore.Scanner) (m Migration, err error) {
		err = r.Scan(&m.Version, &m.Name, sqlstore.TimeOf(&m.AppliedAt))
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	return out, nil
}
