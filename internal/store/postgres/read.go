package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

func readSettings(rows *sql.Rows, err error) (map[string]string, error) {
	if err != nil {
		return nil, fmt.Errorf("store: sync state: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("store: sync state: %w", err)
		}
		out[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: sync state: %w", err)
	}
	return out, nil
}

// States returns every credential, active or not, with its current cycle
// and its deliveries' counts, by id.
func (s *Store) States(ctx context.Context) ([]domain.CredentialState, error) {
	rows, err := s.query(ctx, `SELECT `+cycleColumns+`, ls.stage, ls.sent_at,
			(SELECT COUNT(*) FROM deliveries x WHERE x.rotation_id = r.id AND x.status = 'failed'),
			(SELECT COUNT(*) FROM deliveries x WHERE x.rotation_id = r.id AND x.status = 'pending')
		FROM credentials c JOIN rotations r ON r.id = c.rotation_id
		LEFT JOIN LATERAL (SELECT stage, sent_at FROM deliveries x WHERE x.rotation_id = r.id AND x.status = 'sent'
			ORDER BY sent_at DESC, due_at DESC LIMIT 1) ls ON TRUE
		ORDER BY c.id`)
	if err != nil {
		return nil, fmt.Errorf("store: states: %w", err)
	}
	defer rows.Close()
	var out []domain.CredentialState
	for rows.Next() {
		var st domain.CredentialState
		var stage sql.NullString
		var sent sql.NullTime
		if st.Cycle, err = scanCycle(rows, &stage, &sent, &st.Failed, &st.Pending); err != nil {
			return nil, fmt.Errorf("store: states: %w", err)
		}
		st.LastStage, st.LastSentAt = stage.String, timeOf(sent)
		out = append(out, st)
	}
	return out, rows.Err()
}

// History returns events in time order.
func (s *Store) History(ctx context.Context, f domain.HistoryFilter) ([]domain.Event, error) {
	q := `SELECT id, time, type, COALESCE(credential_id, ''), COALESCE(rotation_id, 0), COALESCE(delivery_id, 0), stage, channel, status, actor, detail FROM events WHERE TRUE`
	var args []any
	if f.CredentialID != "" {
		q += ` AND credential_id = ?`
		args = append(args, f.CredentialID)
	}
	if f.Type != "" {
		q += ` AND type = ?`
		args = append(args, f.Type)
	}
	// Stored times are whole seconds: a bound with a fraction is rounded
	// up, as on SQLite.
	if !f.Since.IsZero() {
		q += ` AND time >= ?`
		args = append(args, ceilSecond(f.Since))
	}
	if !f.Until.IsZero() {
		q += ` AND time < ?`
		args = append(args, ceilSecond(f.Until))
	}
	q += ` ORDER BY time, id`
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: history: %w", err)
	}
	defer rows.Close()
	var out []domain.Event
	for rows.Next() {
		var e domain.Event
		if err := rows.Scan(&e.ID, &e.Time, &e.Type, &e.CredentialID, &e.RotationID, &e.DeliveryID, &e.Stage, &e.Channel, &e.Status, &e.Actor, &e.Detail); err != nil {
			return nil, fmt.Errorf("store: history: %w", err)
		}
		e.Time = e.Time.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

func ceilSecond(t time.Time) time.Time {
	t = t.UTC()
	if r := t.Truncate(time.Second); !r.Equal(t) {
		return r.Add(time.Second)
	}
	return t
}

// Deliveries returns the outbox rows of a credential (all when empty), in
// the order they were added.
func (s *Store) Deliveries(ctx context.Context, credentialID string) ([]domain.Delivery, error) {
	rows, err := s.query(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE ?::text = '' OR credential_id = ? ORDER BY id`, credentialID, credentialID)
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
	var next, sent sql.NullTime
	err := s.Scan(&x.ID, &x.RotationID, &x.CredentialID, &x.Stage, &x.Seq, &x.Channel, &x.Status, &x.Due, &x.Attempts, &next, &sent, &x.LastError)
	x.Due, x.NextAttemptAt, x.SentAt = x.Due.UTC(), timeOf(next), timeOf(sent)
	return x, err
}

// Delivery returns one outbox row by id, or domain.ErrNotFound.
func (s *Store) Delivery(ctx context.Context, id int64) (domain.Delivery, error) {
	x, err := scanDelivery(s.queryRow(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = ?`, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return x, fmt.Errorf("%w: delivery %d", domain.ErrNotFound, id)
	case err != nil:
		return x, fmt.Errorf("store: delivery %d: %w", id, err)
	}
	return x, nil
}

// cyclePage is how many cycles EachCycle reads per query.
const cyclePage = 5000

// EachCycle calls fn with the current cycle of every active credential, by
// id, without Sent, a page at a time; fn's error stops it and is returned.
func (s *Store) EachCycle(ctx context.Context, fn func(domain.Cycle) error) error {
	after := ""
	for {
		rows, err := s.query(ctx, `SELECT `+cycleColumns+`
			FROM credentials c JOIN rotations r ON r.id = c.rotation_id
			WHERE c.active AND c.id > ? ORDER BY c.id LIMIT ?`, after, cyclePage)
		if err != nil {
			return fmt.Errorf("store: cycles: %w", err)
		}
		page, err := collectCycles(rows)
		if err != nil {
			return fmt.Errorf("store: cycles: %w", err)
		}
		for _, c := range page {
			if err := fn(c); err != nil {
				return err
			}
		}
		if len(page) < cyclePage {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

// DeliveryCounts returns how many deliveries are pending and how many
// finally failed, per channel, in every cycle.
func (s *Store) DeliveryCounts(ctx context.Context) ([]domain.DeliveryCount, error) {
	rows, err := s.query(ctx, `SELECT channel, status, COUNT(*) FROM deliveries
		WHERE status IN ('pending', 'failed') GROUP BY channel, status ORDER BY channel, status`)
	if err != nil {
		return nil, fmt.Errorf("store: delivery counts: %w", err)
	}
	defer rows.Close()
	var out []domain.DeliveryCount
	for rows.Next() {
		var c domain.DeliveryCount
		if err := rows.Scan(&c.Channel, &c.Status, &c.Count); err != nil {
			return nil, fmt.Errorf("store: delivery counts: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// ClaimsOf lists the pending deliveries under a claim whose claimant's
// name contains part ("" for any claimant, expired claims included): what
// an operator asks of a replica that died mid-send, and what tests check.
func (s *Store) ClaimsOf(ctx context.Context, part string) (map[int64]bool, error) {
	rows, err := s.query(ctx, `SELECT id FROM deliveries WHERE status = 'pending' AND claimed_by IS NOT NULL AND strpos(claimed_by, ?) > 0`, part)
	ids, err := collectIDs(rows, err)
	if err != nil {
		return nil, fmt.Errorf("store: claims: %w", err)
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}
