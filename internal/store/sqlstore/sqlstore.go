// Package sqlstore is what the SQLite and the PostgreSQL stores decide
// alike, written once: what a rotation, an acknowledgment, an SP-API
// notice, an AWS source version, a probe and a rotation request do to a
// credential's cycle and history; how planning's outcome is recorded and
// what is due is read; how the history's chain is verified and a report
// assembled; how rows are read back. It is written against Tx, DB and
// Dialect, the few operations each backend implements in its own dialect
// (placeholders and casts, how a time or a boolean is stored, RETURNING,
// row locks); the backends keep their own strengths (SQLite's write mutex,
// PostgreSQL's advisory-locked writes, SKIP LOCKED claims and
// LISTEN/NOTIFY) and run what is here inside their own transactions. Each
// backend's Store embeds a Store of this package: its methods are the
// ones both have alike.
//
// Queries here are those both dialects read alike, with ? placeholders
// (the PostgreSQL store numbers them); a query that differs comes from the
// Dialect. Times are time.Time, UTC at whole seconds; each backend turns
// them into what it stores (RFC 3339 text on SQLite, timestamptz on
// PostgreSQL) with Dialect.Time, and reads them back with TimeOf and
// NullTimeOf, which take either.
package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// Scanner is one row: *sql.Row, *sql.Rows.
type Scanner interface{ Scan(dest ...any) error }

// Dialect is how a backend writes what both stores say alike.
type Dialect interface {
	// Time is t as a query parameter: UTC at whole seconds, as the
	// backend stores it.
	Time(t time.Time) any
	// IsTrue is the SQL condition that the boolean column col is true:
	// "col = 1" on SQLite's integers (as its partial indexes say it),
	// "col" on PostgreSQL.
	IsTrue(col string) string
	// TimeText is the SQL expression of the time column col as UTC RFC
	// 3339 text, as messages show it.
	TimeText(col string) string
	// Param is a query parameter of the SQL type sqlType, where the
	// dialect cannot tell it from the query ("?" on SQLite, "?::bigint"
	// on PostgreSQL).
	Param(sqlType string) string
	// IsNotDistinct is the condition that a equals b, NULL equal to NULL.
	IsNotDistinct(a, b string) string
	// DueSet is the SET of an UPDATE of credentials that makes their
	// cycles due for planning at the latest at a time, given twice as
	// parameters.
	DueSet() string
	// InIDs is the condition that the integer column col is one of ids,
	// and its parameters; IDBatch bounds the ids in one.
	InIDs(col string, ids []int64) (string, []any)
	IDBatch() int
	// MoveBatch is how many cycles one statement moves the next action
	// of (4 parameters each).
	MoveBatch() int
	// CycleColumns are a credential's columns and its current cycle's, as
	// ScanCycle reads them; the query joins credentials c with rotations r
	// on c.rotation_id.
	CycleColumns() string
	// ScanCredential reads a credential's columns (the first of
	// CycleColumns), then extra.
	ScanCredential(s Scanner, extra ...any) (Credential, error)
	// ScanCycle reads CycleColumns, then extra.
	ScanCycle(s Scanner, extra ...any) (domain.Cycle, error)
}

// Credential is a credentials row as the decisions read it: the
// credential as last synced, whether it is active, and its current cycle.
type Credential struct {
	domain.Credential
	Active     bool
	RotationID int64
	NextAction time.Time
}

// Tx is a backend's write transaction: its queries (? placeholders) and
// the small helpers every decision builds on, each in the backend's own
// dialect and with its own locking.
type Tx interface {
	Dialect
	Exec(query string, args ...any) (sql.Result, error)
	Query(query string, args ...any) (*sql.Rows, error)
	QueryRow(query string, args ...any) *sql.Row
	// Insert runs an INSERT of one row (ON CONFLICT DO NOTHING or not)
	// and returns the row's id and whether it was added: SQLite's last
	// insert id, PostgreSQL's RETURNING id.
	Insert(query string, args ...any) (id int64, inserted bool, err error)
	// InsertEvent appends an event to the hash-chained history.
	InsertEvent(e domain.Event) error
	// ActiveCredential is the credential a person or a source acts on,
	// locked for the transaction where the backend locks rows;
	// domain.ErrUnknownCredential or domain.ErrInactive otherwise.
	ActiveCredential(id string) (Credential, error)
	// Rotation is one rotation by id (domain.ErrNotFound).
	Rotation(id int64) (domain.Rotation, error)
	// InsertRotation records a rotation and its event and makes it the
	// credential's current cycle, due for planning; the old cycles'
	// pending deliveries become superseded.
	InsertRotation(r domain.Rotation, now time.Time) (int64, error)
	// MarkDue makes the credential's cycle due for planning at the latest
	// at when.
	MarkDue(id string, when time.Time) error
	// Retire makes a credential inactive (never deleted), its pending
	// deliveries superseded, with a history event saying why.
	Retire(id string, now time.Time, detail string) error
	// PutCredential writes a credential's row as the config describes it
	// (active or not), keeping its cycle.
	PutCredential(c domain.Credential, active bool, now time.Time) error
	// NotifyDue tells the other replicas, at the commit, that cycles
	// became due (PostgreSQL's NOTIFY); nothing where there are none.
	NotifyDue() error
}

// DB is a backend's read side: queries outside a write transaction, with
// ? placeholders.
type DB interface {
	Dialect
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
}

// Store is what both backends' stores do alike: the methods written once
// here, over the backend's read side and its write transactions. A
// backend's Store embeds it (NewStore), and its public methods are the
// backend's own.
type Store struct {
	db     DB
	update func(ctx context.Context, fn func(Tx) error) error
}

// NewStore is the shared methods of a backend whose reads go to db and
// whose write transactions update runs: fn in one transaction (the
// backend's *tx, a Tx), committed if it returns nil and rolled back
// otherwise, and run again from scratch where the backend retries.
func NewStore[T Tx](db DB, update func(ctx context.Context, fn func(T) error) error) *Store {
	return &Store{db: db, update: func(ctx context.Context, fn func(Tx) error) error {
		return update(ctx, func(t T) error { return fn(t) })
	}}
}

// StoredTime is t as it reads back once stored: UTC, whole seconds. A time
// is compared with a stored one only in this form, or a fraction of a
// second would make an unchanged time look newer.
func StoredTime(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// CeilSecond rounds up to a whole second: a bound with a fraction neither
// drops a stored time that is inside nor takes in one that is not.
func CeilSecond(t time.Time) time.Time {
	t = t.UTC()
	if s := t.Truncate(time.Second); !s.Equal(t) {
		return s.Add(time.Second)
	}
	return t
}

// FormatTime renders t as every message and event shows it (and as SQLite
// stores it): UTC RFC 3339.
func FormatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// MinTime is the earlier of a and b.
func MinTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// NullString stores "" as NULL.
func NullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// NullID stores a zero id as NULL.
func NullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
