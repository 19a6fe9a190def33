package postgres

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/chain"
	"github.com/notifier-dev/notifier/internal/domain"
)

// Option configures Open.
type Option func(*Store)

// WithAuditKey makes the store hash the events it appends with
// HMAC-SHA-256 under key (the config's audit.key) instead of SHA-256, as
// the SQLite store does. Once a database's chain is keyed, appending
// without that key is refused.
func WithAuditKey(key []byte) Option {
	return func(s *Store) { s.auditKey = bytes.Clone(key) }
}

// chainHead is the end of the chain as one write transaction sees it:
// read once, under the write lock, and carried forward as it appends.
type chainHead struct {
	nextID int64
	prev   []byte
	hasher *chain.Hasher
}

// flushEvents writes the buffered events, each with its id and its hash
// over its canonical content and the previous event's hash. The write lock
// is held (only exclusive transactions write events), so the chain is
// appended in one order by every replica.
func (t *tx) flushEvents() error {
	if len(t.events) == 0 {
		return nil
	}
	if t.head == nil {
		if err := t.readHead(); err != nil {
			return err
		}
	}
	h := t.head
	for lo := 0; lo < len(t.events); lo += eventBatch {
		batch := t.events[lo:min(lo+eventBatch, len(t.events))]
		args := make([]any, 0, 12*len(batch))
		sums := make([]byte, 0, chain.Size*len(batch))
		for _, e := range batch {
			r := chain.FromEvent(h.nextID, e)
			sums = h.hasher.Sum(sums, h.prev, &r)
			sum := sums[len(sums)-chain.Size:]
			// The time stored is the one hashed: UTC at whole seconds.
			args = append(args, r.ID, storedTime(e.Time), r.Type, nullString(e.CredentialID), nullID(e.RotationID), nullID(e.DeliveryID),
				r.Stage, r.Channel, r.Status, r.Actor, r.Detail, sum)
			h.nextID, h.prev = h.nextID+1, sum
		}
		if _, err := t.exec(`INSERT INTO events (id, time, type, credential_id, rotation_id, delivery_id, stage, channel, status, actor, detail, hash)
			VALUES `+strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?,?,?,?),", len(batch)), ","), args...); err != nil {
			return fmt.Errorf("store: event: %w", err)
		}
	}
	t.events = t.events[:0]
	return nil
}

// readHead reads the end of the chain and the key it is hashed with (see
// the SQLite store's readHead: the same rules).
func (t *tx) readHead() error {
	var start int64
	var keyID, hash []byte
	var id sql.NullInt64
	if err := t.queryRow(`SELECT c.start_id, c.key_id, e.id, e.hash FROM event_chain c
		LEFT JOIN (SELECT id, hash FROM events ORDER BY id DESC LIMIT 1) e ON TRUE`).Scan(&start, &keyID, &id, &hash); err != nil {
		return fmt.Errorf("store: event chain head: %w", err)
	}
	key := t.store.auditKey
	switch {
	case len(key) == 0 && keyID != nil:
		return fmt.Errorf("audit.key: the history in %s is hashed with an audit key; set audit.key in the config to that key", t.store.url)
	case len(key) > 0 && keyID != nil && !bytes.Equal(keyID, chain.KeyID(key)):
		return fmt.Errorf("audit.key: is not the key the history in %s is hashed with; set the original key again", t.store.url)
	case len(key) > 0 && keyID == nil:
		if _, err := t.exec(`UPDATE event_chain SET key_id = ?`, chain.KeyID(key)); err != nil {
			return fmt.Errorf("store: event chain: %w", err)
		}
		first := t.events[0]
		t.events = append([]domain.Event{{Time: first.Time, Type: domain.EventAudit, Status: "keyed",
			Detail: "the history is hash-chained with HMAC-SHA-256 under audit.key from this event on"}}, t.events...)
	}
	h := &chainHead{nextID: start, prev: chain.Genesis, hasher: chain.NewHasher(key)}
	if id.Valid && id.Int64 >= start {
		h.nextID, h.prev = id.Int64+1, hash
		if len(hash) != chain.Size {
			h.prev = chain.Genesis // a head without a hash is tampered with; verify names it
		}
	}
	t.head = h
	return nil
}

// VerifyChain walks the history's hash chain in id order, streaming, and
// reports the first row that does not match (chain.Result.Problem), or
// the number of rows and the head. A database whose chain is keyed needs
// opts.Key. It reads one REPEATABLE READ snapshot: replicas appending
// meanwhile do not move the chain under it.
func (s *Store) VerifyChain(ctx context.Context, opts chain.Options) (chain.Report, error) {
	var rep chain.Report
	txs, err := s.snapshots(ctx, 1)
	if err != nil {
		return rep, err
	}
	tx := txs[0]
	defer tx.Rollback()
	var keyID []byte
	var started time.Time
	if err := tx.QueryRowContext(ctx, `SELECT start_id, started_at, key_id FROM event_chain`).Scan(&rep.Start, &started, &keyID); err != nil {
		return rep, fmt.Errorf("store: event chain: %w", err)
	}
	rep.StartedAt = FormatTime(started)
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE id < $1`, rep.Start).Scan(&rep.Before); err != nil {
		return rep, fmt.Errorf("store: event chain: %w", err)
	}
	rep.Keyed = keyID != nil
	switch {
	case keyID != nil && len(opts.Key) == 0:
		rep.Problem = &chain.Problem{Kind: chain.KindKey, Detail: "the history is hashed with an audit key: verifying it needs the config's audit.key"}
		return rep, nil
	case keyID != nil && !bytes.Equal(keyID, chain.KeyID(opts.Key)):
		rep.Problem = &chain.Problem{Kind: chain.KindKey, Detail: "audit.key is not the key the history is hashed with (or the chain's key record was changed)"}
		return rep, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, time, type, credential_id, rotation_id, delivery_id, stage, channel, status, actor, detail, hash
		FROM events WHERE id >= $1 ORDER BY id`, rep.Start)
	if err != nil {
		return rep, fmt.Errorf("store: event chain: %w", err)
	}
	defer rows.Close()
	opts.Start = rep.Start
	next := func() (chain.Row, bool, error) {
		if !rows.Next() {
			return chain.Row{}, false, rows.Err()
		}
		r, err := scanEvent(rows)
		return r, err == nil, err
	}
	if rep.Result, err = chain.Verify(next, opts); err != nil || rep.Problem != nil {
		return rep, err
	}
	rows.Close()
	rep.Problem, err = checkTables(ctx, tx, rep.Start)
	return rep, err
}

// ChainHead is the last event of the history and its hash, as a read
// sees it now; a history with no chained event has none (zero Head). It
// does not verify the chain (VerifyChain does).
func (s *Store) ChainHead(ctx context.Context) (chain.Head, error) {
	var h chain.Head
	err := s.db.QueryRowContext(ctx, `SELECT id, hash FROM events WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1`).Scan(&h.ID, &h.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return chain.Head{}, nil
	}
	if err != nil {
		return chain.Head{}, fmt.Errorf("store: chain head: %w", err)
	}
	return h, nil
}

// utc renders a timestamptz in messages as SQLite stores it.
const utc = `'YYYY-MM-DD"T"HH24:MI:SS"Z"'`

// tableChecks find a row of the tables that auditors read (rotations,
// acknowledgments, deliveries' final statuses) made since the chain
// started and without its event in the chain (see the SQLite store's: the
// same checks), each naming the first such row.
var tableChecks = []struct{ what, table, query string }{
	{"rotation", "rotations", `SELECT r.id, r.credential_id || ' at ' || to_char(r.rotated_at AT TIME ZONE 'UTC', ` + utc + `) || ' (source ' || r.source || ', by ' || r.actor || ')'
		FROM rotations r, event_chain c WHERE r.id >= c.first_rotation_id AND NOT EXISTS (SELECT 1 FROM events e
			WHERE e.credential_id = r.credential_id AND e.time = r.rotated_at AND e.id >= $1 AND e.type = 'rotation'
				AND e.rotation_id = r.id AND e.status = r.source AND e.actor = r.actor)
		ORDER BY r.id LIMIT 1`},
	{"acknowledgment", "acknowledgments", `SELECT a.id, a.credential_id || ' at ' || to_char(a.acked_at AT TIME ZONE 'UTC', ` + utc + `) || ' by ' || a.actor || ' (source ' || a.source || ')'
		FROM acknowledgments a, event_chain c WHERE a.id >= c.first_ack_id AND NOT EXISTS (SELECT 1 FROM events e
			WHERE e.credential_id = a.credential_id AND e.time = a.acked_at AND e.id >= $1 AND e.type = 'ack'
				AND e.rotation_id = a.rotation_id AND e.actor = a.actor AND e.status = a.source)
		ORDER BY a.id LIMIT 1`},
	{"delivery", "deliveries", `SELECT d.id, d.credential_id || ' ' || d.stage || ' to ' || d.channel || ', ' || d.status
		FROM deliveries d, event_chain c WHERE d.id >= c.first_delivery_id AND d.status IN ('sent', 'failed', 'skipped', 'superseded')
			AND NOT EXISTS (SELECT 1 FROM events e WHERE e.credential_id = d.credential_id AND e.id >= $1 AND e.type = 'reminder'
				AND e.delivery_id = d.id AND e.status = d.status)
		ORDER BY d.id LIMIT 1`},
}

func checkTables(ctx context.Context, tx *sql.Tx, start int64) (*chain.Problem, error) {
	for _, c := range tableChecks {
		var id int64
		var what string
		err := tx.QueryRowContext(ctx, c.query, start).Scan(&id, &what)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			continue
		case err != nil:
			return nil, fmt.Errorf("store: %s check: %w", c.what, err)
		}
		return &chain.Problem{Kind: chain.KindTable, Detail: fmt.Sprintf(
			"the chain is intact, but %s %d (%s) has no matching event in it: the %s table was changed", c.what, id, what, c.table)}, nil
	}
	return nil, nil
}

// scanEvent reads an events row as chain.Row holds it: the time as UTC
// RFC 3339, as it was hashed.
func scanEvent(rows *sql.Rows) (chain.Row, error) {
	var r chain.Row
	var at time.Time
	var cred sql.NullString
	var rot, del sql.NullInt64
	if err := rows.Scan(&r.ID, &at, &r.Type, &cred, &rot, &del, &r.Stage, &r.Channel, &r.Status, &r.Actor, &r.Detail, &r.Hash); err != nil {
		return r, fmt.Errorf("store: event chain: %w", err)
	}
	r.Time = FormatTime(at)
	r.CredentialID, r.NullCredential = cred.String, !cred.Valid
	r.RotationID, r.NullRotation = rot.Int64, !rot.Valid
	r.DeliveryID, r.NullDelivery = del.Int64, !del.Valid
	return r, nil
}
