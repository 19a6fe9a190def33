// Package db is notifier's SQLite store: the migration runner, the tables of
// credentials, rotations, deliveries (the outbox), acknowledgments and
// events, and the audit queries. It knows nothing of Slack or YAML.
//
// The database is opened once, in WAL mode with foreign keys on and a busy
// timeout. Writes go through Update, which owns the transaction and hands
// a *Tx to small helpers; reads are DB methods.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // the sqlite3 driver

	"github.com/notifier-dev/notifier/migrations"
)

// TimeLayout is how every time is stored: UTC RFC 3339, which sorts as text.
const TimeLayout = time.RFC3339

// FormatTime renders t for storage.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// ParseTime reads a stored time.
func ParseTime(s string) (time.Time, error) { return time.Parse(TimeLayout, s) }

// DB is an open notifier database.
type DB struct {
	db   *sql.DB
	path string
}

// Open opens (creating if needed) the database at path and applies every
// pending migration, each in its own transaction.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("db: %q: give a file path", path)
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", "NORMAL")
	q.Set("_cache_size", "-32768") // 32 MiB of page cache: a tick over 100,000 credentials reads every row
	q.Set("_txlock", "immediate")  // writers take the lock up front: no upgrade deadlocks
	// The DSN is a URI: escape the path, or a '?', '#' or '%' in a folder
	// name would open another file.
	sqlDB, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	d := &DB{db: sqlDB, path: path}
	if err := d.migrate(ctx); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return d, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// Path is the database file.
func (d *DB) Path() string { return d.path }

// Migration is one applied schema change.
type Migration struct {
	Version   int
	Name      string
	AppliedAt string
}

func (d *DB) migrate(ctx context.Context) error {
	if _, err := d.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`); err != nil {
		return fmt.Errorf("db: migrations table: %w", err)
	}
	files, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return fmt.Errorf("db: migrations: %w", err)
	}
	sort.Strings(files)
	for _, name := range files {
		version, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("db: migration %s: name must start with a number", name)
		}
		if err := d.applyMigration(ctx, version, name); err != nil {
			return err
		}
	}
	return nil
}

func (d *DB) applyMigration(ctx context.Context, version int, name string) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: migration %s: %w", name, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return fmt.Errorf("db: migration %s: %w", name, err)
	}
	if n > 0 {
		return nil
	}
	body, err := fs.ReadFile(migrations.FS, name)
	if err != nil {
		return fmt.Errorf("db: migration %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("db: migration %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		version, strings.TrimSuffix(name, ".sql"), FormatTime(time.Now())); err != nil {
		return fmt.Errorf("db: migration %s: %w", name, err)
	}
	return tx.Commit()
}

// Migrations lists the applied migrations, oldest first.
func (d *DB) Migrations(ctx context.Context) ([]Migration, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("db: migrations: %w", err)
	}
	defer rows.Close()
	var out []Migration
	for rows.Next() {
		var m Migration
		if err := rows.Scan(&m.Version, &m.Name, &m.AppliedAt); err != nil {
			return nil, fmt.Errorf("db: migrations: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Tx is a write transaction; its helpers are the only way to change data.
type Tx struct {
	tx    *sql.Tx
	ctx   context.Context
	stmts map[string]*sql.Stmt
}

// Update runs fn in one write transaction, committed if fn returns nil and
// rolled back otherwise: nothing is half-written.
func (d *DB) Update(ctx context.Context, fn func(*Tx) error) error {
	sqlTx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	tx := &Tx{tx: sqlTx, ctx: ctx, stmts: map[string]*sql.Stmt{}}
	defer func() {
		for _, s := range tx.stmts {
			s.Close()
		}
		sqlTx.Rollback()
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

// exec runs a statement, preparing it once per transaction: a sync of
// 100,000 credentials runs the same few statements many times.
func (tx *Tx) exec(query string, args ...any) (sql.Result, error) {
	st, ok := tx.stmts[query]
	if !ok {
		var err error
		if st, err = tx.tx.PrepareContext(tx.ctx, query); err != nil {
			return nil, err
		}
		tx.stmts[query] = st
	}
	return st.ExecContext(tx.ctx, args...)
}

func (tx *Tx) queryRow(query string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(tx.ctx, query, args...)
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

// ErrNotFound is returned when a row asked for does not exist.
var ErrNotFound = errors.New("not found")
