package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/notifier-dev/notifier/internal/domain"
)

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
