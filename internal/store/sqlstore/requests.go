package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// RecordRotationRequest records a request to Amazon to rotate an active
// SP-API credential's client secret, in its current cycle, with an event
// (type rotation-request, status the outcome, Amazon's text as detail).
func (s *Store) RecordRotationRequest(ctx context.Context, r domain.RotationRequest, now time.Time) error {
	return s.update(ctx, func(t *Tx) error { return recordRotationRequest(t, r, now) })
}

// recordRotationRequest is RecordRotationRequest in t.
func recordRotationRequest(t *Tx, r domain.RotationRequest, now time.Time) error {
	now = StoredTime(now)
	at := StoredTime(MinTime(r.At, now))
	c, err := t.ActiveCredential(r.CredentialID)
	if err != nil {
		return err
	}
	if _, err := t.Exec(`INSERT INTO rotation_requests (credential_id, rotation_id, client_id, requested_at, outcome, called, actor, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, c.RotationID, c.LWAClientID, t.Time(at), r.Outcome, r.Called, r.Actor, r.Detail); err != nil {
		return fmt.Errorf("store: rotation request of %s: %w", c.ID, err)
	}
	return t.InsertEvent(domain.Event{Time: at, Type: domain.EventRotationRequest, CredentialID: c.ID, RotationID: c.RotationID,
		Status: r.Outcome, Actor: r.Actor, Detail: r.Detail})
}

// LastRotationCall is when the rotation API was last called for the
// application with that client id (zero: never): its rate limit counts
// calls per application, across restarts.
func (s *Store) LastRotationCall(ctx context.Context, clientID string) (time.Time, error) {
	var at time.Time
	err := s.db.QueryRow(ctx, `SELECT MAX(requested_at) FROM rotation_requests WHERE client_id = ? AND `+s.db.IsTrue("called"), clientID).Scan(NullTimeOf(&at))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("store: rotation requests: %w", err)
	}
	return at, nil
}

// PendingRotationRequests returns, per active credential, when Amazon last
// accepted a request to rotate its secret in its current cycle: a
// rotation requested and not yet recorded (the new-secret notification
// starts a new cycle).
func (s *Store) PendingRotationRequests(ctx context.Context) (map[string]time.Time, error) {
	rows, err := s.db.Query(ctx, `SELECT q.credential_id, MAX(q.requested_at) FROM rotation_requests q
		JOIN credentials c ON c.id = q.credential_id AND c.rotation_id = q.rotation_id AND `+s.db.IsTrue("c.active")+`
		WHERE q.outcome = 'requested' GROUP BY q.credential_id`)
	if err != nil {
		return nil, fmt.Errorf("store: rotation requests: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var id string
		var at time.Time
		if err := rows.Scan(&id, TimeOf(&at)); err != nil {
			return nil, fmt.Errorf("store: rotation requests: %w", err)
		}
		out[id] = at
	}
	return out, rows.Err()
}
