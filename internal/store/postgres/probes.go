package postgres

import (
	"context"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlstore"
)

// RecordProbe records a probe of an active credential's client secret in
// its current cycle, in one transaction, and returns how many alerts were
// added (see sqlstore.RecordProbe).
func (s *Store) RecordProbe(ctx context.Context, p domain.Probe, now time.Time) (alerts int, err error) {
	err = s.update(ctx, func(t *tx) (err error) { alerts, err = sqlstore.RecordProbe(t, p, now); return err })
	return alerts, err
}

// LastProbes returns, per active credential probed at least once, its
// last probe (any outcome) and its last ok one (zero if none).
func (s *Store) LastProbes(ctx context.Context) (map[string]domain.ProbeTimes, error) {
	return sqlstore.LastProbes(ctx, s.reader())
}
