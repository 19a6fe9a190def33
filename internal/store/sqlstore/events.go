package sqlstore

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/notifier-dev/notifier/internal/chain"
	"github.com/notifier-dev/notifier/internal/domain"
)

// EventBatch is how many events one INSERT appends (7 to 13 parameters
// each).
const EventBatch = 500

// chainHead is the end of the chain as one write transaction sees it: read
// once, under the write lock, and carried forward as the transaction
// appends, so that every writer appends the chain in one order.
type chainHead struct {
	nextID int64
	prev   []byte
	hasher *chain.Hasher
}

// InsertEvent appends an event to the hash-chained history. Events are
// buffered and written, hash chained, in multi-row statements: every
// EventBatch events and when the transaction's function returns (see
// Update).
func (t *Tx) InsertEvent(e domain.Event) error {
	if !t.exclusive {
		return errors.New("store: an event appended outside the write lock")
	}
	t.events = append(t.events, e)
	if len(t.events) >= EventBatch {
		return t.flushEvents()
	}
	return nil
}

// flushEvents writes the buffered events, each with its id and its hash
// over its canonical content and the previous event's hash.
func (t *Tx) flushEvents() error {
	if len(t.events) == 0 {
		return nil
	}
	if t.head == nil {
		if err := t.readHead(); err != nil {
			return err
		}
	}
	for lo := 0; lo < len(t.events); {
		shape := shapeOf(t.events[lo])
		hi := lo + 1
		for hi < len(t.events) && hi-lo < EventBatch && shapeOf(t.events[hi]) == shape {
			hi++
		}
		if err := t.writeEvents(t.events[lo:hi], shape); err != nil {
			return err
		}
		lo = hi
	}
	t.events = t.events[:0]
	return nil
}

// eventShape is which of an event's optional columns are set. A run of
// events of one shape is written by a statement that binds those columns
// only, the others taking their defaults (NULL or ”), as the canonical row
// has them: binding a value costs a call into the driver and a copy (on
// SQLite, a call into C), and most events (a first sync's, every
// reminder's) leave half the columns empty.
type eventShape uint8

// eventOptional names the optional columns, in shape bit order.
var eventOptional = [...]string{"credential_id", "rotation_id", "delivery_id", "stage", "channel", "actor"}

func shapeOf(e domain.Event) eventShape {
	var s eventShape
	for i, set := range [...]bool{e.CredentialID != "", e.RotationID != 0, e.DeliveryID != 0, e.Stage != "", e.Channel != "", e.Actor != ""} {
		if set {
			s |= 1 << i
		}
	}
	return s
}

// writeEvents writes events of one shape in one statement, hash chained
// after the head. The times stored are the ones hashed: UTC at whole
// seconds. Every event gets the transaction's recorded time (Tx.Recorded),
// whatever its type: when notifier wrote it, beside when it happened.
func (t *Tx) writeEvents(events []domain.Event, shape eventShape) error {
	h := t.head
	cols := 7
	recorded := t.Recorded()
	for i := range eventOptional {
		if shape&(1<<i) != 0 {
			cols++
		}
	}
	args := make([]any, 0, cols*len(events))
	sums := make([]byte, 0, chain.Size*len(events)) // the hashes, one allocation
	for _, e := range events {
		r := chain.FromEvent(h.nextID, e, recorded)
		sums = h.hasher.Sum(sums, h.prev, &r)
		sum := sums[len(sums)-chain.Size:]
		args = append(args, r.ID, t.Time(e.Time), r.Type, r.Status, r.Detail, sum, t.Time(recorded))
		for i, v := range [...]any{e.CredentialID, e.RotationID, e.DeliveryID, e.Stage, e.Channel, e.Actor} {
			if shape&(1<<i) != 0 {
				args = append(args, v)
			}
		}
		h.nextID, h.prev = h.nextID+1, sum
	}
	if _, err := t.Exec(t.store.eventInsert(shape, cols, len(events)), args...); err != nil {
		return fmt.Errorf("store: event: %w", err)
	}
	return nil
}

// eventInsert is the statement that appends n events of a shape. Those of
// whole batches (a first sync's, a large dispatch's) are kept once built:
// one per shape in use.
func (s *Store) eventInsert(shape eventShape, cols, n int) string {
	if q, ok := s.eventSQL.Load(shape); ok && n == EventBatch {
		return q.(string)
	}
	var b strings.Builder
	b.WriteString("INSERT INTO events (id, time, type, status, detail, hash, recorded_at")
	for i, c := range eventOptional {
		if shape&(1<<i) != 0 {
			b.WriteString(", " + c)
		}
	}
	b.WriteString(") VALUES ")
	row := "(" + Placeholders(cols) + ")"
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	q := b.String()
	if n == EventBatch {
		s.eventSQL.Store(shape, q)
	}
	return q
}

// readHead reads the end of the chain and the key it is hashed with. The
// first append with an audit key to a chain without one records the key's
// id and, first, an audit event saying that the chain is keyed from there.
func (t *Tx) readHead() error {
	var start int64
	var keyID, hash []byte
	var id sql.NullInt64
	// One statement: the chain record and the last event, if any.
	if err := t.QueryRow(`SELECT c.start_id, c.key_id, e.id, e.hash FROM event_chain c
		LEFT JOIN (SELECT id, hash FROM events ORDER BY id DESC LIMIT 1) e ON TRUE`).Scan(&start, &keyID, &id, &hash); err != nil {
		return fmt.Errorf("store: event chain head: %w", err)
	}
	key := t.store.auditKey
	switch {
	case len(key) == 0 && keyID != nil:
		return fmt.Errorf("audit.key: the history in %s is hashed with an audit key; set audit.key in the config to that key", t.store.db.Name())
	case len(key) > 0 && keyID != nil && !bytes.Equal(keyID, chain.KeyID(key)):
		return fmt.Errorf("audit.key: is not the key the history in %s is hashed with; set the original key again", t.store.db.Name())
	case len(key) > 0 && keyID == nil:
		if _, err := t.Exec(`UPDATE event_chain SET key_id = ?`, chain.KeyID(key)); err != nil {
			return fmt.Errorf("store: event chain: %w", err)
		}
		first := t.events[0]
		t.events = append([]domain.Event{{Time: first.Time, Type: domain.EventAudit, Status: "keyed",
			Detail: "the history is hash-chained with HMAC-SHA-256 under audit.key from this event on"}}, t.events...)
	}
	h := &chainHead{nextID: start, prev: chain.Genesis, hasher: chain.NewHasher(key)}
	// Events before the chain's start have no hash: the first chained one
	// follows Genesis.
	if id.Valid && id.Int64 >= start {
		h.nextID, h.prev = id.Int64+1, hash
		if len(hash) != chain.Size {
			h.prev = chain.Genesis // a head without a hash is tampered with; verify names it
		}
	}
	t.head = h
	return nil
}
