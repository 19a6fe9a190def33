package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlstore"
)

// shared is the methods both stores have alike (sqlstore.Store), which
// Store embeds.
type shared = sqlstore.Store

// newShared is the shared methods over this store's reads and writes.
func (s *Store) newShared() *shared { return sqlstore.NewStore(s.reader(), s.update) }

// dialect is how this store writes what both stores say alike
// (sqlstore.Dialect): times as UTC RFC 3339 text, booleans as integers.
type dialect struct{}

func (dialect) Time(t time.Time) any       { return FormatTime(t) }
func (dialect) IsTrue(col string) string   { return col + " = 1" }
func (dialect) TimeText(col string) string { return col }

func (dialect) Param(string) string              { return "?" }
func (dialect) DueSet() string                   { return dueSet }
func (dialect) IsNotDistinct(a, b string) string { return a + " IS " + b }
func (dialect) IDBatch() int                     { return sentBatch }
func (dialect) MoveBatch() int                   { return moveBatch }

func (dialect) InIDs(col string, ids []int64) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return col + ` IN (` + placeholders(len(ids)) + `)`, args
}

// sentBatch bounds the ids in one IN list; moveBatch is how many cycles
// one statement moves the next action of (4 parameters each).
const (
	sentBatch = 500
	moveBatch = 250
)

// placeholders is n comma-separated ? (an IN list, a VALUES row).
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func (dialect) CycleColumns() string { return cycleColumns }

func (dialect) ScanCredential(s sqlstore.Scanner, extra ...any) (sqlstore.Credential, error) {
	c, err := scanCred(s, extra...)
	return sqlstore.Credential(c), err
}

func (dialect) ScanCycle(s sqlstore.Scanner, extra ...any) (domain.Cycle, error) {
	return scanCycle(s, extra...)
}

// reader is the store's read side as sqlstore.DB.
type reader struct {
	dialect
	db *sql.DB
}

func (r reader) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return r.db.QueryContext(ctx, query, args...)
}

func (r reader) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return r.db.QueryRowContext(ctx, query, args...)
}

func (s *Store) reader() reader { return reader{db: s.db} }

// The write transaction as sqlstore.Tx.

func (t *tx) Exec(query string, args ...any) (sql.Result, error) { return t.exec(query, args...) }
func (t *tx) Query(query string, args ...any) (*sql.Rows, error) { return t.query(query, args...) }
func (t *tx) QueryRow(query string, args ...any) *sql.Row        { return t.queryRow(query, args...) }
func (t *tx) InsertEvent(e domain.Event) error                   { return t.insertEvent(e) }
func (t *tx) Rotation(id int64) (domain.Rotation, error)         { return t.rotation(id) }
func (t *tx) PutCredential(c domain.Credential, active bool, now time.Time) error {
	return t.putCredential(c, active, now)
}
func (t *tx) Retire(id string, now time.Time, detail string) error { return t.retire(id, now, detail) }
func (t *tx) MarkDue(id string, when time.Time) error              { return t.markDue(id, when) }

func (t *tx) Insert(query string, args ...any) (int64, bool, error) {
	res, err := t.exec(query, args...)
	if err != nil {
		return 0, false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, false, nil
	}
	id, err := res.LastInsertId()
	return id, true, err
}

// NotifyDue: one process writes a SQLite database; nobody to tell.
func (t *tx) NotifyDue() error { return nil }

func (t *tx) InsertRotation(r domain.Rotation, now time.Time) (int64, error) {
	return t.insertRotation(r, now)
}

func (t *tx) ActiveCredential(id string) (sqlstore.Credential, error) {
	c, err := t.activeCredential(id)
	return sqlstore.Credential(c), err
}
