package sqlite

import (
	"context"
	"fmt"
	"time"
)

// RenewClaims extends to until the claims that claimant still holds among
// ids (pending deliveries it claimed and nobody has taken over since) and
// returns the ids it extended. A sender renews its claims while they wait
// in its queue and while they are sent, so that a claim can be short: a
// dead sender's claims expire soon after it stops renewing them.
func (s *Store) RenewClaims(ctx context.Context, claimant string, ids []int64, until time.Time) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var out []int64
	err := s.update(ctx, func(t *tx) error {
		out = out[:0]
		args := []any{FormatTime(until), claimant}
		for _, id := range ids {
			args = append(args, id)
		}
		rows, err := t.query(`UPDATE deliveries SET claim_expires_at = ?
			WHERE claimed_by = ? AND status = 'pending' AND id IN (`+placeholders(len(ids))+`) RETURNING id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			out = append(out, id)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: renew claims: %w", err)
	}
	return out, nil
}
