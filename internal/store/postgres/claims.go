package postgres

import (
	"context"
	"fmt"
	"time"
)

// RenewClaims extends to until the claims that claimant still holds among
// ids and returns the ids it extended; see the SQLite store's doc. Like a
// claim, it does not take the store's write lock.
func (s *Store) RenewClaims(ctx context.Context, claimant string, ids []int64, until time.Time) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var out []int64
	err := s.transact(ctx, false, func(t *tx) error {
		var err error
		out, err = collectIDs(t.query(`UPDATE deliveries SET claim_expires_at = ?
			WHERE claimed_by = ? AND status = 'pending' AND id = ANY(?) RETURNING id`, storedTime(until), claimant, ids))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: renew claims: %w", err)
	}
	return out, nil
}
