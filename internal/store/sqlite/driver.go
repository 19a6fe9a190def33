package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlstore"
)

// driver is a SQLite database as sqlstore uses it (sqlstore.Driver).
type driver struct {
	dialect
	sqlstore.Reader // the pool
	db              *sql.DB
	path            string
	// writeMu queues this process's write transactions in Go: SQLite lets
	// one writer in at a time, and its busy handler makes the others sleep
	// for milliseconds at a time, which the dispatcher's claims and group
	// commits would otherwise spend most of their time doing. Other
	// processes still wait through the busy timeout.
	writeMu sync.Mutex
	// pageLimit, once set by Store.LimitPages, is applied to every write
	// transaction's connection (max_page_count is per connection).
	pageLimit atomic.Int64
	// beforeLast, when set (tests), runs in Parallel before its last
	// connection begins: where another process's commit would land.
	beforeLast func()
}

// dialect is how SQLite writes what the store says alike: times as UTC
// RFC 3339 text, booleans as integers, lists as placeholders.
type dialect struct{}

func (dialect) Time(t time.Time) any             { return FormatTime(t) }
func (dialect) IsTrue(col string) string         { return col + " = 1" }
func (dialect) TimeText(col string) string       { return col }
func (dialect) Param(string) string              { return "?" }
func (dialect) IsNotDistinct(a, b string) string { return a + " IS " + b }
func (dialect) Arrays() bool                     { return false }
func (dialect) LockRows(skipLocked bool) string  { return "" } // the write lock holds every row
func (dialect) NotifySQL() string                { return "" } // one process writes a SQLite database
func (dialect) StoredOrder(col string) (string, string) {
	return "+" + col, "c.rowid" // a unary plus: no index serves it
}
func (dialect) IDBatch() int                  { return 500 }
func (dialect) MoveBatch() int                { return 250 }
func (d *driver) Name() string                { return d.path }
func (d *driver) Retry(error) bool            { return false }
func (d *driver) Synced(context.Context, int) {}
func (d *driver) NoChain(err error) error     { return noChain(d.path, err) }

// AddBatch is how many new credentials one round of a sync's statements
// adds: each round copies its batch, and 200 at a time kept a first sync's
// memory flat without adding statements.
func (dialect) AddBatch() int { return addBatch }

const addBatch = 200

// DueSet moves a next action as sqlstore.Tx.MarkDue says, in text.
func (dialect) DueSet() string {
	return `next_action_at = CASE WHEN next_action_at IS NULL OR next_action_at > ? THEN ?
	ELSE strftime('%Y-%m-%dT%H:%M:%SZ', next_action_at, '-1 second') END`
}

// noChain is what an error reading the chain's record means: a database
// older than the chain (nil for the plain error).
func noChain(path string, err error) error {
	if strings.Contains(err.Error(), "no such table") {
		return fmt.Errorf("store: %s has no event chain yet (it predates migration 3): open it once with notifier (say, notifier migrate) to start one", path)
	}
	return nil
}

// conn is a write transaction with its prepared statements: a sync of
// thousands of credentials runs the same few statements many times.
type conn struct {
	tx     *sql.Tx
	ctx    context.Context
	stmts  map[string]*sql.Stmt
	unlock func()
}

// Begin takes the process's write mutex, then SQLite's write lock (the
// DSN's _txlock=immediate: writers take it up front, no upgrade
// deadlocks). Every transaction here is exclusive.
func (d *driver) Begin(ctx context.Context, _ bool) (sqlstore.Conn, error) {
	d.writeMu.Lock()
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		d.writeMu.Unlock()
		return nil, fmt.Errorf("store: begin: %w", err)
	}
	if n := d.pageLimit.Load(); n != 0 {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", n)); err != nil {
			tx.Rollback()
			d.writeMu.Unlock()
			return nil, fmt.Errorf("store: begin: %w", err)
		}
	}
	return &conn{tx: tx, ctx: ctx, stmts: map[string]*sql.Stmt{}, unlock: d.writeMu.Unlock}, nil
}

func (c *conn) Commit() error { return c.tx.Commit() }

func (c *conn) Rollback() {
	for _, st := range c.stmts {
		st.Close()
	}
	c.tx.Rollback()
	if c.unlock != nil {
		c.unlock()
		c.unlock = nil
	}
}

func (c *conn) stmt(query string) (*sql.Stmt, error) {
	st, ok := c.stmts[query]
	if !ok {
		var err error
		if st, err = c.tx.PrepareContext(c.ctx, query); err != nil {
			return nil, err
		}
		c.stmts[query] = st
	}
	return st, nil
}

func (c *conn) Exec(query string, args ...any) (sql.Result, error) {
	st, err := c.stmt(query)
	if err != nil {
		return nil, err
	}
	// Not c.ctx itself: the driver runs a statement that ctx can cancel on
	// a goroutine of its own, and that handoff between threads cost more
	// than the statement in a first sync. A cancelled ctx still ends the
	// transaction (database/sql rolls it back) and the next statement
	// fails; a statement here is short.
	return st.ExecContext(context.WithoutCancel(c.ctx), args...)
}

func (c *conn) QueryRow(query string, args ...any) *sql.Row {
	st, err := c.stmt(query)
	if err != nil {
		return c.tx.QueryRowContext(c.ctx, query, args...) // reports the same error on Scan
	}
	return st.QueryRowContext(c.ctx, args...)
}

func (c *conn) Query(query string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(c.ctx, args...)
}

// Insert reads the row's id from SQLite's last insert id.
func (c *conn) Insert(query string, args ...any) (int64, bool, error) {
	res, err := c.Exec(query, args...)
	if err != nil {
		return 0, false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, false, nil
	}
	id, err := res.LastInsertId()
	return id, true, err
}

// script runs several statements (a migration), unprepared.
func (c *conn) script(body string) error {
	_, err := c.tx.ExecContext(c.ctx, body)
	return err
}

// FirstRotations records the config's rotation of each of the credentials
// just added and returns them in id order. The rows are inserted in
// credential id order under the write lock, so SQLite gives them the
// consecutive rowids up to the last insert id, in that order: no row needs
// reading back.
func (d *driver) FirstRotations(t *sqlstore.Tx, batch []domain.Credential, src string, now time.Time) ([]domain.Rotation, error) {
	in, ids := sqlstore.In(t, "id", credentialIDs(batch))
	res, err := t.Exec(`INSERT INTO rotations (credential_id, rotated_at, source, recorded_at)
		SELECT id, config_rotated_at, ?, ? FROM credentials WHERE `+in+` ORDER BY id`, append([]any{src, t.Time(t.Recorded())}, ids...)...)
	if err != nil {
		return nil, err
	}
	last, err := res.LastInsertId()
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil || n != int64(len(batch)) {
		return nil, fmt.Errorf("%d first rotations recorded for %d credentials (%v)", n, len(batch), err)
	}
	out := make([]domain.Rotation, len(batch))
	for i, c := range batch {
		out[i] = domain.Rotation{CredentialID: c.ID, RotatedAt: c.RotatedAt}
	}
	slices.SortFunc(out, func(a, b domain.Rotation) int { return strings.Compare(a.CredentialID, b.CredentialID) })
	for i := range out {
		out[i].ID = last - int64(len(out)-1-i)
	}
	if _, err := t.Exec(`UPDATE credentials SET rotation_id = (SELECT MAX(r.id) FROM rotations r WHERE r.credential_id = credentials.id)
		WHERE `+in, ids...); err != nil {
		return nil, err
	}
	return out, nil
}

func credentialIDs(creds []domain.Credential) []string {
	ids := make([]string, len(creds))
	for i, c := range creds {
		ids[i] = c.ID
	}
	return ids
}

// SyncStarted gives a sync a larger page cache: a large sync touches more
// index pages than the everyday cache holds; a larger one for this
// transaction only saves rereading and rewriting them, and is given back
// after.
func (d *driver) SyncStarted(t *sqlstore.Tx) (func(), error) {
	c := t.Conn.(*conn)
	if _, err := c.tx.ExecContext(c.ctx, `PRAGMA cache_size = `+syncCacheSize); err != nil {
		return nil, fmt.Errorf("store: sync: %w", err)
	}
	return func() {
		c.tx.ExecContext(context.WithoutCancel(c.ctx), `PRAGMA cache_size = `+cacheSize+`; PRAGMA shrink_memory`)
	}, nil
}

// Parallel opens up to n readers, each on a connection of its own (so
// that n goroutines read at once, on n cores), that all see one committed
// state. SQLite shares no snapshot between connections; but read
// transactions begun one after the other see the same state when nothing
// was committed between the first's start and the last's, and PRAGMA
// data_version, read on the last connection before the first starts and
// again as the last starts, changes when another connection committed
// (or checkpointed) meanwhile. When commits keep coming between the
// starts (a daemon busy writing), it gives one reader: a view is one
// moment before it is fast. A connection the pool cannot give at once
// (a daemon's pool held by others) is done without, for a caller holding
// one and waiting for another could wait on another such caller.
func (d *driver) Parallel(ctx context.Context, n int) ([]sqlstore.Reader, func(), error) {
	for attempt := 0; attempt < parallelAttempts && n > 1; attempt++ {
		conns, err := d.conns(ctx, n)
		if err != nil {
			return nil, nil, err
		}
		if len(conns) < 2 {
			closeAll(ctx, conns)
			break
		}
		same, err := d.beginTogether(ctx, conns)
		if err != nil {
			closeAll(ctx, conns)
			return nil, nil, fmt.Errorf("store: read: %w", err)
		}
		if !same {
			closeAll(ctx, conns)
			continue
		}
		readers := make([]sqlstore.Reader, len(conns))
		for i, c := range conns {
			readers[i] = sqlstore.ReaderOf(c, nil)
		}
		return readers, func() { closeAll(ctx, conns) }, nil
	}
	return d.Snapshot(ctx, 1)
}

// parallelAttempts is how many times Parallel tries to begin its read
// transactions with no commit between them before it gives one reader.
const parallelAttempts = 3

// parallelWait is how long Parallel waits for each connection after its
// first: the pool's idle ones come at once.
const parallelWait = 50 * time.Millisecond

// conns takes up to n connections from the pool: the first waiting as
// any read does, the others only parallelWait each.
func (d *driver) conns(ctx context.Context, n int) ([]*sql.Conn, error) {
	first, err := d.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: read: %w", err)
	}
	conns := []*sql.Conn{first}
	for len(conns) < n {
		wait, cancel := context.WithTimeout(ctx, parallelWait)
		c, err := d.db.Conn(wait)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				closeAll(ctx, conns)
				return nil, fmt.Errorf("store: read: %w", ctx.Err())
			}
			break // the pool is busy: fewer readers
		}
		conns = append(conns, c)
	}
	return conns, nil
}

// beginTogether begins a read transaction on each connection and says
// whether they all see one state: data_version read on the last
// connection before the others begin, and again in its own transaction,
// is unchanged. Reading data_version in a transaction is what starts its
// snapshot.
func (d *driver) beginTogether(ctx context.Context, conns []*sql.Conn) (bool, error) {
	last := conns[len(conns)-1]
	var before, after int64
	if err := last.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&before); err != nil {
		return false, err
	}
	for _, c := range conns {
		if c == last && d.beforeLast != nil {
			d.beforeLast()
		}
		if _, err := c.ExecContext(ctx, `BEGIN DEFERRED`); err != nil {
			return false, err
		}
		if err := c.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&after); err != nil {
			return false, err
		}
	}
	return after == before, nil
}

// closeAll ends each connection's transaction, if any, and gives it back.
func closeAll(ctx context.Context, conns []*sql.Conn) {
	for _, c := range conns {
		c.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`) // none begun: an error, ignored
		c.Close()
	}
}

// Snapshot runs every reader on one connection in one read transaction:
// every query sees the same committed state, however many commits a daemon
// makes meanwhile. It is a plain (deferred) BEGIN, not the store's
// immediate one, so that a long report never holds the write lock.
func (d *driver) Snapshot(ctx context.Context, n int) ([]sqlstore.Reader, func(), error) {
	c, err := d.db.Conn(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("store: read: %w", err)
	}
	if _, err := c.ExecContext(ctx, `BEGIN DEFERRED`); err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("store: read: %w", err)
	}
	readers := make([]sqlstore.Reader, n)
	for i := range readers {
		readers[i] = sqlstore.ReaderOf(c, nil)
	}
	return readers, func() {
		c.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
		c.Close()
	}, nil
}
