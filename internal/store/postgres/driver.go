package postgres

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlstore"
)

// driver is a PostgreSQL database as sqlstore uses it (sqlstore.Driver).
type driver struct {
	dialect
	sqlstore.Reader // the pool
	db              *sql.DB
	url             string // without its password
}

// dialect is how PostgreSQL writes what the store says alike: times as
// timestamptz, booleans as booleans, lists as one array parameter.
type dialect struct{}

func (dialect) Time(t time.Time) any                    { return sqlstore.StoredTime(t) }
func (dialect) IsTrue(col string) string                { return col }
func (dialect) Param(sqlType string) string             { return "?::" + sqlType }
func (dialect) IsNotDistinct(a, b string) string        { return a + " IS NOT DISTINCT FROM " + b }
func (dialect) Arrays() bool                            { return true }
func (dialect) IDBatch() int                            { return 5000 }
func (dialect) MoveBatch() int                          { return 1000 }
func (dialect) AddBatch() int                           { return 1000 }
func (dialect) NotifySQL() string                       { return `SELECT pg_notify('` + dueChannel + `', '')` }
func (dialect) StoredOrder(col string) (string, string) { return col, "" }
func (d *driver) Name() string                          { return d.url }
func (d *driver) NoChain(error) error                   { return nil }

// TimeText renders a timestamptz as SQLite stores it.
func (dialect) TimeText(col string) string {
	return `to_char(` + col + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`
}

// DueSet moves a next action as sqlstore.Tx.MarkDue says.
func (dialect) DueSet() string {
	return `next_action_at = CASE WHEN next_action_at IS NULL OR next_action_at > ?::timestamptz THEN ?::timestamptz
	ELSE next_action_at - interval '1 second' END`
}

// LockRows locks what a credential's decision reads (an acknowledgment
// and a rotation of it at once) and lets replicas claim side by side.
func (dialect) LockRows(skipLocked bool) string {
	if skipLocked {
		return ` FOR UPDATE SKIP LOCKED`
	}
	return ` FOR UPDATE`
}

// Retry runs again a transaction PostgreSQL aborted for a deadlock or a
// serialization failure (a claim meeting a writer), or one whose
// connection was cut before it did anything.
func (d *driver) Retry(err error) bool {
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

// Begin starts a transaction, under the write lock (see the package
// comment) when exclusive.
func (d *driver) Begin(ctx context.Context, exclusive bool) (sqlstore.Conn, error) {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: begin: %w", &beginError{err})
	}
	// The transaction's first statement: a cut connection shows here.
	first, args := `SELECT 1`, []any(nil)
	if exclusive {
		first, args = `SELECT pg_advisory_xact_lock($1)`, []any{int64(writeLock)}
	}
	if _, err := tx.ExecContext(ctx, first, args...); err != nil {
		tx.Rollback()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("store: begin: %w", err)
		}
		return nil, fmt.Errorf("store: begin: %w", &beginError{err})
	}
	return conn{tx: tx, ctx: ctx}, nil
}

// conn is a transaction: its queries' ? placeholders numbered.
type conn struct {
	tx  *sql.Tx
	ctx context.Context
}

func (c conn) Commit() error { return c.tx.Commit() }
func (c conn) Rollback()     { c.tx.Rollback() }

func (c conn) Exec(query string, args ...any) (sql.Result, error) {
	return c.tx.ExecContext(c.ctx, bind(query), args...)
}

func (c conn) QueryRow(query string, args ...any) *sql.Row {
	return c.tx.QueryRowContext(c.ctx, bind(query), args...)
}

func (c conn) Query(query string, args ...any) (*sql.Rows, error) {
	return c.tx.QueryContext(c.ctx, bind(query), args...)
}

// Insert reads the row's id with RETURNING.
func (c conn) Insert(query string, args ...any) (id int64, inserted bool, err error) {
	err = c.QueryRow(query+` RETURNING id`, args...).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, err
	}
	return id, true, nil
}

// bind numbers the ? placeholders of a query as PostgreSQL's $1, $2, …:
// the queries read as SQLite's do. No query here has a ? of its own (no
// jsonb operators, none in string literals).
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

// FirstRotations records the first rotations of a batch with one INSERT,
// read back with RETURNING, and makes them current with one UPDATE from
// arrays.
func (d *driver) FirstRotations(t *sqlstore.Tx, batch []domain.Credential, src string, now time.Time) ([]domain.Rotation, error) {
	ids := make([]string, len(batch))
	for i, c := range batch {
		ids[i] = c.ID
	}
	rows, err := t.Query(`INSERT INTO rotations (credential_id, rotated_at, source, recorded_at)
		SELECT id, config_rotated_at, ?, ? FROM credentials WHERE id = ANY(?) ORDER BY id
		RETURNING id, credential_id, rotated_at`, src, t.Time(t.Recorded()), ids)
	rots, err := sqlstore.Collect(rows, err, func(r sqlstore.Scanner) (domain.Rotation, error) {
		x := domain.Rotation{Source: src}
		err := r.Scan(&x.ID, &x.CredentialID, sqlstore.TimeOf(&x.RotatedAt))
		return x, err
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(rots, func(a, b domain.Rotation) int { return cmp.Compare(a.ID, b.ID) })
	rids := make([]int64, len(rots))
	cids := make([]string, len(rots))
	for i, r := range rots {
		rids[i], cids[i] = r.ID, r.CredentialID
	}
	if _, err := t.Exec(`UPDATE credentials SET rotation_id = v.rid FROM unnest(?::text[], ?::bigint[]) AS v(id, rid) WHERE credentials.id = v.id`,
		cids, rids); err != nil {
		return nil, err
	}
	return rots, nil
}

// SyncStarted: nothing to change for a sync.
func (d *driver) SyncStarted(*sqlstore.Tx) (func(), error) { return func() {}, nil }

// Parallel is Snapshot: its readers are connections of their own already.
func (d *driver) Parallel(ctx context.Context, n int) ([]sqlstore.Reader, func(), error) {
	return d.Snapshot(ctx, n)
}

// Snapshot opens n read-only REPEATABLE READ transactions that see the
// same committed state: the first exports its snapshot, the others adopt
// it. Each is a connection of its own (one connection cannot interleave
// the rows of several queries).
func (d *driver) Snapshot(ctx context.Context, n int) ([]sqlstore.Reader, func(), error) {
	opts := &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	var txs []*sql.Tx
	done := func() {
		for _, tx := range txs {
			tx.Rollback()
		}
	}
	fail := func(err error) ([]sqlstore.Reader, func(), error) {
		done()
		return nil, nil, fmt.Errorf("store: read: %w", err)
	}
	var snapshot string
	for len(txs) < n {
		tx, err := d.db.BeginTx(ctx, opts)
		if err != nil {
			return fail(err)
		}
		txs = append(txs, tx)
		if len(txs) == 1 {
			err = tx.QueryRowContext(ctx, `SELECT pg_export_snapshot()`).Scan(&snapshot)
		} else {
			// The id is the server's own ("00000003-0000001B-1"): quoted
			// as a literal, for SET takes no parameter.
			_, err = tx.ExecContext(ctx, `SET TRANSACTION SNAPSHOT '`+strings.ReplaceAll(snapshot, "'", "")+`'`)
		}
		if err != nil {
			return fail(err)
		}
	}
	readers := make([]sqlstore.Reader, n)
	for i, tx := range txs {
		readers[i] = sqlstore.ReaderOf(tx, bind)
	}
	return readers, done, nil
}
