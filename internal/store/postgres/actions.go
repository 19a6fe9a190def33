package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// RecordRotation records that a credential was rotated at r.RotatedAt (see
// the SQLite store's doc: the same contract).
func (s *Store) RecordRotation(ctx context.Context, r domain.Rotation, now time.Time) error {
	r.RotatedAt = storedTime(r.RotatedAt)
	return s.update(ctx, func(t *tx) error {
		c, err := t.activeCredential(r.CredentialID)
		if err != nil {
			return err
		}
		latest, err := t.rotation(c.RotationID)
		if err != nil {
			return err
		}
		if !r.RotatedAt.After(latest.RotatedAt) {
			return fmt.Errorf("%w: %s: rotation at %s is not newer than the latest recorded rotation at %s (source %s)",
				domain.ErrNotNewer, r.CredentialID, FormatTime(r.RotatedAt), FormatTime(latest.RotatedAt), latest.Source)
		}
		if _, err = t.insertRotation(r, now); err != nil {
			return err
		}
		return t.notifyDue()
	})
}

// RecordAck records that someone has seen the reminders of a credential's
// current cycle (see the SQLite store's doc: the same contract).
func (s *Store) RecordAck(ctx context.Context, a domain.Ack) (domain.Ack, error) {
	in := a
	err := s.update(ctx, func(t *tx) error {
		a = in
		c, err := t.activeCredential(a.CredentialID)
		if err != nil {
			return err
		}
		cycle, err := t.rotation(c.RotationID)
		if err != nil {
			return err
		}
		if a.At.Before(cycle.RotatedAt) {
			return fmt.Errorf("%w: %s: acknowledgment at %s, rotation at %s", domain.ErrBeforeCycle,
				a.CredentialID, FormatTime(a.At), FormatTime(cycle.RotatedAt))
		}
		if a.DeliveryID != 0 {
			if err := t.reminderOf(a.DeliveryID, a.CredentialID, cycle.ID); err != nil {
				return err
			}
		}
		var at time.Time
		var actor string
		err = t.queryRow(`SELECT acked_at, actor FROM acknowledgments WHERE rotation_id = ? ORDER BY acked_at, id LIMIT 1`, cycle.ID).Scan(&at, &actor)
		switch {
		case err == nil:
			return &domain.AlreadyAcknowledged{Credential: a.CredentialID, By: actor, At: at.UTC()}
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("store: acknowledgment of %s: %w", a.CredentialID, err)
		}
		a.RotationID = cycle.ID
		if err := t.queryRow(`INSERT INTO acknowledgments (credential_id, rotation_id, acked_at, actor, note, source, delivery_id) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			a.CredentialID, a.RotationID, storedTime(a.At), a.Actor, a.Note, a.Source, nullID(a.DeliveryID)).Scan(&a.ID); err != nil {
			return fmt.Errorf("store: acknowledgment of %s: %w", a.CredentialID, err)
		}
		detail := "acknowledged via " + a.Source
		if a.Note != "" {
			detail += ": " + a.Note
		}
		if err := t.insertEvent(domain.Event{Time: a.At, Type: domain.EventAck, CredentialID: a.CredentialID, RotationID: a.RotationID,
			DeliveryID: a.DeliveryID, Status: a.Source, Actor: a.Actor, Detail: detail}); err != nil {
			return err
		}
		if err := t.markDue(a.CredentialID, a.At); err != nil {
			return err
		}
		return t.notifyDue()
	})
	return a, err
}

// reminderOf checks that the delivery an acknowledgment names is a reminder
// of the credential's current cycle.
func (t *tx) reminderOf(deliveryID int64, credentialID string, rotationID int64) error {
	var cred string
	var rot int64
	err := t.queryRow(`SELECT credential_id, rotation_id FROM deliveries WHERE id = ?`, deliveryID).Scan(&cred, &rot)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: delivery %d", domain.ErrNotFound, deliveryID)
	case err != nil:
		return fmt.Errorf("store: delivery %d: %w", deliveryID, err)
	case cred != credentialID:
		return fmt.Errorf("%w: delivery %d is a reminder of %s, not of %s", domain.ErrNotFound, deliveryID, cred, credentialID)
	case rot != rotationID:
		return fmt.Errorf("%w: %s: the reminder acknowledged (delivery %d) is of an earlier cycle", domain.ErrBeforeCycle, credentialID, deliveryID)
	}
	return nil
}
