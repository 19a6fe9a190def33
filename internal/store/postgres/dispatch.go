package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlstore"
)

// DueChannels lists the channels that have pending deliveries due at now.
func (s *Store) DueChannels(ctx context.Context, now time.Time) ([]string, error) {
	rows, err := s.query(ctx, `SELECT DISTINCT channel FROM deliveries
		WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY channel`, storedTime(now))
	out, err := sqlstore.Strings(rows, err)
	if err != nil {
		return nil, fmt.Errorf("store: due channels: %w", err)
	}
	return out, nil
}

// ClaimDeliveries claims, in a committed transaction, up to limit pending
// deliveries of a channel whose next attempt is due at now and that nobody
// else holds (no claim, or an expired one), until the given time, oldest
// first. The rows are locked FOR UPDATE SKIP LOCKED: replicas claiming at
// once each take other rows rather than waiting on one another, and a
// claim does not take the store's write lock.
func (s *Store) ClaimDeliveries(ctx context.Context, claimant, channel string, now, until time.Time, limit int) ([]domain.Claimed, error) {
	var out []domain.Claimed
	err := s.transact(ctx, false, func(t *tx) error {
		out = out[:0]
		n := storedTime(now)
		ids, err := collectIDs(t.query(`UPDATE deliveries SET claimed_by = ?, claim_expires_at = ?
			WHERE id IN (SELECT id FROM deliveries
				WHERE status = 'pending' AND channel = ? AND next_attempt_at <= ? AND (claim_expires_at IS NULL OR claim_expires_at <= ?)
				ORDER BY next_attempt_at, id LIMIT ? FOR UPDATE SKIP LOCKED)
			RETURNING id`, claimant, storedTime(until), channel, n, n, limit))
		if err != nil {
			return fmt.Errorf("store: claim: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		dr, err := t.query(`SELECT d.id, d.rotation_id, d.credential_id, d.stage, d.seq, d.channel, d.due_at, d.attempts, `+cycleColumns+`
			FROM deliveries d JOIN rotations r ON r.id = d.rotation_id JOIN credentials c ON c.id = d.credential_id
			WHERE d.id = ANY(?) ORDER BY d.next_attempt_at, d.id`, ids)
		if err != nil {
			return fmt.Errorf("store: claim: %w", err)
		}
		defer dr.Close()
		for dr.Next() {
			var x domain.Claimed
			var err error
			// The cycle columns come last; scanCycle reads the delivery's
			// columns in front of them through a wrapping scanner.
			x.Cycle, err = scanCycle(prefixScanner{dr, []any{&x.ID, &x.RotationID, &x.CredentialID, &x.Stage, &x.Seq, &x.Channel, &x.Due, &x.Attempts}})
			if err != nil {
				return fmt.Errorf("store: claim: %w", err)
			}
			// The delivery's cycle, not necessarily the credential's current one.
			x.Cycle.RotationID = x.RotationID
			x.Status = domain.StatusPending
			x.Due = x.Due.UTC()
			out = append(out, x)
		}
		return dr.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func collectIDs(rows *sql.Rows, err error) ([]int64, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// prefixScanner scans its own destinations in front of the caller's.
type prefixScanner struct {
	s      scanner
	prefix []any
}

func (p prefixScanner) Scan(dst ...any) error { return p.s.Scan(append(p.prefix, dst...)...) }
