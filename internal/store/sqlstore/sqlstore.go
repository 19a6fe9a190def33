// Package sqlstore is notifier's store: every decision and rule of the
// record, written once, over a small Driver per database (River's seam:
// the decisions in one core, thin drivers). What a sync, a rotation, an
// acknowledgment, an SP-API notice, an AWS source version, a probe and a
// rotation request do to a credential's cycle and history; how planning's
// outcome is recorded and what is due is read; how deliveries are claimed
// and their outcomes recorded; how the history is appended, hash chained,
// and verified; how a report is assembled; the lease; the migrations'
// bookkeeping and the transactions' plumbing.
//
// A driver (internal/store/sqlite, internal/store/postgres) opens its
// database, begins transactions with its own lock (SQLite's write mutex
// and BEGIN IMMEDIATE, PostgreSQL's advisory lock), runs statements in
// its own way (SQLite's prepared statements, PostgreSQL's numbered
// placeholders) and writes the few snippets its dialect says differently
// (Dialect). Its Store embeds this package's Store and adds what only it
// has (a backup, LISTEN/NOTIFY, its migrations' record).
//
// Queries here have ? placeholders (the PostgreSQL driver numbers them).
// Times are time.Time, UTC at whole seconds; each driver turns them into
// what it stores (RFC 3339 text on SQLite, timestamptz on PostgreSQL) with
// Dialect.Time, and they read back with TimeOf and NullTimeOf, which take
// either.
package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// Scanner is one row: *sql.Row, *sql.Rows.
type Scanner interface{ Scan(dest ...any) error }

// Dialect is how a driver writes what the store says alike.
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
	// Arrays says whether a list of values is one array parameter
	// (PostgreSQL's = ANY(?)) rather than a list of placeholders (In).
	Arrays() bool
	// IDBatch bounds the values of one In list.
	IDBatch() int
	// MoveBatch is how many cycles one statement moves the next action
	// of (4 parameters each).
	MoveBatch() int
	// AddBatch is how many new credentials one round of a sync's
	// statements adds.
	AddBatch() int
	// LockRows is what a SELECT ends with to lock the rows it reads to the
	// transaction's end (FOR UPDATE, SKIP LOCKED to pass over those another
	// transaction holds), "" where the write lock already holds them all.
	LockRows(skipLocked bool) string
	// NotifySQL is the statement that tells the other replicas, at the
	// commit, that cycles became due (PostgreSQL's NOTIFY); "" where
	// there are none.
	NotifySQL() string
	// StoredOrder is how a query reads the rows of credentials c in the
	// order they are stored rather than through an index on col: col as
	// a condition's operand no index serves, and the ORDER BY that reads
	// the file sequentially ("": any order).
	StoredOrder(col string) (operand, orderBy string)
}

// Reader runs queries outside a write transaction: the driver's pool, or
// one of its read snapshots.
type Reader interface {
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
}

// Querier is what *sql.DB, *sql.Conn and *sql.Tx have in common.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ReaderOf is q as a Reader, each query rewritten by bind first (the
// driver's placeholders; nil keeps the query as it is).
func ReaderOf(q Querier, bind func(string) string) Reader { return reader{q, bind} }

type reader struct {
	q    Querier
	bind func(string) string
}

func (r reader) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if r.bind != nil {
		query = r.bind(query)
	}
	return r.q.QueryContext(ctx, query, args...)
}

func (r reader) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if r.bind != nil {
		query = r.bind(query)
	}
	return r.q.QueryRowContext(ctx, query, args...)
}

// Conn is a driver's open transaction: its statements (? placeholders),
// run in the driver's own way.
type Conn interface {
	Exec(query string, args ...any) (sql.Result, error)
	Query(query string, args ...any) (*sql.Rows, error)
	QueryRow(query string, args ...any) *sql.Row
	// Insert runs an INSERT of one row (ON CONFLICT DO NOTHING or not)
	// and returns the row's id and whether it was added: SQLite's last
	// insert id, PostgreSQL's RETURNING id.
	Insert(query string, args ...any) (id int64, inserted bool, err error)
	Commit() error
	// Rollback ends the transaction (a no-op after Commit) and gives its
	// lock back.
	Rollback()
}

// Driver is a database as the store uses it.
type Driver interface {
	Dialect
	// Reader is the pool: reads outside any write transaction.
	Reader
	// Begin starts a transaction: one holding the database's write lock
	// when exclusive, else one that only a driver with row locks runs
	// beside the writers (PostgreSQL's claims). Its error says what
	// failed ("store: begin: ...").
	Begin(ctx context.Context, exclusive bool) (Conn, error)
	// Retry says whether a transaction that failed with err is run again
	// from scratch (PostgreSQL's deadlocks, serialization failures, cut
	// connections).
	Retry(err error) bool
	// Snapshot opens n readers that all see one committed state, side by
	// side, and the function that closes them.
	Snapshot(ctx context.Context, n int) ([]Reader, func(), error)
	// Parallel opens up to n readers (at least one) that all see one
	// committed state, each on a connection of its own: n goroutines
	// read side by side. A driver that cannot give several on one state
	// gives one.
	Parallel(ctx context.Context, n int) ([]Reader, func(), error)
	// Name is the database in messages: a path, a URL without its
	// password.
	Name() string
	// FirstRotations records the first rotation of each credential of
	// creds, all just added, with the source src, at its
	// config_rotated_at, and makes it the credential's current one; it
	// returns them in id order. Each driver has its fastest way (SQLite's
	// consecutive rowids, PostgreSQL's RETURNING).
	FirstRotations(t *Tx, creds []domain.Credential, src string, now time.Time) ([]domain.Rotation, error)
	// SyncStarted is called first in a sync's transaction and returns
	// what to undo at its end (SQLite's larger page cache).
	SyncStarted(t *Tx) (done func(), err error)
	// Synced is called after a sync of n credentials committed
	// (PostgreSQL's ANALYZE after a large one).
	Synced(ctx context.Context, n int)
	// NoChain says what an error reading the chain's record means (a
	// database older than the chain), nil for the plain error.
	NoChain(err error) error
}

// Credential is a credentials row as the decisions read it: the
// credential as last synced, whether it is active, and its current cycle.
type Credential struct {
	domain.Credential
	Active     bool
	RotationID int64
	NextAction time.Time
}

// Store is an open notifier database: the methods of every backend,
// written once over its driver. A backend's Store embeds it.
type Store struct {
	db Driver
	// auditKey keys the events' hash chain (HMAC-SHA-256); empty: SHA-256.
	auditKey []byte
	// eventSQL holds the inserts of whole batches of events, by shape.
	eventSQL sync.Map
	// wall is the real clock: when a record was recorded, whatever moment
	// it says it happened at.
	wall func() time.Time
	// writes counts the committed write transactions (WriteGeneration).
	writes atomic.Uint64
}

// WriteGeneration counts the write transactions this Store has committed,
// bumped once each commit returns: an answer read while it was g (read
// after every write that had returned) is still true of the record while
// it is g. Claims and leases, the senders' and the lease keeper's
// bookkeeping that no view reads, do not count, or a daemon's lease
// renewals would make every answer old. Writes of other processes (a
// `notifier ack` from a shell, another replica) are not counted either.
// /metrics serves a kept answer only while this is unchanged.
func (s *Store) WriteGeneration() uint64 { return s.writes.Load() }

// New is the store over a driver. By default its wall clock is time.Now
// (WithWallClock) and its chain unkeyed (WithAuditKey).
func New(d Driver, opts ...Option) *Store {
	s := &Store{db: d, wall: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Option configures a store.
type Option func(*Store)

// WithAuditKey makes the store hash the events it appends with
// HMAC-SHA-256 under key (the config's audit.key) instead of SHA-256, so
// that someone with the database alone cannot recompute the chain. Once a
// database's chain is keyed, appending without that key is refused.
func WithAuditKey(key []byte) Option {
	return func(s *Store) { s.auditKey = bytes.Clone(key) }
}

// WithWallClock sets the real clock the store reads for when it records
// something (nil keeps time.Now): the daemon's, which a test build can
// start at another moment.
func WithWallClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.wall = now
		}
	}
}

// Recorded is the moment a record is written at: the wall clock, UTC at
// whole seconds, never the moment the record says it happened at.
func (s *Store) Recorded() time.Time { return s.wall().UTC().Truncate(time.Second) }

// Tx is a write transaction: the driver's statements and dialect, the
// history's events it appends (buffered, see InsertEvent) and the chain's
// head once read.
type Tx struct {
	Conn
	Dialect
	store  *Store
	events []domain.Event
	head   *chainHead
	// exclusive: the transaction holds the write lock. Only such a
	// transaction appends events, so that the chain is appended in one
	// order (a claim's transaction, which runs beside others on
	// PostgreSQL, must not).
	exclusive bool
	// recorded is the moment the transaction's records are written at,
	// read from the wall clock once (see Recorded).
	recorded time.Time
	// bookkeeping: the transaction writes only claims or leases, which no
	// view reads; its commit leaves WriteGeneration as it is.
	bookkeeping bool
}

// Recorded is when the transaction records what it writes: the store's
// wall clock (Store.Recorded), read once, so that every record of one
// transaction has the same recorded_at. Never the now or --at a command
// acts at.
func (t *Tx) Recorded() time.Time {
	if t.recorded.IsZero() {
		t.recorded = t.store.Recorded()
	}
	return t.recorded
}

// txAttempts bounds how often a transaction the driver says to retry is
// run again.
const txAttempts = 5

// Update runs fn in one write transaction under the write lock, committed
// (with the events it appended) if fn returns nil and rolled back
// otherwise: nothing is half-written. fn may run again from scratch where
// the driver retries, so it resets what it collects. The store's methods
// use it; a driver's tests and migrations too.
func (s *Store) Update(ctx context.Context, fn func(*Tx) error) error { return s.run(ctx, true, fn) }

// update is Update, as the methods here call it.
func (s *Store) update(ctx context.Context, fn func(*Tx) error) error { return s.run(ctx, true, fn) }

// run runs fn in a transaction, under the write lock when exclusive.
func (s *Store) run(ctx context.Context, exclusive bool, fn func(*Tx) error) error {
	var err error
	for range txAttempts {
		if err = s.runOnce(ctx, exclusive, fn); err == nil || !s.db.Retry(err) {
			return err
		}
	}
	return err
}

func (s *Store) runOnce(ctx context.Context, exclusive bool, fn func(*Tx) error) error {
	c, err := s.db.Begin(ctx, exclusive)
	if err != nil {
		return err
	}
	defer c.Rollback()
	t := &Tx{Conn: c, Dialect: s.db, store: s, exclusive: exclusive}
	if err := fn(t); err != nil {
		return err
	}
	if err := t.flushEvents(); err != nil {
		return err
	}
	err = c.Commit()
	if !t.bookkeeping {
		// Also after a failed commit: it may have been applied.
		s.writes.Add(1)
	}
	if err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// In is the condition that col is one of vals, and its parameters: one
// array where the dialect has them, else a list of placeholders.
func In[T any](d Dialect, col string, vals []T) (string, []any) {
	if d.Arrays() {
		return col + ` = ANY(?)`, []any{vals}
	}
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	return col + ` IN (` + Placeholders(len(vals)) + `)`, args
}

// Placeholders is n comma-separated ? (an IN list, a VALUES row).
func Placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
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
