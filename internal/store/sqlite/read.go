package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// States returns every credential, active or not, with its current cycle
// and its deliveries' counts, by id.
func (s *Store) States(ctx context.Context) ([]domain.CredentialState, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+cycleColumns+`,
			(SELECT stage || char(31) || sent_at FROM deliveries x WHERE x.rotation_id = r.id AND x.status = 'sent' ORDER BY sent_at DESC, due_at DESC LIMIT 1),
			(SELECT COUNT(*) FROM deliveries x WHERE x.rotation_id = r.id AND x.status = 'failed'),
			(SELECT COUNT(*) FROM deliveries x WHERE x.rotation_id = r.id AND x.status = 'pending')
		FROM credentials c JOIN rotations r ON r.id = c.rotation_id
		ORDER BY c.id`)
	if err != nil {
		return nil, fmt.Errorf("store: states: %w", err)
	}
	defer rows.Close()
	var out []domain.CredentialState
	for rows.Next() {
		var st domain.CredentialState
		var last sql.NullString
		if st.Cycle, err = scanCycle(rows, &last, &st.Failed, &st.Pending); err != nil {
			return nil, fmt.Errorf("store: states: %w", err)
		}
		if last.Valid {
			stage, when, _ := strings.Cut(last.String, "\x1f")
			st.LastStage = stage
			if st.LastSentAt, err = ParseTime(when); err != nil {
				return nil, fmt.Errorf("store: states: %w", err)
			}
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// History returns events in time order.
func (s *Store) History(ctx context.Context, f domain.HistoryFilter) ([]domain.Event, error) {
	q := `SELECT id, time, type, COALESCE(credential_id, ''), COALESCE(rotation_id, 0), COALESCE(delivery_id, 0), stage, channel, status, actor, detail FROM events WHERE 1=1`
	var args []any
	if f.CredentialID != "" {
		q += ` AND credential_id = ?`
		args = append(args, f.CredentialID)
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
		args = append(args, FormatTime(ceilSecond(f.Since)))
	}
	if !f.Until.IsZero() {
		q += ` AND time < ?`
		args = append(args, FormatTime(ceilSecond(f.Until)))
	}
	q += ` ORDER BY time, id`
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: history: %w", err)
	}
	defer rows.Close()
	var out []domain.Event
	for rows.Next() {
		var e domain.Event
		var at string
		if err := rows.Scan(&e.ID, &at, &e.Type, &e.CredentialID, &e.RotationID, &e.DeliveryID, &e.Stage, &e.Channel, &e.Status, &e.Actor, &e.Detail); err != nil {
			return nil, fmt.Errorf("store: history: %w", err)
		}
		if e.Time, err = ParseTime(at); err != nil {
			return nil, fmt.Errorf("store: history: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func ceilSecond(t time.Time) time.Time {
	if r := t.Truncate(time.Second); !r.Equal(t) {
		return r.Add(time.Second)
	}
	return t
}

// Deliveries returns the outbox rows of a credential (all when empty), in
// the order they were added.
func (s *Store) Deliveries(ctx context.Context, credentialID string) ([]domain.Delivery, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE ? = '' OR credential_id = ? ORDER BY id`, credentialID, credentialID)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	defer rows.Close()
	var out []domain.Delivery
	for rows.Next() {
		x, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("store: deliveries: %w", err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// deliveryColumns are what scanDelivery reads.
const deliveryColumns = `id, rotation_id, credential_id, stage, seq, channel, status, due_at, attempts, next_attempt_at, sent_at, last_error`

func scanDelivery(s scanner) (domain.Delivery, error) {
	var x domain.Delivery
	var due string
	var next, sent sql.NullString
	err := s.Scan(&x.ID, &x.RotationID, &x.CredentialID, &x.Stage, &x.Seq, &x.Channel, &x.Status, &due, &x.Attempts, &next, &sent, &x.LastError)
	if err != nil {
		return x, err
	}
	if x.Due, err = ParseTime(due); err != nil {
		return x, err
	}
	if x.NextAttemptAt, err = parseNullTime(next); err != nil {
		return x, err
	}
	x.SentAt, err = parseNullTime(sent)
	return x, err
}
