package engine

import (
	"context"
	"errors"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
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
	at := normalize(r.At)
	err := e.store.RecordRotation(ctx, domain.Rotation{CredentialID: r.Credential, RotatedAt: at, Source: r.Source, Actor: r.By, Note: r.Note}, at)
	if err != nil {
		return err
	}
	e.logger.Info("rotation recorded", "credential", r.Credential, "at", at.Format(time.RFC3339), "by", r.By, "source", r.Source)
	return nil
}

// Ack is an acknowledgment to record.
type Ack struct {
	Credential string
	At         time.Time
	By         string
	Note       string
	Source     string // cli, http, slack, email
	DeliveryID int64  // the reminder acknowledged, when known
}

// Acknowledge records that someone has seen the reminders of a credential's
// current cycle: repeats stop, and later messages say who acknowledged. A
// second acknowledgment records nothing and returns
// *domain.AlreadyAcknowledged.
func (e *Engine) Acknowledge(ctx context.Context, a Ack) error {
	if a.By == "" {
		return errors.New("ack: say who acknowledges (--by)")
	}
	_, err := e.store.RecordAck(ctx, domain.Ack{CredentialID: a.Credential, At: normalize(a.At), Actor: a.By,
		Note: a.Note, Source: a.Source, DeliveryID: a.DeliveryID})
	if err != nil {
		return err
	}
	e.logger.Info("acknowledged", "credential", a.Credential, "by", a.By, "source", a.Source)
	return nil
}
