package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

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
