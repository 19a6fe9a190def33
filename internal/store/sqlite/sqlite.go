// Package sqlite is notifier's SQLite driver: the store itself
// (internal/store/sqlstore) over one database file, in WAL mode with
// foreign keys on and a busy timeout. What is SQLite's own is here: the
// DSN and its pragmas, write transactions queued behind a Go mutex and
// BEGIN IMMEDIATE with a prepared-statement cache each, the dialect (times
// as RFC 3339 text, booleans as integers), the first sync's first
// rotations read from consecutive rowids, a larger page cache while a sync
// writes, read-only opening, and backups (VACUUM INTO).
package sqlite

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/notifier-dev/notifier/internal/store/sqlstore"
	"github.com/notifier-dev/notifier/migrations"
)

// TimeLayout is how every time is stored: UTC RFC 3339, which sorts as text.
const TimeLayout = time.RFC3339

// FormatTime renders t for storage.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// ParseTime reads a stored time.
func ParseTime(s string) (time.Time, error) { return time.Parse(TimeLayout, s) }

// Store is an open notifier database on SQLite: the store (sqlstore),
// and what only a SQLite database has (Path, Backup, Migrations as SQLite
// records them, CopySide). It is a type of its own, not a
// *sqlstore.Store, so that callers that need those (backup, migrate,
// copy-db) can tell the backends apart.
type Store struct {
	*sqlstore.Store
	db   *sql.DB
	path string
	drv  *driver
	// immutable is the file as a view opened it without a lock
	// (OpenReadOnly with no -wal); Close compares the file with it.
	immutable os.FileInfo
}

// Option configures Open.
type Option = sqlstore.Option

// WithAuditKey keys the history's hash chain (sqlstore.WithAuditKey).
func WithAuditKey(key []byte) Option { return sqlstore.WithAuditKey(key) }

// WithWallClock sets the clock records are recorded at (sqlstore.WithWallClock).
func WithWallClock(now func() time.Time) Option { return sqlstore.WithWallClock(now) }

// newStore is the store over the database db at path.
func newStore(db *sql.DB, path string, opts []Option) *Store {
	d := &driver{Reader: sqlstore.ReaderOf(db, nil), db: db, path: path}
	return &Store{Store: sqlstore.New(d, opts...), db: db, path: path, drv: d}
}

// Open opens (creating if needed) the database at path and applies every
// pending migration, each in its own transaction. WithAuditKey keys the
// history's hash chain.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("store: %q: give a file path", path)
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
	// The file is created here, once (an empty file is an empty SQLite
	// database), and every connection opens it read-write without
	// creating it: a connection the pool opens after the file was deleted
	// under the daemon fails, rather than making a new empty database at
	// the path.
	if err := create(path); err != nil {
		return nil, err
	}
	q.Set("mode", "rw")
	// The DSN is a URI: escape the path, or a '?', '#' or '%' in a folder
	// name would open another file.
	sqlDB := sql.OpenDB(connector{dsn: "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()})
	bound(sqlDB)
	s := newStore(sqlDB, path, opts)
	if err := retryBusy(ctx, busyAttempts, busyPause, func() error { return s.migrate(ctx) }); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return s, nil
}

// create makes an empty file at path unless one is there.
func create(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return f.Close()
}

// The page cache, in KiB (negative): small every day, larger while a sync
// of many credentials writes.
const (
	cacheSize     = "-2048"
	syncCacheSize = "-32768"
)

// SoftHeapLimit bounds all the memory SQLite holds in this process (every
// connection's page cache, in-memory temporary B-trees, statements): past
// it, page caches reuse their pages instead of growing. It leaves room
// for a sync's larger cache (syncCacheSize) beside the everyday ones.
//
// At a million credentials, 50 clients paging through the console kept
// every one of the pool's connections busy, each with an 8 MiB cache
// filled by the fleet's scans: 64 MB of the daemon's 150. An everyday
// cache of 2 MiB is plenty for what a tick or a page reads (tens of rows
// by index); the operating system's file cache, outside the process,
// serves the rest.
const SoftHeapLimit = 48 << 20

// The connection pool's bound. Every connection is a file descriptor on
// the database (and its -wal) and a page cache of up to 8 MiB, so an
// unbounded pool grew to hundreds of connections (and gigabytes) under a
// flood of HTTP readers. Eight is enough: SQLite admits one writer at a
// time (writeMu queues this process's), and in WAL mode readers run beside
// it, so one writer, the dispatcher's and the daemon's reads, and a few
// HTTP readers fit; more readers wait their turn for a connection instead
// of opening one. Two idle connections are kept; the rest are closed (with
// their page caches) after a minute idle.
const (
	MaxOpenConns    = 8
	MaxIdleConns    = 2
	ConnMaxIdleTime = time.Minute
)

// bound applies the pool's bound to db.
func bound(db *sql.DB) {
	db.SetMaxOpenConns(MaxOpenConns)
	db.SetMaxIdleConns(MaxIdleConns)
	db.SetConnMaxIdleTime(ConnMaxIdleTime)
}

// connector opens connections with the pragmas the DSN cannot carry.
type connector struct{ dsn string }

// sqlite3Driver keeps temporary B-trees and statement journals in memory: a
// multi-row statement inside a transaction journals every page it touches
// so that it alone can be undone, and on disk those journals were most of
// a first sync's writes.
//
// Checkpoints (copying the write-ahead log into the database, with an
// fsync) happen every 10,000 pages of log rather than SQLite's 1,000: they
// run inside whichever commit crosses the mark, and every one of them
// stalled the dispatcher's claims behind it. The daemon checkpoints when
// idle instead (Store.Checkpoint), so that the file alone holds the record.
var sqlite3Driver = &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
	_, err := c.Exec(fmt.Sprintf("PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 10000; PRAGMA soft_heap_limit = %d", SoftHeapLimit), nil)
	return err
}}

func (c connector) Connect(context.Context) (sqldriver.Conn, error) { return sqlite3Driver.Open(c.dsn) }
func (c connector) Driver() sqldriver.Driver                        { return sqlite3Driver }

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

// maxPageCount is SQLite's own ceiling on a database's pages.
const maxPageCount = 0xfffffffe

// LimitPages makes every later write transaction run under SQLite's
// max_page_count = pages (never below the database's current size), so that
// a write that needs a new page fails with SQLite's own SQLITE_FULL,
// "database or disk is full", as on a full disk; pages <= 0 lifts the
// limit again. Tests fill a real database with it where they cannot fill
// a real filesystem.
func (s *Store) LimitPages(pages int64) {
	if pages <= 0 {
		pages = maxPageCount
	}
	s.drv.pageLimit.Store(pages)
}

// Close closes the database.
func (s *Store) Close() error {
	err := s.db.Close()
	if s.immutable != nil && err == nil && changed(s.path, s.immutable) {
		return fmt.Errorf("store: %s: %w", s.path, ErrChangedWhileRead)
	}
	return err
}

// changed says whether the file at path is no longer the one was: another
// file, or the same written since.
func changed(path string, was os.FileInfo) bool {
	now, err := os.Stat(path)
	return err != nil || !os.SameFile(was, now) || now.Size() != was.Size() || !now.ModTime().Equal(was.ModTime())
}

// Stats is the connection pool's statistics.
func (s *Store) Stats() sql.DBStats { return s.db.Stats() }

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Migration is one applied schema change.
type Migration struct {
	Version   int
	Name      string
	AppliedAt string
}

// migrationFiles is this binary's migrations.
func migrationFiles() sqlstore.Migrations { return sqlstore.Migrations{FS: migrations.FS, Dir: "."} }

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`); err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	files, err := migrationFiles().Files()
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := s.Update(ctx, func(t *sqlstore.Tx) error {
			return migrationFiles().Apply(t, t, f, t.Conn.(*conn).script, time.Now())
		}); err != nil {
			return err
		}
	}
	return nil
}

// Migrations lists the applied migrations, oldest first.
func (s *Store) Migrations(ctx context.Context) ([]Migration, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	out, err := sqlstore.Collect(rows, err, func(r sqlstore.Scanner) (m Migration, err error) {
		err = r.Scan(&m.Version, &m.Name, &m.AppliedAt)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	return out, nil
}

// Checkpoint copies the write-ahead log's committed pages into the
// database file (store.Checkpointer), so that the file alone holds the
// record: the daemon calls it when idle, since wal_autocheckpoint is set
// high to keep checkpoints out of the dispatcher's commits. (A one-shot
// command needs none: closing the last connection checkpoints.)
//
// PASSIVE, not TRUNCATE or RESTART: those wait, through the busy timeout,
// for every reader to leave the log, and a long report or an HTTP reader
// would hold the daemon up. PASSIVE never waits and never blocks a reader
// or a writer; what it cannot copy yet (pages a reader's snapshot still
// needs) the next idle step copies. It runs outside the write mutex: a
// checkpoint is not a write transaction (it takes the log's checkpointer
// lock, not the writer's), writers go on appending to the log meanwhile,
// and holding the mutex would make the next commit wait for its fsync.
func (s *Store) Checkpoint(ctx context.Context) error {
	var busy, logFrames, copied int
	if err := s.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logFrames, &copied); err != nil {
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	return nil
}
