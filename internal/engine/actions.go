package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// Rotation is a rotation to record.
type Rotation struct {
	Credential string
	At         time.Time
	By         string
	Note       string
	Source     string // cli, http, slack
}

// MaxClockSkew is how far ahead of the real clock an acknowledgment or a
// rotation may be dated: the clocks of the operator's machine and of the
// server may differ a little.
const MaxClockSkew = 5 * time.Minute

// CheckNotFuture refuses, with domain.ErrFuture, a time for a record (an
// acknowledgment, a rotation) later than the real clock plus MaxClockSkew:
// a record can be back-dated, never dated ahead, or a pre-dated
// acknowledgment would silence the next cycle's reminders, and a pre-dated
// rotation move a deadline years out. Acknowledge and Rotate call it;
// callers may call it first to refuse before doing anything else.
func (e *Engine) CheckNotFuture(at time.Time) error {
	return NotFuture(at, e.wallClock())
}

// NotFuture is CheckNotFuture against the wall clock's reading now, for a
// caller that must refuse before an engine exists (a tick at a simulated
// moment is refused before the database is opened).
func NotFuture(at, now time.Time) error {
	if !at.After(now.Add(MaxClockSkew)) {
		return nil
	}
	return fmt.Errorf("%s is %w: the clock says %s (a record can be back-dated, never dated ahead)",
		at.UTC().Format(time.RFC3339), domain.ErrFuture, now.UTC().Format(time.RFC3339))
}

// Rotate records that a credential was rotated at r.At: the current cycle
// closes, its pending deliveries become superseded and a new deadline
// starts. A rotation not newer than the latest recorded one is refused, as
// is one dated after the real clock (domain.ErrFuture).
func (e *Engine) Rotate(ctx context.Context, r Rotation) error {
	at := normalize(r.At)
	if err := e.CheckNotFuture(at); err != nil {
		return fmt.Errorf("rotation of %s: %w", r.Credential, err)
	}
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
	// A snooze: an acknowledgment that ends at Until, or after For, or at
	// the next stage's threshold (NextStage); none of them: a plain
	// acknowledgment, for the cycle.
	Until     time.Time
	For       schedule.Span
	NextStage bool
}

// Acknowledge records that someone has seen the reminders of a credential's
// current cycle: repeats stop, and later messages say who acknowledged. A
// snooze (Until, For or NextStage) stops them until its end. A
// second acknowledgment records nothing and returns
// *domain.AlreadyAcknowledged. One dated after the real clock is refused
// (domain.ErrFuture).
func (e *Engine) Acknowledge(ctx context.Context, a Ack) error {
	if a.By == "" {
		return errors.New("ack: say who acknowledges (--by)")
	}
	at := normalize(a.At)
	if err := e.CheckNotFuture(at); err != nil {
		return fmt.Errorf("acknowledgment of %s: %w", a.Credential, err)
	}
	until, err := e.snoozeEnd(ctx, a, at)
	if err != nil {
		return err
	}
	_, err = e.store.RecordAck(ctx, domain.Ack{CredentialID: a.Credential, At: at, Actor: a.By,
		Note: a.Note, Source: a.Source, DeliveryID: a.DeliveryID, Until: until})
	if err != nil {
		return err
	}
	if !until.IsZero() {
		e.logger.Info("snoozed", "credential", a.Credential, "by", a.By, "source", a.Source, "until", until.Format(time.RFC3339))
		return nil
	}
	e.logger.Info("acknowledged", "credential", a.Credential, "by", a.By, "source", a.Source)
	return nil
}

// Retract records a correction: a mistaken rotation or acknowledgment is
// retracted, with who and why, by an appended record; the store resumes
// the earlier cycle (a rotation) or leaves the cycle unacknowledged (an
// acknowledgment). A retraction dated after the real clock is refused
// (domain.ErrFuture), as is one without an actor or a reason.
func (e *Engine) Retract(ctx context.Context, x domain.Retraction) (domain.Retraction, error) {
	switch {
	case strings.TrimSpace(x.Actor) == "":
		return x, errors.New("retract: say who retracts (--actor)")
	case strings.TrimSpace(x.Reason) == "":
		return x, errors.New("retract: say why (--reason)")
	}
	x.At = normalize(x.At)
	if err := e.CheckNotFuture(x.At); err != nil {
		return x, fmt.Errorf("retraction of %s: %w", x.CredentialID, err)
	}
	out, err := e.store.Retract(ctx, x)
	if err != nil {
		return out, err
	}
	e.logger.Info("retracted", "credential", x.CredentialID, "kind", x.Kind, "id", out.TargetID, "by", x.Actor, "reason", x.Reason)
	return out, nil
}
