package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// History returns events in time order: EachEvent, collected. For the
// few callers that want a short list (tests, an engine check); views
// stream with EachEvent.
func (s *Store) History(ctx context.Context, f domain.HistoryFilter) ([]domain.Event, error) {
	var out []domain.Event
	err := s.EachEvent(ctx, f, func(e domain.Event) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EachEvent calls fn with every event the filter selects, in time order
// (then id), as the rows are read: the history is never held in memory.
// Every field of the filter is applied in the query; a --credential glob
// is narrowed by LIKE there (its literal characters matched literally)
// and judged exactly by domain.MatchGlob here, since LIKE has no classes
// and ignores case on SQLite. An error from fn stops the walk and is
// returned. The rows are read on a goroutine of their own (pipe), beside
// fn; the whole history, or a time range of it, in pages on two
// (eachEventSideBySide).
func (s *Store) EachEvent(ctx context.Context, f domain.HistoryFilter, fn func(domain.Event) error) error {
	if f.CredentialID == "" && f.Credential == "" && f.Owner == "" && f.Type == "" && f.Limit == 0 {
		// The whole history (or a time range of it) runs on several
		// readers side by side: at a million credentials its two million
		// events are each a row read at random (time order is not the
		// order they were written in), most of the time of a history.
		return s.eachEventSideBySide(ctx, f, fn)
	}
	return pipe(func(emit func(domain.Event) error) error { return s.eachEvent(ctx, f, emit) }, fn)
}

// eventColumns are an event's columns, as eventDest reads them.
const eventColumns = `id, time, type, COALESCE(credential_id, ''), COALESCE(rotation_id, 0), COALESCE(delivery_id, 0), stage, channel, status, actor, detail, recorded_at`

// eventKey is an event's place in the history's order: its time, then
// id. The time is kept as the database gave it (SQLite's text, a
// PostgreSQL time) and bound back as it is: equal to the stored value
// whatever its form, where a time formatted again might not be.
type eventKey struct {
	at any
	id int64
}

// sameTime says whether two keys' times are one.
func sameTime(a, b eventKey) bool {
	if t, ok := a.at.(time.Time); ok {
		u, ok := b.at.(time.Time)
		return ok && t.Equal(u)
	}
	return fmt.Sprint(a.at) == fmt.Sprint(b.at)
}

// Pages of the history read side by side: the first small, so that the
// first rows show at once.
const (
	eventPage      = 1000
	firstEventPage = 100
)

// The parts of a page of the history between two keys (time, id), each
// searched by events_time: the events at a key's time after (or up to)
// its id, and those between two times.
const (
	atTimeAfter   = `time = ? AND id > ?`
	atTimeUpTo    = `time = ? AND id <= ?`
	atTimeBetween = `time = ? AND id > ? AND id <= ?`
	beforeTime    = `time < ?`
	afterTime     = `time > ?`
	betweenTimes  = `time > ? AND time < ?`
)

// eventPartQuery reads the events of one part of a page (where) in the
// range's terms (within), in the history's order.
func eventPartQuery(where, within string) string {
	return `SELECT ` + eventColumns + ` FROM events WHERE ` + where + within + ` ORDER BY time, id`
}

// eachEventSideBySide is EachEvent of the events in f's time range, in
// pages cut by the key of events_time (time, id) and read on
// parallelReaders readers of one committed state. A keyset of a time
// and an id is searched as its two parts (the events at that time after
// that id, then the later times): the index serves each part, where a
// row value compared as a whole made SQLite walk every event of the time
// before the id (a million at a first sync's moment: each page then read
// the whole moment).
func (s *Store) eachEventSideBySide(ctx context.Context, f domain.HistoryFilter, fn func(domain.Event) error) error {
	readers, done, err := s.db.Parallel(ctx, parallelReaders)
	if err != nil {
		return fmt.Errorf("store: history: %w", err)
	}
	defer done()
	// The range's own terms, beside each part's.
	var within string
	var withinArgs []any
	if !f.Since.IsZero() {
		within, withinArgs = within+` AND time >= ?`, append(withinArgs, s.db.Time(CeilSecond(f.Since)))
	}
	if !f.Until.IsZero() {
		within, withinArgs = within+` AND time < ?`, append(withinArgs, s.db.Time(CeilSecond(f.Until)))
	}
	args := func(a ...any) []any { return append(a, withinArgs...) }
	size := func(first bool) int {
		if first {
			return firstEventPage
		}
		return eventPage
	}
	// next is the key a page's length after after (from the start: the
	// first page's last key): among the events at after's time first,
	// then among the later ones.
	next := func(ctx context.Context, r Reader, after eventKey, first bool) (eventKey, bool, error) {
		if first {
			return keyAt(ctx, r, `1=1`+within, withinArgs, size(true)-1)
		}
		return s.keyAfter(ctx, r, after, size(false), within, withinArgs)
	}
	read := func(ctx context.Context, r Reader, after, to eventKey, first, last bool, events []domain.Event) ([]domain.Event, error) {
		type part struct {
			where string
			args  []any
		}
		var parts []part
		switch {
		case !first && !last && sameTime(after, to):
			parts = []part{{atTimeBetween, []any{after.at, after.id, to.id}}}
		case first && last:
			parts = []part{{`1=1`, nil}}
		case first:
			parts = []part{{beforeTime, []any{to.at}}, {atTimeUpTo, []any{to.at, to.id}}}
		case last:
			parts = []part{{atTimeAfter, []any{after.at, after.id}}, {afterTime, []any{after.at}}}
		default:
			parts = []part{{atTimeAfter, []any{after.at, after.id}}, {betweenTimes, []any{after.at, to.at}},
				{atTimeUpTo, []any{to.at, to.id}}}
		}
		for _, p := range parts {
			rows, err := r.Query(ctx, eventPartQuery(p.where, within), args(p.args...)...)
			if err != nil {
				return events, err
			}
			if events, err = appendEvents(rows, events); err != nil {
				return events, err
			}
		}
		return events, nil
	}
	if err := readPages(ctx, readers, next, read, fn); err != nil {
		return fmt.Errorf("store: history: %w", err)
	}
	return nil
}

// keyAfter is the key of the event n after after (skipping n-1 events
// after it) within the range's terms, last when there are not n.
func (s *Store) keyAfter(ctx context.Context, r Reader, after eventKey, n int, within string, withinArgs []any) (eventKey, bool, error) {
	var same int // events at after's time after it, up to n
	if err := r.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM events WHERE `+atTimeAfter+within+` LIMIT ?) x`,
		append(append([]any{after.at, after.id}, withinArgs...), n)...).Scan(&same); err != nil {
		return eventKey{}, false, err
	}
	if same == n {
		return keyAt(ctx, r, atTimeAfter+within, append([]any{after.at, after.id}, withinArgs...), n-1)
	}
	return keyAt(ctx, r, afterTime+within, append([]any{after.at}, withinArgs...), n-same-1)
}

// keyAt is the key of the event skip events on among those where
// selects (in the history's order), last when there is none.
func keyAt(ctx context.Context, r Reader, where string, args []any, skip int) (eventKey, bool, error) {
	var k eventKey
	err := r.QueryRow(ctx, `SELECT time, id FROM events WHERE `+where+` ORDER BY time, id LIMIT 1 OFFSET ?`, append(args[:len(args):len(args)], skip)...).Scan(&k.at, &k.id)
	if errors.Is(err, sql.ErrNoRows) {
		return eventKey{}, true, nil
	}
	return k, false, err
}

// eventDest are the scan destinations of eventColumns, into e.
func eventDest(e *domain.Event) []any {
	return []any{&e.ID, TimeOf(&e.Time), &e.Type, &e.CredentialID, &e.RotationID, &e.DeliveryID, &e.Stage, &e.Channel, &e.Status,
		&e.Actor, &e.Detail, NullTimeOf(&e.RecordedAt)}
}

// appendEvents appends the events of rows (eventColumns) to events.
func appendEvents(rows *sql.Rows, events []domain.Event) ([]domain.Event, error) {
	defer rows.Close()
	var e domain.Event // each row is read here, into destinations made once
	dst := eventDest(&e)
	for rows.Next() {
		e = domain.Event{}
		if err := rows.Scan(dst...); err != nil {
			return events, err
		}
		events = append(events, e)
	}
	return events, rows.Err()
}

// eachEvent is EachEvent's read, on pipe's goroutine.
func (s *Store) eachEvent(ctx context.Context, f domain.HistoryFilter, fn func(domain.Event) error) error {
	q := `SELECT ` + eventColumns + ` FROM events WHERE 1=1`
	var args []any
	if f.CredentialID != "" {
		q += ` AND credential_id = ?`
		args = append(args, f.CredentialID)
	}
	glob := f.Credential != "" && strings.ContainsAny(f.Credential, `*?[\`)
	switch {
	case glob:
		q += ` AND credential_id LIKE ? ESCAPE '\'`
		args = append(args, domain.GlobLike(f.Credential))
	case f.Credential != "":
		q += ` AND credential_id = ?` // no wildcard: the whole id
		args = append(args, f.Credential)
	}
	if f.Owner != "" {
		q += ` AND credential_id IN (SELECT id FROM credentials WHERE owner = ?)`
		args = append(args, f.Owner)
	}
	if f.Type != "" {
		q += ` AND type = ?`
		args = append(args, f.Type)
	}
	// Stored times are whole seconds: a bound with a fraction is rounded up,
	// not down, so that an event just before Since or Until is not counted
	// in (Since) or dropped (Until).
	if !f.Since.IsZero() {
		q += ` AND time >= ?`
		args = append(args, s.db.Time(CeilSecond(f.Since)))
	}
	if !f.Until.IsZero() {
		q += ` AND time < ?`
		args = append(args, s.db.Time(CeilSecond(f.Until)))
	}
	q += ` ORDER BY time, id`
	if f.Limit > 0 && !glob {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("store: history: %w", err)
	}
	defer rows.Close()
	n := 0
	var e domain.Event // each row is read here, into destinations made once
	dst := eventDest(&e)
	for rows.Next() {
		e = domain.Event{}
		if err := rows.Scan(dst...); err != nil {
			return fmt.Errorf("store: history: %w", err)
		}
		if glob && !domain.MatchGlob(f.Credential, e.CredentialID) {
			continue
		}
		if err := fn(e); err != nil {
			return err
		}
		if n++; f.Limit > 0 && n >= f.Limit {
			return nil
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: history: %w", err)
	}
	return nil
}
