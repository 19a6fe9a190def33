package engine

import (
	"context"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// StateCounts is how many credentials are in each state at now (ok, due,
// overdue, inactive; a state with none is 0), and how many are rotated
// (StateRotated, which overlaps them), counted by the store as
// its rows stream by (CredentialCounts, /metrics' read): one pass over
// the fleet, memory bounded by owners × policies.
func (e *Engine) StateCounts(ctx context.Context, now time.Time) (map[string]int, error) {
	now = normalize(now)
	v := e.view()
	q := domain.CountsQuery{Now: now, DueBy: map[string]time.Time{}}
	for name, l := range v.ladders {
		for _, st := range l.policy.Stages {
			// due from the least urgent stage's threshold on
			if at := st.Offset.Add(now, 1, v.cfg.Location); !st.After && at.After(q.DueBy[name]) {
				q.DueBy[name] = at
			}
		}
	}
	out := map[string]int{StateOK: 0, StateDue: 0, StateOverdue: 0, StateInactive: 0}
	err := e.store.CredentialCounts(ctx, q, func(c domain.CredentialCount) error {
		out[c.State] += c.Count
		return nil
	})
	if err != nil {
		return out, err
	}
	// StateRotated overlaps the others: counted apart, by index.
	out[StateRotated], err = e.store.CountRotated(ctx, now.Add(-RotatedWindow), now)
	return out, err
}
