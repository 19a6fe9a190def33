package sqlite

import (
	"context"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlstore"
)

// RecordRotation records that a credential was rotated at r.RotatedAt, in
// one transaction (see sqlstore.RecordRotation).
func (s *Store) RecordRotation(ctx context.Context, r domain.Rotation, now time.Time) error {
	return s.update(ctx, func(t *tx) error { return sqlstore.RecordRotation(t, r, now) })
}

// RecordAck records that someone has seen the reminders of a credential's
// current cycle, in one transaction (see sqlstore.RecordAck).
func (s *Store) RecordAck(ctx context.Context, a domain.Ack) (domain.Ack, error) {
	out := a
	err := s.update(ctx, func(t *tx) (err error) { out, err = sqlstore.RecordAck(t, a); return err })
	return out, err
}
