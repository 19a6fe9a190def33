// Package copydb copies a notifier database between the two stores
// (SQLite and PostgreSQL, either way) with all its history: every row of
// every table, under the same ids, times and hashes, so that the copy's
// hash chain verifies as the original's does. The tables and columns are
// package schema's description, the same on both; only the types differ
// (times as RFC 3339 text or timestamptz, booleans as 0/1 or boolean),
// and this package converts them by the description's types. A column
// added to the description and the migrations is copied with no change
// here. It is part of the store layer: the SQL is here and in the stores.
package copydb

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/store/schema"
)

// Dialect names a store's SQL.
type Dialect int

const (
	SQLite Dialect = iota
	Postgres
)

// DB is one side of a copy: a store's connections and its dialect.
type DB struct {
	DB      *sql.DB
	Dialect Dialect
	Name    string // as messages show it (a URL without its password)
}

// Counts is how many rows of each table a copy wrote.
type Counts map[string]int64

// Copy copies src into dst, which must be migrated and empty (no
// credential, no event: a copy never merges two histories), in one
// transaction on dst: a failure leaves dst as it was. The leases and the
// claims' meaning do not carry over (a copy is taken with the daemons
// stopped); the chain record (where the chain starts, its key) does.
func Copy(ctx context.Context, src, dst DB) (Counts, error) {
	var n int
	if err := dst.DB.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM credentials) + (SELECT COUNT(*) FROM events)`).Scan(&n); err != nil {
		return nil, fmt.Errorf("copy-db: %s: %w", dst.Name, err)
	}
	if n > 0 {
		return nil, fmt.Errorf("copy-db: %s is not empty (it has credentials or history): copy into a new database", dst.Name)
	}
	// One consistent read of the source.
	opts := &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	if src.Dialect == SQLite {
		opts = nil // a read transaction is a snapshot there
	}
	rtx, err := src.DB.BeginTx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("copy-db: %s: %w", src.Name, err)
	}
	defer rtx.Rollback()
	wtx, err := dst.DB.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("copy-db: %s: %w", dst.Name, err)
	}
	defer wtx.Rollback()
	if dst.Dialect == SQLite {
		if _, err := wtx.ExecContext(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
			return nil, fmt.Errorf("copy-db: %s: %w", dst.Name, err)
		}
	}
	// The description's tables in its order (a row's references come
	// before it, but credentials.rotation_id, which the targets check at
	// the commit): the record only, not the leases nor the migrations
	// applied; the chain record is copyChainRecord's.
	// A copy is the same database: its sync state (the settings last
	// synced, the database's id, over which ack links are signed) is the
	// source's, not what migrating the empty copy made.
	if _, err := wtx.ExecContext(ctx, `DELETE FROM sync_state`); err != nil {
		return nil, fmt.Errorf("copy-db: %s: %w", dst.Name, err)
	}
	counts := Counts{}
	for _, tb := range schema.Describe().Tables {
		if tb.Kind != schema.Record {
			continue
		}
		k, err := copyTable(ctx, rtx, wtx, src.Dialect, dst.Dialect, tb)
		if err == nil && tb.Identity && dst.Dialect == Postgres {
			// The identity goes on after the ids copied.
			t, id := tb.Name, tb.Key[0]
			_, err = wtx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', '`+id+`'), COALESCE((SELECT MAX(`+id+`) FROM `+t+`), 0) + 1, false)`)
		}
		if err != nil {
			return nil, fmt.Errorf("copy-db: %s: %w", tb.Name, err)
		}
		counts[tb.Name] = k
	}
	if err := copyChainRecord(ctx, rtx, wtx, src.Dialect, dst.Dialect); err != nil {
		return nil, fmt.Errorf("copy-db: event chain: %w", err)
	}
	if err := wtx.Commit(); err != nil {
		return nil, fmt.Errorf("copy-db: %s: %w", dst.Name, err)
	}
	return counts, nil
}

// batchRows bounds the rows of one INSERT.
const batchRows = 500

func copyTable(ctx context.Context, rtx, wtx *sql.Tx, from, to Dialect, tb schema.Table) (int64, error) {
	cols := tb.ColumnNames()
	rows, err := rtx.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+tb.Name+` ORDER BY `+strings.Join(tb.Key, ", "))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	var batch []any
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		k := len(batch) / len(cols)
		_, err := wtx.ExecContext(ctx, `INSERT INTO `+tb.Name+` (`+strings.Join(cols, ", ")+`) VALUES `+values(to, k, len(cols)), batch...)
		batch = batch[:0]
		return err
	}
	for rows.Next() {
		vals, err := scanConverted(rows.Scan, tb.Columns, from, to)
		if err != nil {
			return n, fmt.Errorf("row %d, %w", n+1, err)
		}
		batch = append(batch, vals...)
		n++
		if n%batchRows == 0 {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	return n, flush()
}

// values is the VALUES list of k rows of w columns in the dialect.
func values(d Dialect, k, w int) string {
	var b strings.Builder
	p := 0
	for r := range k {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range w {
			if c > 0 {
				b.WriteByte(',')
			}
			p++
			b.WriteString(param(d, p))
		}
		b.WriteByte(')')
	}
	return b.String()
}

// param is the dialect's n-th statement parameter.
func param(d Dialect, n int) string {
	if d == Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// scanConverted reads one row of cols with scan and converts each value
// from one dialect into the other's.
func scanConverted(scan func(...any) error, cols []schema.Column, from, to Dialect) ([]any, error) {
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := scan(ptrs...); err != nil {
		return nil, err
	}
	for i, c := range cols {
		v, err := convert(vals[i], c, from, to)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		vals[i] = v
	}
	return vals, nil
}

// convert turns a value of a column read from one dialect into the
// other's: times are RFC 3339 text or timestamptz, booleans 0/1 or
// boolean.
func convert(v any, col schema.Column, from, to Dialect) (any, error) {
	if v == nil || from == to {
		return v, nil
	}
	switch {
	case col.Type == schema.Time && to == Postgres:
		s, ok := v.(string)
		if !ok {
			if b, isBytes := v.([]byte); isBytes {
				s, ok = string(b), true
			}
		}
		if !ok {
			return nil, fmt.Errorf("a time stored as %T", v)
		}
		return time.Parse(time.RFC3339, s)
	case col.Type == schema.Time && to == SQLite:
		t, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("a time read as %T", v)
		}
		return t.UTC().Format(time.RFC3339), nil
	case col.Type == schema.Bool && to == Postgres:
		i, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("%s stored as %T", col.Name, v)
		}
		return i != 0, nil
	}
	return v, nil
}

// copyChainRecord makes the target's chain record the source's, every
// column the description lists: where the chain starts (events before it
// have no hash), when it was added, the key's id, and the first rows of
// the tables it vouches for. The record refuses changes by trigger; the
// copy, which writes the whole history in its own transaction, sets it
// past the trigger (PostgreSQL: the table owner's ALTER TABLE … DISABLE
// TRIGGER; SQLite: the trigger dropped and created again), inside the
// transaction.
func copyChainRecord(ctx context.Context, rtx, wtx *sql.Tx, from, to Dialect) error {
	chain, _ := schema.Describe().Table("event_chain")
	cols := chain.ColumnNames()
	vals, err := scanConverted(rtx.QueryRowContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+chain.Name).Scan, chain.Columns, from, to)
	if err != nil {
		return err
	}
	set := make([]string, len(cols))
	for i, c := range cols {
		set[i] = c + " = " + param(to, i+1)
	}
	update := `UPDATE ` + chain.Name + ` SET ` + strings.Join(set, ", ")
	var stmts []string
	if to == Postgres {
		stmts = []string{`ALTER TABLE event_chain DISABLE TRIGGER event_chain_no_update`, update,
			`ALTER TABLE event_chain ENABLE TRIGGER event_chain_no_update`}
	} else {
		var ddl string
		if err := wtx.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'event_chain_no_update'`).Scan(&ddl); err != nil {
			return err
		}
		stmts = []string{`DROP TRIGGER event_chain_no_update`, update, ddl}
	}
	for i, q := range stmts {
		var err error
		if i == 1 {
			_, err = wtx.ExecContext(ctx, q, vals...)
		} else {
			_, err = wtx.ExecContext(ctx, q)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
