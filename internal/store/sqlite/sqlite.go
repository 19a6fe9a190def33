// Package sqlite is notifier's SQLite store: credentials, rotations (the
// cycles), acknowledgments, deliveries (the outbox), events (the history),
// config files, claims and the lease. It knows nothing of Slack or YAML.
//
// The database is opened once, in WAL mode with foreign keys on and a busy
// timeout. Every exported method is named for what it means, owns its
// transaction and calls small helpers that take the *tx, as in Ben
// Johnson's wtf. Nothing here is SQLite-only in meaning: claims are rows
// with an expiry, the lease is a row, next actions are indexed times.
package sqlite

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlstore"
	"github.com/notifier-dev/notifier/migrations"
)

// TimeLayout is how every time is stored: UTC RFC 3339, which sorts as text.
const TimeLayout = time.RFC3339

// FormatTime renders t for storage.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// storedTime is t as it reads back once stored: UTC, whole seconds. A time
// is compared with a stored one only in this form, or a fraction of a
// second would make an unchanged time look newer.
func storedTime(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// ParseTime reads a stored time.
func ParseTime(s string) (time.Time, error) { return time.Parse(TimeLayout, s) }

// Store is an open notifier database.
type Store struct {
	// The methods both stores have alike, written once (sqlstore).
	*shared
	db   *sql.DB
	path string
	// writeMu queues this process's write transactions in Go: SQLite lets
	// one writer in at a time, and its busy handler makes the others sleep
	// for milliseconds at a time, which the dispatcher's claims and group
	// commits would otherwise spend most of their time doing. Other
	// processes still wait through the busy timeout.
	writeMu sync.Mutex
	// auditKey keys the events' hash chain (HMAC-SHA-256); empty: SHA-256.
	auditKey []byte
	// eventSQL holds the inserts of whole batches of events, by shape
	// (under writeMu).
	eventSQL map[eventShape]string
}

// Open opens (creating if needed) the database at path and applies every
// pending migration, each in its own transaction. WithAuditKey keys the
// history's hash chain.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("store: %q: give a file path", path)
	}
	s := &Store{path: path}
	for _, o := range opts {
		o(s)
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", "NORMAL")
	// A tick reads only what is due: a small page cache keeps an idle
	// daemon small even at a million credentials.
	q.Set("_cache_size", cacheSize)
	q.Set("_txlock", "immediate") // writers take the lock up front: no upgrade deadlocks
	// The DSN is a URI: escape the path, or a '?', '#' or '%' in a folder
	// name would open another file.
	sqlDB := sql.OpenDB(connector{dsn: "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()})
	s.db = sqlDB
	s.shared = s.newShared()
	if err := retryBusy(ctx, busyAttempts, busyPause, func() error { return s.migrate(ctx) }); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return s, nil
}

// The page cache, in KiB (negative): small every day, larger while a sync
// of many credentials writes.
const (
	cacheSize     = "-8192"
	syncCacheSize = "-32768"
)

// connector opens connections with the pragmas the DSN cannot carry.
type connector struct{ dsn string }

// driver keeps temporary B-trees and statement journals in memory: a
// multi-row statement inside a transaction journals every page it touches
// so that it alone can be undone, and on disk those journals were most of
// a first sync's writes.
//
// Checkpoints (copying the write-ahead log into the database, with an
// fsync) happen every 10,000 pages of log rather than SQLite's 1,000: they
// run inside whichever commit crosses the mark, and every one of them
// stalled the dispatcher's claims behind it.
var driver = &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
	_, err := c.Exec("PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 10000", nil)
	return err
}}

func (c connector) Connect(context.Context) (sqldriver.Conn, error) { return driver.Open(c.dsn) }
func (c connector) Driver() sqldriver.Driver                        { return driver }

// busyAttempts and busyPause bound how Open tries again on a new database
// that another process opening it has locked.
const (
	busyAttempts = 50
	busyPause    = 20 * time.Millisecond
)

// retryBusy runs f until it returns anything but SQLITE_BUSY, at most
// attempts times, pausing between tries, and gives up early when ctx is
// done. Processes that open a new database at once race to switch it to
// WAL, and SQLite refuses the losers at once, busy timeout or not; every
// migration checks whether it was applied, so migrating again is safe.
func retryBusy(ctx context.Context, attempts int, pause time.Duration, f func() error) error {
	for n := 1; ; n++ {
		err := f()
		var se sqlite3.Error
		if err == nil || !errors.As(err, &se) || se.Code != sqlite3.ErrBusy || n == attempts {
			return err
		}
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
	}
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Migration is one applied schema change.
type Migration struct {
	Version   int
	Name      string
	AppliedAt string
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`); err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	files, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	sort.Strings(files)
	for _, name := range files {
		version, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("store: migration %s: name must start with a number", name)
		}
		if err := s.applyMigration(ctx, version, name); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, version int, name string) error {
	return s.update(ctx, func(tx *tx) error {
		var n int
		if err := tx.queryRow(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
			return fmt.Errorf("store: migration %s: %w", name, err)
		}
		if n > 0 {
			return nil
		}
		body, err := fs.ReadFile(migrations.FS, name)
		if err != nil {
			return fmt.Errorf("store: migration %s: %w", name, err)
		}
		if _, err := tx.tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("store: migration %s: %w", name, err)
		}
		_, err = tx.exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			version, strings.TrimSuffix(name, ".sql"), FormatTime(time.Now()))
		if err != nil {
			return fmt.Errorf("store: migration %s: %w", name, err)
		}
		return nil
	})
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
		out = append(out, m)
	}
	return out, rows.Err()
}

// tx is a write transaction with its prepared statements: a sync of
// thousands of credentials runs the same few statements many times.
type tx struct {
	dialect
	tx    *sql.Tx
	ctx   context.Context
	stmts map[string]*sql.Stmt
	store *Store
	// The events appended and not yet written, and the chain's head once
	// read (see insertEvent).
	events []domain.Event
	head   *chainHead
}

// update runs fn in one write transaction, committed if fn returns nil and
// rolled back otherwise: nothing is half-written.
func (s *Store) update(ctx context.Context, fn func(*tx) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	t := &tx{tx: sqlTx, ctx: ctx, stmts: map[string]*sql.Stmt{}, store: s}
	defer func() {
		for _, st := range t.stmts {
			st.Close()
		}
		sqlTx.Rollback()
	}()
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

func (t *tx) stmt(query string) (*sql.Stmt, error) {
	st, ok := t.stmts[query]
	if !ok {
		var err error
		if st, err = t.tx.PrepareContext(t.ctx, query); err != nil {
			return nil, err
		}
		t.stmts[query] = st
	}
	return st, nil
}

func (t *tx) exec(query string, args ...any) (sql.Result, error) {
	st, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	// Not t.ctx itself: the driver runs a statement that ctx can cancel on
	// a goroutine of its own, and that handoff between threads cost more
	// than the statement in a first sync. A cancelled ctx still ends the
	// transaction (database/sql rolls it back) and the next statement
	// fails; a statement here is short.
	return st.ExecContext(context.WithoutCancel(t.ctx), args...)
}

func (t *tx) queryRow(query string, args ...any) *sql.Row {
	st, err := t.stmt(query)
	if err != nil {
		return t.tx.QueryRowContext(t.ctx, query, args...) // reports the same error on Scan
	}
	return st.QueryRowContext(t.ctx, args...)
}

func (t *tx) query(query string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(t.ctx, args...)
}

// nullTime stores a zero time as NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return FormatTime(t)
}

func parseNullTime(s sql.NullString) (time.Time, error) {
	if !s.Valid || s.String == "" {
		return time.Time{}, nil
	}
	return ParseTime(s.String)
}

func nullString(s string) any { return sqlstore.NullString(s) }
func nullID(id int64) any     { return sqlstore.NullID(id) }
