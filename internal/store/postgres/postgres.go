// Package postgres is notifier's PostgreSQL store: the same tables and the
// same intent-named methods as the SQLite store (internal/store/sqlite),
// for installations where several `notifier run` replicas share one
// database. It passes the same conformance suite (internal/store/storetest).
//
// PostgreSQL's own tools where they are better: times are timestamptz,
// claims are taken with SELECT … FOR UPDATE SKIP LOCKED, the append-only
// rules are triggers, ids are identities.
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
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlstore"
	"github.com/notifier-dev/notifier/migrations"
)

// writeLock is the advisory lock key of the store's write transactions
// ("notifier" in ASCII, truncated to 63 bits).
const writeLock = 0x6e6f746966696572

// Store is an open notifier database on PostgreSQL.
type Store struct {
	// The methods both stores have alike, written once (sqlstore).
	*shared
	db  *sql.DB
	url string // without its password
	// auditKey keys the events' hash chain (HMAC-SHA-256); empty: SHA-256.
	auditKey []byte
}

// storedTime is t as it reads back once stored: UTC, whole seconds (as on
// SQLite, so that both backends answer alike).
func storedTime(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// FormatTime renders a time in messages and events, as SQLite stores it.
func FormatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

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
	s := &Store{db: stdlib.OpenDB(*cfg), url: Redact(url)}
	s.shared = s.newShared()
	for _, o := range opts {
		o(s)
	}
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
	files, err := fs.Glob(migrations.Postgres, "postgres/*.sql")
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	sort.Strings(files)
	for _, path := range files {
		name := strings.TrimPrefix(path, "postgres/")
		version, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("store: migration %s: name must start with a number", name)
		}
		if err := applyMigration(ctx, conn, version, path); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, conn *sql.Conn, version int, path string) error {
	name := strings.TrimSuffix(strings.TrimPrefix(path, "postgres/"), ".sql")
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migration %s: %w", name, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, version).Scan(&n); err != nil {
		return fmt.Errorf("store: migration %s: %w", name, err)
	}
	if n > 0 {
		return nil
	}
	body, err := fs.ReadFile(migrations.Postgres, path)
	if err != nil {
		return fmt.Errorf("store: migration %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("store: migration %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())`, version, name); err != nil {
		return fmt.Errorf("store: migration %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migration %s: %w", name, err)
	}
	return nil
}

// Migrations lists the applied migrations, oldest first.
func (s *Store) Migrations(ctx context.Context) ([]Migration, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	defer rows.Close()
	var out []Migration
	for rows.Next() {
		var m Migration
		if err := rows.Scan(&m.Version, &m.Name, &m.AppliedAt); err != nil {
			return nil, fmt.Errorf("store: migrations: %w", err)
		}
		m.AppliedAt = m.AppliedAt.UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}

// tx is a write transaction, with the history's events it appends.
type tx struct {
	dialect
	tx    *sql.Tx
	ctx   context.Context
	store *Store
	// The events appended and not yet written, and the chain's head once
	// read (see insertEvent).
	events []domain.Event
	head   *chainHead
}

// update runs fn in one write transaction under the write lock (see the
// package comment), committed if fn returns nil and rolled back
// otherwise: nothing is half-written.
func (s *Store) update(ctx context.Context, fn func(*tx) error) error {
	return s.transact(ctx, true, fn)
}

// transact runs fn in a transaction, under the write lock when exclusive.
// A transaction PostgreSQL aborts for a deadlock or a serialization
// failure (a claim meeting a writer) is run again, a few times: fn must
// start from scratch each time (the methods reset what they collect).
func (s *Store) transact(ctx context.Context, exclusive bool, fn func(*tx) error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if err = s.transactOnce(ctx, exclusive, fn); !retryable(err) {
			return err
		}
	}
	return err
}

func retryable(err error) bool {
	var pe *pgconn.PgError
	var be *beginError
	return errors.As(err, &be) || errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// beginError is a transaction that failed before doing anything: most
// often a pooled connection that a PostgreSQL restart cut (57P01), which
// the pool finds out only by using it. Nothing was written; another
// connection is tried.
type beginError struct{ err error }

func (e *beginError) Error() string { return e.err.Error() }
func (e *beginError) Unwrap() error { return e.err }

func (s *Store) transactOnce(ctx context.Context, exclusive bool, fn func(*tx) error) error {
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", &beginError{err})
	}
	defer sqlTx.Rollback()
	// The transaction's first statement: a cut connection shows here.
	first, args := `SELECT 1`, []any(nil)
	if exclusive {
		first, args = `SELECT pg_advisory_xact_lock($1)`, []any{int64(writeLock)}
	}
	if _, err := sqlTx.ExecContext(ctx, first, args...); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("store: begin: %w", err)
		}
		return fmt.Errorf("store: begin: %w", &beginError{err})
	}
	t := &tx{tx: sqlTx, ctx: ctx, store: s}
	if err := fn(t); err != nil {
		return err
	}
	if err := t.flushEvents(); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// bind numbers the ? placeholders of a query as PostgreSQL's $1, $2, …:
// the queries read as the SQLite store's do. No query here has a ? of its
// own (no jsonb operators, none in string literals).
func bind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func (t *tx) exec(query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(t.ctx, bind(query), args...)
}

func (t *tx) queryRow(query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(t.ctx, bind(query), args...)
}

func (t *tx) query(query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(t.ctx, bind(query), args...)
}

func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return s.db.QueryContext(ctx, bind(query), args...)
}

func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return s.db.QueryRowContext(ctx, bind(query), args...)
}

// nullTime stores a zero time as NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return storedTime(t)
}

// timeOf reads a nullable time, UTC.
func timeOf(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

func nullString(s string) any { return sqlstore.NullString(s) }
func nullID(id int64) any     { return sqlstore.NullID(id) }

// eventBatch is how many events one INSERT appends (12 parameters each).
const eventBatch = 500

// insertEvent appends to the history. Events are buffered and written in
// multi-row statements, every eventBatch events and before the commit.
func (t *tx) insertEvent(e domain.Event) error {
	t.events = append(t.events, e)
	if len(t.events) >= eventBatch {
		return t.flushEvents()
	}
	return nil
}
