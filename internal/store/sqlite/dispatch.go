package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// DueChannels lists the channels that have pending deliveries due at now.
func (s *Store) DueChannels(ctx context.Context, now time.Time) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT channel FROM deliveries
		WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY channel`, FormatTime(now))
	if err != nil {
		return nil, fmt.Errorf("store: due channels: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var ch string
		if err := rows.Scan(&ch); err != nil {
			return nil, fmt.Errorf("store: due channels: %w", err)
		}
		out = append(out, ch)
	}
	return out, rows.Err()
}

// ClaimDeliveries claims, in a committed transaction, up to limit pending
// deliveries of a channel whose next attempt is due at now and that nobody
// else holds (no claim, or an expired one), until the given time. Only the
// claimant records their outcome; a claimant that dies leaves claims that
// expire, and the deliveries are tried again. Oldest first.
func (s *Store) ClaimDeliveries(ctx context.Context, claimant, channel string, now, until time.Time, limit int) ([]domain.Claimed, error) {
	var out []domain.Claimed
	err := s.update(ctx, func(t *tx) error {
		out = out[:0]
		n := FormatTime(now)
		rows, err := t.query(`SELECT id FROM deliveries
			WHERE status = 'pending' AND channel = ? AND next_attempt_at <= ? AND (claim_expires_at IS NULL OR claim_expires_at <= ?)
			ORDER BY next_attempt_at, id LIMIT ?`, channel, n, n, limit)
		if err != nil {
			return fmt.Errorf("store: claim: %w", err)
		}
		var ids []any
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("store: claim: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: claim: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		if _, err := t.exec(`UPDATE deliveries SET claimed_by = ?, claim_expires_at = ? WHERE id IN (`+placeholders(len(ids))+`)`,
			append([]any{claimant, FormatTime(until)}, ids...)...); err != nil {
			return fmt.Errorf("store: claim: %w", err)
		}
		dr, err := t.tx.QueryContext(t.ctx, `SELECT d.id, d.rotation_id, d.credential_id, d.stage, d.seq, d.channel, d.due_at, d.attempts, `+cycleColumns+`
			FROM deliveries d JOIN rotations r ON r.id = d.rotation_id JOIN credentials c ON c.id = d.credential_id
			WHERE d.id IN (`+placeholders(len(ids))+`) ORDER BY d.next_attempt_at, d.id`, ids...)
		if err != nil {
			return fmt.Errorf("store: claim: %w", err)
		}
		defer dr.Close()
		for dr.Next() {
			var x domain.Claimed
			var due string
			var err error
			// The cycle columns come last; scanCycle reads the delivery's
			// columns in front of them through a wrapping scanner.
			x.Cycle, err = scanCycle(prefixScanner{dr, []any{&x.ID, &x.RotationID, &x.CredentialID, &x.Stage, &x.Seq, &x.Channel, &due, &x.Attempts}})
			if err != nil {
				return fmt.Errorf("store: claim: %w", err)
			}
			// The delivery's cycle, not necessarily the credential's current
			// one: the rotation joined is the delivery's.
			x.Cycle.RotationID = x.RotationID
			x.Status = domain.StatusPending
			if x.Due, err = ParseTime(due); err != nil {
				return fmt.Errorf("store: claim: %w", err)
			}
			out = append(out, x)
		}
		return dr.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// prefixScanner scans its own destinations in front of the caller's.
type prefixScanner struct {
	s      scanner
	prefix []any
}

func (p prefixScanner) Scan(dst ...any) error { return p.s.Scan(append(p.prefix, dst...)...) }
