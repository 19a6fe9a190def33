package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// Retract records a correction: a mistaken rotation or acknowledgment
// (x.Kind) is retracted by an appended row and event, with its actor and
// reason; the retracted record stays, marked, and the cycle rules skip it.
//
// A retracted rotation of the current cycle gives the credential back its
// earlier cycle: its deadline, its sent stages (not sent again) and its
// acknowledgments; its deliveries that the mistaken rotation superseded
// are pending again, and the retracted cycle's pending ones are
// superseded. A retracted acknowledgment leaves its cycle unacknowledged
// (unless another one stands), so the repeats resume. Either way the
// cycle is due for planning.
//
// Refused, with nothing written: an unknown credential or record
// (domain.ErrNotFound), a record of another credential, one already
// retracted (domain.ErrRetracted), the only live rotation of a credential
// (domain.ErrOnlyRotation), an empty reason. It returns x with its id,
// the retracted record's time and the credential's current cycle.
func (s *Store) Retract(ctx context.Context, x domain.Retraction) (domain.Retraction, error) {
	x.At = StoredTime(x.At)
	if strings.TrimSpace(x.Reason) == "" {
		return x, errors.New("store: a retraction needs a reason")
	}
	out := x
	err := s.update(ctx, func(t *Tx) (err error) {
		out = x
		out.RecordedAt = t.Recorded() // its event's: verify matches them
		switch x.Kind {
		case domain.RetractRotation:
			err = retractRotation(t, &out)
		case domain.RetractAck:
			err = retractAck(t, &out)
		default:
			err = fmt.Errorf("store: retract %q: not a rotation nor an acknowledgment", x.Kind)
		}
		return err
	})
	return out, err
}

// retractRotation is Retract of a rotation in t.
func retractRotation(t *Tx, x *domain.Retraction) error {
	c, err := t.ActiveCredential(x.CredentialID)
	if err != nil {
		return err
	}
	target := c.RotationID
	switch {
	case x.TargetID != 0:
		target = x.TargetID
	case !x.TargetAt.IsZero():
		err := t.QueryRow(`SELECT id FROM rotations WHERE credential_id = ? AND rotated_at = ?`, x.CredentialID, t.Time(StoredTime(x.TargetAt))).Scan(&target)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: %s has no rotation at %s", domain.ErrNotFound, x.CredentialID, FormatTime(x.TargetAt))
		}
		if err != nil {
			return fmt.Errorf("store: rotation of %s: %w", x.CredentialID, err)
		}
	}
	r, err := t.Rotation(target)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return fmt.Errorf("%w: rotation %d", domain.ErrNotFound, target)
	case err != nil:
		return err
	case r.CredentialID != x.CredentialID:
		return fmt.Errorf("%w: rotation %d is of %s, not of %s", domain.ErrNotFound, target, r.CredentialID, x.CredentialID)
	}
	if err := notRetracted(t, domain.RetractRotation, target, x.CredentialID); err != nil {
		return err
	}
	if x.At.Before(r.RotatedAt) {
		return fmt.Errorf("%w: %s: retraction at %s, before the rotation it retracts (%s)", domain.ErrBeforeCycle,
			x.CredentialID, FormatTime(x.At), FormatTime(r.RotatedAt))
	}
	x.TargetID, x.TargetTime = target, r.RotatedAt
	if err := insertRetraction(t, x); err != nil {
		return err
	}
	var resumed int64
	var resumedAt time.Time
	err = t.QueryRow(`SELECT r.id, r.rotated_at `+LatestLiveRotation, x.CredentialID).Scan(&resumed, TimeOf(&resumedAt))
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %s has no other rotation (rotation %d at %s)", domain.ErrOnlyRotation, x.CredentialID, target, FormatTime(r.RotatedAt))
	}
	if err != nil {
		return fmt.Errorf("store: rotations of %s: %w", x.CredentialID, err)
	}
	x.RotationID = resumed
	detail := fmt.Sprintf("rotation at %s (source %s) retracted: %s", FormatTime(r.RotatedAt), r.Source, x.Reason)
	if target == c.RotationID {
		detail += "; the cycle of " + FormatTime(resumedAt) + " resumes"
	}
	if err := t.InsertEvent(domain.Event{Time: x.At, Type: domain.EventRetraction, CredentialID: x.CredentialID, RotationID: target,
		Status: domain.RetractRotation, Actor: x.Actor, Detail: detail}); err != nil {
		return err
	}
	if target != c.RotationID {
		// An earlier rotation: the cycle before it now runs to the next
		// live one; the current cycle does not change. Its announcement,
		// if not yet sent, is cancelled: a retracted rotation is not
		// announced.
		return Supersede(t, `rotation_id = ? AND stage = ? AND status = 'pending'`, x.At,
			"superseded: the rotation at "+FormatTime(r.RotatedAt)+" was retracted", target, domain.StageAnnounce)
	}
	if _, err := t.Exec(`UPDATE credentials SET rotation_id = ?, next_action_at = ? WHERE id = ?`, resumed, t.Time(x.At), x.CredentialID); err != nil {
		return fmt.Errorf("store: retraction of %s: %w", x.CredentialID, err)
	}
	if err := t.supersedePending(x.CredentialID, resumed, x.At, "superseded: the rotation at "+FormatTime(r.RotatedAt)+" was retracted"); err != nil {
		return err
	}
	if err := resumeSuperseded(t, resumed, r.RotatedAt, x.At); err != nil {
		return err
	}
	return t.NotifyDue()
}

// resumeSuperseded makes the deliveries of cycle rotationID that the
// rotation at rotatedAt superseded pending again (due at once, with an
// event each): they are the same outbox rows, so the unique key still
// holds and no stage goes out twice.
func resumeSuperseded(t *Tx, rotationID int64, rotatedAt, now time.Time) error {
	rows, err := t.Query(`UPDATE deliveries SET status = 'pending', next_attempt_at = ?, last_error = ''
		WHERE rotation_id = ? AND status = 'superseded' AND last_error = ?
		RETURNING id, credential_id, stage, channel`, t.Time(now), rotationID, "superseded by the rotation at "+FormatTime(rotatedAt))
	why := "pending again: the rotation at " + FormatTime(rotatedAt) + " that superseded it was retracted"
	evs, err := Collect(rows, err, func(r Scanner) (domain.Event, error) {
		e := domain.Event{Time: now, Type: domain.EventReminder, RotationID: rotationID, Status: domain.StatusPending, Detail: why}
		return e, r.Scan(&e.DeliveryID, &e.CredentialID, &e.Stage, &e.Channel)
	})
	if err != nil {
		return fmt.Errorf("store: resume deliveries: %w", err)
	}
	sortEventsByDelivery(evs)
	for _, e := range evs {
		if err := t.InsertEvent(e); err != nil {
			return err
		}
	}
	return nil
}

// retractAck is Retract of an acknowledgment in t: by default the one
// that counts in the current cycle (its first live one).
func retractAck(t *Tx, x *domain.Retraction) error {
	c, err := t.ActiveCredential(x.CredentialID)
	if err != nil {
		return err
	}
	target := x.TargetID
	if target == 0 {
		err := t.QueryRow(`SELECT (SELECT a.id `+FirstAckOf+`) FROM rotations r WHERE r.id = ? AND (SELECT a.id `+FirstAckOf+`) IS NOT NULL`, c.RotationID).Scan(&target)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: the current cycle of %s has no acknowledgment", domain.ErrNotFound, x.CredentialID)
		}
		if err != nil {
			return fmt.Errorf("store: acknowledgment of %s: %w", x.CredentialID, err)
		}
	}
	var cred, actor string
	var rot int64
	var at time.Time
	err = t.QueryRow(`SELECT credential_id, rotation_id, acked_at, actor FROM acknowledgments WHERE id = ?`, target).
		Scan(&cred, &rot, TimeOf(&at), &actor)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: acknowledgment %d", domain.ErrNotFound, target)
	case err != nil:
		return fmt.Errorf("store: acknowledgment %d: %w", target, err)
	case cred != x.CredentialID:
		return fmt.Errorf("%w: acknowledgment %d is of %s, not of %s", domain.ErrNotFound, target, cred, x.CredentialID)
	}
	if err := notRetracted(t, domain.RetractAck, target, x.CredentialID); err != nil {
		return err
	}
	if x.At.Before(at) {
		return fmt.Errorf("%w: %s: retraction at %s, before the acknowledgment it retracts (%s)", domain.ErrBeforeCycle,
			x.CredentialID, FormatTime(x.At), FormatTime(at))
	}
	x.TargetID, x.TargetTime, x.RotationID = target, at, c.RotationID
	if err := insertRetraction(t, x); err != nil {
		return err
	}
	if err := t.InsertEvent(domain.Event{Time: x.At, Type: domain.EventRetraction, CredentialID: x.CredentialID, RotationID: rot,
		Status: domain.RetractAck, Actor: x.Actor,
		Detail: fmt.Sprintf("acknowledgment at %s by %s retracted: %s", FormatTime(at), actor, x.Reason)}); err != nil {
		return err
	}
	if err := t.MarkDue(x.CredentialID, x.At); err != nil {
		return err
	}
	return t.NotifyDue()
}

// notRetracted refuses a record already retracted.
func notRetracted(t *Tx, kind string, id int64, credentialID string) error {
	var by string
	var at time.Time
	err := t.QueryRow(`SELECT actor, retracted_at FROM retractions WHERE kind = ? AND target_id = ?`, kind, id).Scan(&by, TimeOf(&at))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("store: retractions of %s: %w", credentialID, err)
	}
	return fmt.Errorf("%w: %s: %s %d was retracted at %s by %s", domain.ErrRetracted, credentialID, kind, id, FormatTime(at), by)
}

// insertRetraction appends x's row and sets its id.
func insertRetraction(t *Tx, x *domain.Retraction) (err error) {
	x.ID, _, err = t.Insert(`INSERT INTO retractions (credential_id, kind, target_id, retracted_at, actor, reason, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		x.CredentialID, x.Kind, x.TargetID, t.Time(x.At), x.Actor, x.Reason, t.Time(x.RecordedAt))
	if err != nil {
		return fmt.Errorf("store: retraction of %s: %w", x.CredentialID, err)
	}
	return nil
}

// retractedAt refuses a rotation of id at `at` where a retracted one is
// recorded (domain.ErrRetracted): the retracted record keeps its place,
// and a rotation is recorded once per time.
func retractedAt(t *Tx, id string, at time.Time) error {
	var rid int64
	err := t.QueryRow(`SELECT r.id FROM rotations r WHERE r.credential_id = ? AND r.rotated_at = ? AND NOT `+LiveRotation, id, t.Time(at)).Scan(&rid)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("store: rotations of %s: %w", id, err)
	}
	return fmt.Errorf("%w: %s: the rotation at %s (rotation %d) was retracted; record the real rotation at its own time",
		domain.ErrRetracted, id, FormatTime(at), rid)
}
