package postgres

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/notifier-dev/notifier/internal/chain"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlstore"
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
// reports the first row that does not match, or the number of rows and
// the head (see sqlstore.VerifyChain). A database whose chain is keyed
// needs opts.Key. It reads one REPEATABLE READ snapshot: replicas
// appending meanwhile do not move the chain under it.
func (s *Store) VerifyChain(ctx context.Context, opts chain.Options) (chain.Report, error) {
	txs, err := s.snapshots(ctx, 1)
	if err != nil {
		return chain.Report{}, err
	}
	defer txs[0].Rollback()
	return sqlstore.VerifyChain(ctx, txReader{tx: txs[0]}, opts, nil)
}
