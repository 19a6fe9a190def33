package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/db"
)

// Rotation is a rotation to record.
type Rotation struct {
	Credential string
	At         time.Time
	By         string
	Note       string
	Source     string // cli, http, slack
}

// Rotate records that a credential was rotated at r.At: the current cycle
// closes, its pending deliveries become superseded and a new deadline
// starts. A rotation not newer than the latest recorded one is refused.
func (e *Engine) Rotate(ctx context.Context, r Rotation) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	at := normalize(r.At)
	return e.store.Update(ctx, func(tx *db.Tx) error {
		if err := activeCredential(tx, r.Credential); err != nil {
			return err
		}
		latest, err := tx.LatestRotation(r.Credential)
		if err != nil {
			return err
		}
		if !at.After(latest.RotatedAt) {
			return fmt.Errorf("%w: %s: rotation at %s is not newer than the latest recorded rotation at %s (source %s)",
				ErrNotNewer, r.Credential, db.FormatTime(at), db.FormatTime(latest.RotatedAt), latest.Source)
		}
		id, err := tx.InsertRotation(db.Rotation{CredentialID: r.Credential, RotatedAt: at, Source: r.Source, Actor: r.By, Note: r.Note}, at)
		if err != nil {
			return err
		}
		e.logger.Info("rotation recorded", "credential", r.Credential, "at", db.FormatTime(at), "by", r.By, "source", r.Source)
		return tx.SupersedePending(r.Credential, id, at, "superseded by the rotation at "+db.FormatTime(at))
	})
}

// Ack is an acknowledgment to record.
type Ack struct {
	Credential string
	At         time.Time
	By         string
	Note       string
	Source     string // cli, http, slack, email
	DeliveryID *int64 // the reminder acknowledged, when known
}

// AlreadyAcknowledged is returned, and nothing recorded, when the current
// cycle was acknowledged before: a second click changes nothing.
type AlreadyAcknowledged struct {
	Credential string
	By         string
	At         time.Time
}

func (a *AlreadyAcknowledged) Error() string {
	return fmt.Sprintf("%s: already acknowledged by %s at %s", a.Credential, a.By, db.FormatTime(a.At))
}

// Acknowledge records that someone has seen the reminders of a credential's
// current cycle: repeats stop, and later messages say who acknowledged.
func (e *Engine) Acknowledge(ctx context.Context, a Ack) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	at := normalize(a.At)
	if a.By == "" {
		return errors.New("ack: say who acknowledges (--by)")
	}
	return e.store.Update(ctx, func(tx *db.Tx) error {
		if err := activeCredential(tx, a.Credential); err != nil {
			return err
		}
		cycle, err := tx.LatestRotation(a.Credential)
		if err != nil {
			return err
		}
		if at.Before(cycle.RotatedAt) {
			return fmt.Errorf("%s: acknowledgment at %s is before the current cycle started (rotation at %s)",
				a.Credential, db.FormatTime(at), db.FormatTime(cycle.RotatedAt))
		}
		if first, err := tx.FirstAck(cycle.ID); err == nil {
			return &AlreadyAcknowledged{Credential: a.Credential, By: first.Actor, At: first.At}
		} else if !errors.Is(err, db.ErrNotFound) {
			return err
		}
		if _, err := tx.InsertAck(db.Ack{CredentialID: a.Credential, RotationID: cycle.ID, At: at, Actor: a.By,
			Note: a.Note, Source: a.Source, DeliveryID: a.DeliveryID}); err != nil {
			return err
		}
		e.logger.Info("acknowledged", "credential", a.Credential, "by", a.By, "source", a.Source)
		return nil
	})
}

func activeCredential(tx *db.Tx, id string) error {
	c, err := tx.Credential(id)
	if errors.Is(err, db.ErrNotFound) {
		return fmt.Errorf("%w %q", ErrUnknownCredential, id)
	}
	if err != nil {
		return err
	}
	if !c.Active {
		return fmt.Errorf("%w: %q was removed from the config", ErrInactive, id)
	}
	return nil
}
