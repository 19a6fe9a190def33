// Package copydb copies a notifier database between the two stores
// (SQLite and PostgreSQL, either way) with all its history: every row of
// every table, under the same ids, times and hashes, so that the copy's
// hash chain verifies as the original's does. The two schemas have the
// same tables and columns; only the types differ (times as RFC 3339 text
// or timestamptz, booleans as 0/1 or boolean), and this package converts
// them. It is part of the store layer: the SQL is here and in the stores.
package copydb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
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

// tables are copied in this order (a row's references come before it,
// but credentials.rotation_id, which the targets check at the commit).
// Every column of each, in the same order on both sides.
var tables = []struct {
	name    string
	columns []string
	order   string
}{
	{"credentials", []string{"id", "name", "owner", "rotation_period", "expires_at", "policy", "config_rotated_at", "active", "created_at", "updated_at",
		"file", "rotation_id", "next_action_at", "lwa_client_id", "source_kind", "source_name", "source_region", "source_endpoint"}, "id"},
	{"rotations", []string{"id", "credential_id", "rotated_at", "source", "actor", "note", "recorded_at"}, "id"},
	{"deliveries", []string{"id", "rotation_id", "credential_id", "stage", "seq", "channel", "status", "due_at", "created_at", "attempts",
		"next_attempt_at", "sent_at", "last_error", "claimed_by", "claim_expires_at"}, "id"},
	{"acknowledgments", []string{"id", "credential_id", "rotation_id", "acked_at", "actor", "note", "source", "delivery_id"}, "id"},
	{"events", []string{"id", "time", "type", "credential_id", "rotation_id", "delivery_id", "stage", "channel", "status", "actor", "detail", "hash"}, "id"},
	{"config_files", []string{"path", "size", "mod_time", "hash", "synced_at"}, "path"},
	{"sync_state", []string{"key", "value"}, "key"},
	{"cycle_deadlines", []string{"id", "rotation_id", "deadline", "source", "reference", "recorded_at"}, "id"},
	{"amazon_notifications", []string{"notification_id", "type", "client_id", "credential_id", "event_time", "received_at"}, "notification_id"},
	{"source_versions", []string{"id", "credential_id", "source", "source_name", "version", "version_at", "rotation_id", "recorded_at"}, "id"},
	{"lwa_probes", []string{"id", "credential_id", "rotation_id", "probed_at", "outcome", "detail"}, "id"},
	{"rotation_requests", []string{"id", "credential_id", "rotation_id", "client_id", "requested_at", "outcome", "called", "actor", "detail"}, "id"},
}

// isTime says whether a column holds a time (text on SQLite, timestamptz
// on PostgreSQL). config_files.mod_time is text on both.
func isTime(col string) bool {
	return strings.HasSuffix(col, "_at") || col == "time" || col == "deadline"
}

// isBool says whether a column holds a boolean (0 or 1 on SQLite, boolean
// on PostgreSQL).
func isBool(col string) bool {
	return col == "active" || col == "called"
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
	counts := Counts{}
	for _, tb := range tables {
		k, err := copyTable(ctx, rtx, wtx, src.Dialect, dst.Dialect, tb.name, tb.columns, tb.order)
		if err != nil {
			return nil, fmt.Errorf("copy-db: %s: %w", tb.name, err)
		}
		counts[tb.name] = k
	}
	if err := copyChainRecord(ctx, rtx, wtx, dst.Dialect); err != nil {
		return nil, fmt.Errorf("copy-db: event chain: %w", err)
	}
	if dst.Dialect == Postgres {
		// The identities go on after the ids copied.
		for _, t := range []string{"rotations", "deliveries", "acknowledgments", "cycle_deadlines",
			"source_versions", "lwa_probes", "rotation_requests"} {
			if _, err := wtx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'), COALESCE((SELECT MAX(id) FROM `+t+`), 0) + 1, false)`); err != nil {
				return nil, fmt.Errorf("copy-db: %s: %w", t, err)
			}
		}
	}
	if err := wtx.Commit(); err != nil {
		return nil, fmt.Errorf("copy-db: %s: %w", dst.Name, err)
	}
	return counts, nil
}

// batchRows bounds the rows of one INSERT.
const batchRows = 500

func copyTable(ctx context.Context, rtx, wtx *sql.Tx, from, to Dialect, table string, cols []string, order string) (int64, error) {
	rows, err := rtx.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+table+` ORDER BY `+order)
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
		_, err := wtx.ExecContext(ctx, `INSERT INTO `+table+` (`+strings.Join(cols, ", ")+`) VALUES `+values(to, k, len(cols)), batch...)
		batch = batch[:0]
		return err
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		for i, c := range cols {
			v, err := convert(vals[i], c, from, to)
			if err != nil {
				return n, fmt.Errorf("row %d, %s: %w", n+1, c, err)
			}
			batch = append(batch, v)
		}
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
			if d == Postgres {
				fmt.Fprintf(&b, "$%d", p)
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}

// convert turns a value read from one dialect into the other's.
func convert(v any, col string, from, to Dialect) (any, error) {
	if v == nil || from == to {
		return v, nil
	}
	switch {
	case isTime(col) && to == Postgres:
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
	case isTime(col) && to == SQLite:
		t, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("a time read as %T", v)
		}
		return t.UTC().Format(time.RFC3339), nil
	case isBool(col) && to == Postgres:
		i, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("%s stored as %T", col, v)
		}
		return i != 0, nil
	}
	return v, nil
}

// copyChainRecord makes the target's chain record the source's: where the
// chain starts (events before it have no hash), when it was added, the
// key's id, and the first rows of the tables it vouches for. The record refuses changes by trigger; the copy, which
// writes the whole history in its own transaction, sets it past the
// trigger (PostgreSQL: the table owner's ALTER TABLE … DISABLE TRIGGER;
// SQLite: the trigger dropped and created again), inside the transaction.
func copyChainRecord(ctx context.Context, rtx, wtx *sql.Tx, to Dialect) error {
	var start, firstRot, firstAck, firstDel int64
	var started any
	var key []byte
	if err := rtx.QueryRowContext(ctx, `SELECT start_id, started_at, key_id, first_rotation_id, first_ack_id, first_delivery_id FROM event_chain`).
		Scan(&start, &started, &key, &firstRot, &firstAck, &firstDel); err != nil {
		return err
	}
	if t, ok := started.(time.Time); ok && to == SQLite {
		started = t.UTC().Format(time.RFC3339)
	}
	if s, ok := started.(string); ok && to == Postgres {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return err
		}
		started = t
	}
	var stmts []string
	if to == Postgres {
		stmts = []string{`ALTER TABLE event_chain DISABLE TRIGGER event_chain_no_update`,
			`UPDATE event_chain SET start_id = $1, started_at = $2, key_id = $3, first_rotation_id = $4, first_ack_id = $5, first_delivery_id = $6`,
			`ALTER TABLE event_chain ENABLE TRIGGER event_chain_no_update`}
	} else {
		var ddl string
		if err := wtx.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'event_chain_no_update'`).Scan(&ddl); err != nil {
			return err
		}
		stmts = []string{`DROP TRIGGER event_chain_no_update`, `UPDATE event_chain SET start_id = ?, started_at = ?, key_id = ?, first_rotation_id = ?, first_ack_id = ?, first_delivery_id = ?`, ddl}
	}
	for i, q := range stmts {
		var err error
		if i == 1 {
			_, err = wtx.ExecContext(ctx, q, start, started, key, firstRot, firstAck, firstDel)
		} else {
			_, err = wtx.ExecContext(ctx, q)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
