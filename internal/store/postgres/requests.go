package postgres

import (
	"context"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlstore"
)

// RecordRotationRequest records a request to Amazon to rotate an active
// SP-API credential's client secret, in one transaction (see
// sqlstore.RecordRotationRequest).
func (s *Store) RecordRotationRequest(ctx context.Context, r domain.RotationRequest, now time.Time) error {
	return s.update(ctx, func(t *tx) error { return sqlstore.RecordRotationRequest(t, r, now) })
}

// LastRotationCall is when the rotation API was last called for the
// application with that client id (zero: never).
func (s *Store) LastRotationCall(ctx context.Context, clientID string) (time.Time, error) {
	return sqlstore.LastRotationCall(ctx, s.reader(), clientID)
}

// PendingRotationRequests returns, per active credential, when Amazon last
// accepted a request to rotate its secret in its current cycle.
func (s *Store) PendingRotationRequests(ctx context.Context) (map[string]time.Time, error) {
	return sqlstore.PendingRotationRequests(ctx, s.reader())
}
