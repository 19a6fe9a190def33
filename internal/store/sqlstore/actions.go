package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// RecordRotation records that a credential was rotated at r.RotatedAt: the
// current cycle closes, its pending deliveries become superseded and a new
// cycle starts, due for planning. A rotation not newer than the latest
// recorded one is refused (domain.ErrNotNewer), as is one of an unknown or
// inactive credential.
func (s *Store) RecordRotation(ctx context.Context, r domain.Rotation, now time.Time) error {
	return s.update(ctx, func(t *Tx) error { return recordRotation(t, r, now) })
}

// recordRotation is RecordRotation in t.
func recordRotation(t *Tx, r domain.Rotation, now time.Time) error {
	r.RotatedAt = StoredTime(r.RotatedAt)
	c, err := t.ActiveCredential(r.CredentialID)
	if err != nil {
		return err
	}
	latest, err := t.Rotation(c.RotationID)
	if err != nil {
		return err
	}
	if !r.RotatedAt.After(latest.RotatedAt) {
		return fmt.Errorf("%w: %s: rotation at %s is not newer than the latest recorded rotation at %s (source %s)",
			domain.ErrNotNewer, r.CredentialID, FormatTime(r.RotatedAt), FormatTime(latest.RotatedAt), latest.Source)
	}
	if err := retractedAt(t, r.CredentialID, r.RotatedAt); err != nil {
		return err
	}
	if _, err = t.InsertRotation(r, now); err != nil {
		return err
	}
	return t.NotifyDue()
}

// RecordAck records that someone has seen the reminders of a credential's
// current cycle: repeats stop, later messages say who acknowledged; a
// snooze (a.Until) stops them until its end. A cycle already acknowledged,
// or snoozed and the snooze not ended, returns *domain.AlreadyAcknowledged
// and records nothing, except that a plain acknowledgment replaces a
// snooze in force. An acknowledgment dated before the cycle started, or of a
// reminder (a.DeliveryID) of an earlier cycle, is refused with
// domain.ErrBeforeCycle: a link in an old reminder does not silence the new
// cycle. The cycle is due for planning, so the ladder is reconsidered. It
// returns the acknowledgment with its id and cycle.
func (s *Store) RecordAck(ctx context.Context, a domain.Ack) (domain.Ack, error) {
	out := a
	err := s.update(ctx, func(t *Tx) (err error) { out, err = recordAck(t, a); return err })
	return out, err
}

// recordAck is RecordAck in t.
func recordAck(t *Tx, a domain.Ack) (domain.Ack, error) {
	c, err := t.ActiveCredential(a.CredentialID)
	if err != nil {
		return a, err
	}
	cycle, err := t.Rotation(c.RotationID)
	if err != nil {
		return a, err
	}
	if a.At.Before(cycle.RotatedAt) {
		return a, fmt.Errorf("%w: %s: acknowledgment at %s, rotation at %s", domain.ErrBeforeCycle,
			a.CredentialID, FormatTime(a.At), FormatTime(cycle.RotatedAt))
	}
	if a.DeliveryID != 0 {
		if err := reminderOf(t, a.DeliveryID, a.CredentialID, cycle.ID); err != nil {
			return a, err
		}
	}
	var at, until time.Time
	var actor sql.NullString
	err = t.QueryRow(`SELECT (SELECT a.acked_at `+FirstAckOf+`), (SELECT a.actor `+FirstAckOf+`), (SELECT a.snoozed_until `+FirstAckOf+`)
		FROM rotations r WHERE r.id = ?`, cycle.ID).Scan(NullTimeOf(&at), &actor, NullTimeOf(&until))
	switch {
	case err != nil:
		return a, fmt.Errorf("store: acknowledgment of %s: %w", a.CredentialID, err)
	case actor.Valid && !followsSnooze(a, at, until):
		return a, &domain.AlreadyAcknowledged{Credential: a.CredentialID, By: actor.String, At: at, Until: until}
	}
	a.RotationID = cycle.ID
	if a.ID, _, err = t.Insert(`INSERT INTO acknowledgments (credential_id, rotation_id, acked_at, actor, note, source, delivery_id, recorded_at, snoozed_until)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.CredentialID, a.RotationID, t.Time(a.At), a.Actor, a.Note, a.Source, NullID(a.DeliveryID), t.Time(t.Recorded()), nullTime(t, a.Until)); err != nil {
		return a, fmt.Errorf("store: acknowledgment of %s: %w", a.CredentialID, err)
	}
	// The event, hashed into the chain, says the snooze's end in its detail.
	detail := "acknowledged via " + a.Source
	if !a.Until.IsZero() {
		detail = "snoozed via " + a.Source + " until " + FormatTime(a.Until)
	}
	if a.Note != "" {
		detail += ": " + a.Note
	}
	if err := t.InsertEvent(domain.Event{Time: a.At, Type: domain.EventAck, CredentialID: a.CredentialID, RotationID: a.RotationID,
		DeliveryID: a.DeliveryID, Status: a.Source, Actor: a.Actor, Detail: detail}); err != nil {
		return a, err
	}
	if err := t.MarkDue(a.CredentialID, a.At); err != nil {
		return a, err
	}
	return a, t.NotifyDue()
}

// followsSnooze reports whether a may be recorded after the cycle's
// latest acknowledgment (at, until): only a snooze's can be followed, by
// an acknowledgment or snooze made not before it once it has ended, or by
// a plain acknowledgment (for the cycle) while it lasts.
func followsSnooze(a domain.Ack, at, until time.Time) bool {
	return !until.IsZero() && !a.At.Before(at) && (!a.At.Before(until) || a.Until.IsZero())
}

// reminderOf checks that the delivery an acknowledgment names is a reminder
// of the credential's current cycle.
func reminderOf(t *Tx, deliveryID int64, credentialID string, rotationID int64) error {
	var cred, stage string
	var rot int64
	err := t.QueryRow(`SELECT credential_id, rotation_id, stage FROM deliveries WHERE id = ?`, deliveryID).Scan(&cred, &rot, &stage)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: delivery %d", domain.ErrNotFound, deliveryID)
	case err != nil:
		return fmt.Errorf("store: delivery %d: %w", deliveryID, err)
	case stage == domain.StageAnnounce:
		// It told that a rotation happened; it asked nothing of anyone.
		return fmt.Errorf("%w: delivery %d announces a rotation of %s, not a reminder to acknowledge", domain.ErrNotFound, deliveryID, cred)
	case cred != credentialID:
		return fmt.Errorf("%w: delivery %d is a reminder of %s, not of %s", domain.ErrNotFound, deliveryID, cred, credentialID)
	case rot != rotationID:
		return fmt.Errorf("%w: %s: the reminder acknowledged (delivery %d) is of an earlier cycle", domain.ErrBeforeCycle, credentialID, deliveryID)
	}
	return nil
}
