package sqlstore

import (
	"context"
	"fmt"
	"strings"

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
// fn.
func (s *Store) EachEvent(ctx context.Context, f domain.HistoryFilter, fn func(domain.Event) error) error {
	return pipe(func(emit func(domain.Event) error) error { return s.eachEvent(ctx, f, emit) }, fn)
}

// eachEvent is EachEvent's read, on pipe's goroutine.
func (s *Store) eachEvent(ctx context.Context, f domain.HistoryFilter, fn func(domain.Event) error) error {
	q := `SELECT id, time, type, COALESCE(credential_id, ''), COALESCE(rotation_id, 0), COALESCE(delivery_id, 0), stage, channel, status, actor, detail, recorded_at FROM events WHERE 1=1`
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
	dst := []any{&e.ID, TimeOf(&e.Time), &e.Type, &e.CredentialID, &e.RotationID, &e.DeliveryID, &e.Stage, &e.Channel, &e.Status,
		&e.Actor, &e.Detail, NullTimeOf(&e.RecordedAt)}
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
