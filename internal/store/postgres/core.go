package postgres

import (
	"context"
	"database/sql"
	"errors"
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
// (sqlstore.Dialect): times as timestamptz, booleans as booleans.
type dialect struct{}

func (dialect) Time(t time.Time) any     { return storedTime(t) }
func (dialect) IsTrue(col string) string { return col }

// TimeText renders a timestamptz as SQLite stores it.
func (dialect) TimeText(col string) string {
	return `to_char(` + col + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`
}

func (dialect) Param(sqlType string) string      { return "?::" + sqlType }
func (dialect) DueSet() string                   { return dueSet }
func (dialect) IsNotDistinct(a, b string) string { return a + " IS NOT DISTINCT FROM " + b }
func (dialect) IDBatch() int                     { return idBatch }
func (dialect) MoveBatch() int                   { return moveBatch }

// idBatch bounds the ids in one array parameter; moveBatch is how many
// cycles one statement moves the next action of (4 parameters each).
const (
	idBatch   = 5000
	moveBatch = 1000
)

// InIDs is one array parameter.
func (dialect) InIDs(col string, ids []int64) (string, []any) {
	return col + ` = ANY(?)`, []any{ids}
}

func (dialect) CycleColumns() string { return cycleColumns }

func (dialect) ScanCredential(s sqlstore.Scanner, extra ...any) (sqlstore.Credential, error) {
	c, err := scanCred(s, extra...)
	return sqlstore.Credential(c), err
}

func (dialect) ScanCycle(s sqlstore.Scanner, extra ...any) (domain.Cycle, error) {
	return scanCycle(s, extra...)
}

// reader is the store's read side as sqlstore.DB (? placeholders bound).
type reader struct {
	dialect
	s *Store
}

func (r reader) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return r.s.query(ctx, query, args...)
}

func (r reader) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return r.s.queryRow(ctx, query, args...)
}

func (s *Store) reader() reader { return reader{s: s} }

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
func (t *tx) NotifyDue() error                                     { return t.notifyDue() }

func (t *tx) Insert(query string, args ...any) (id int64, inserted bool, err error) {
	err = t.queryRow(query+` RETURNING id`, args...).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, err
	}
	return id, true, nil
}

func (t *tx) InsertRotation(r domain.Rotation, now time.Time) (int64, error) {
	return t.insertRotation(r, now)
}

// ActiveCredential is locked (FOR UPDATE) to the transaction's end.
func (t *tx) ActiveCredential(id string) (sqlstore.Credential, error) {
	c, err := t.activeCredential(id)
	return sqlstore.Credential(c), err
}

// txReader is a read-only transaction (a snapshot) as sqlstore.DB.
type txReader struct {
	dialect
	tx *sql.Tx
}

func (r txReader) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return r.tx.QueryContext(ctx, bind(query), args...)
}

func (r txReader) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return r.tx.QueryRowContext(ctx, bind(query), args...)
}
