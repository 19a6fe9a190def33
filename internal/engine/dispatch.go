package engine

import (
	"context"
	"fmt"
	"text/template"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/db"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// dispatchBatch is how many due deliveries are read at a time.
const dispatchBatch = 100

// dispatch sends every pending delivery due at now, one at a time, and
// records each attempt: sent, retry (with the next attempt's time from
// Backoff) or failed. No transaction is held while a service is called.
func (e *Engine) dispatch(ctx context.Context, now time.Time, rep *Report) error {
	for {
		due, err := e.store.Due(ctx, now, dispatchBatch)
		if err != nil {
			return err
		}
		if len(due) == 0 {
			return nil
		}
		for _, d := range due {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := e.deliver(ctx, d, now, rep); err != nil {
				return err
			}
		}
	}
}

func (e *Engine) deliver(ctx context.Context, d db.DueDelivery, now time.Time, rep *Report) error {
	cfg := e.cfg
	attempts := d.Attempts + 1
	outcome := Outcome{Credential: d.CredentialID, Stage: d.Stage, Seq: d.Seq, Channel: d.Channel}
	ev := db.Event{Time: now, Type: db.EventReminder, CredentialID: d.CredentialID, RotationID: d.RotationID,
		DeliveryID: d.ID, Stage: d.Stage, Channel: d.Channel}

	ch, ok := e.chans[d.Channel]
	cred, credOK := cfg.Credential(d.CredentialID)
	var sendErr error
	switch {
	case !credOK:
		// Sync supersedes a removed credential's deliveries; this is a
		// belt for a config swapped between sync and dispatch.
		sendErr = channels.Permanent(fmt.Errorf("credential %s is no longer in the config", d.CredentialID))
	case !ok:
		sendErr = channels.Permanent(fmt.Errorf("channel %s is no longer configured", d.Channel))
	default:
		msg, err := e.message(cfg, cred, d, now)
		if err != nil {
			sendErr = channels.Permanent(err)
			break
		}
		sctx, cancel := context.WithTimeout(ctx, e.sendTimeout)
		sendErr = ch.Send(sctx, msg)
		cancel()
		ev.Detail = msg.Subject
	}

	err := e.store.Update(ctx, func(tx *db.Tx) error {
		if sendErr == nil {
			ev.Status, outcome.Status = db.StatusSent, db.StatusSent
			if err := tx.MarkSent(d.ID, attempts, now); err != nil {
				return err
			}
			return tx.InsertEvent(ev)
		}
		retry, after := channels.Classify(sendErr)
		ev.Detail = fmt.Sprintf("attempt %d: %v", attempts, sendErr)
		if retry && attempts < cfg.Retry.MaxAttempts {
			wait := max(Backoff(cfg.Retry, attempts), after)
			next := now.Add(wait)
			ev.Status, outcome.Status = db.StatusRetry, db.StatusRetry
			ev.Detail += "; next attempt at " + db.FormatTime(next)
			if err := tx.MarkRetry(d.ID, attempts, next, sendErr.Error()); err != nil {
				return err
			}
			return tx.InsertEvent(ev)
		}
		ev.Status, outcome.Status = db.StatusFailed, db.StatusFailed
		if retry {
			ev.Detail += fmt.Sprintf("; giving up after %d attempts", attempts)
		}
		if err := tx.MarkFailed(d.ID, attempts, sendErr.Error()); err != nil {
			return err
		}
		return tx.InsertEvent(ev)
	})
	if err != nil {
		return err
	}
	outcome.Detail = ev.Detail
	rep.Outcomes = append(rep.Outcomes, outcome)
	if sendErr != nil {
		e.logger.Warn("delivery failed", "credential", d.CredentialID, "stage", d.Stage, "channel", d.Channel,
			"attempt", attempts, "status", outcome.Status, "err", sendErr.Error())
	} else {
		e.logger.Info("reminder sent", "credential", d.CredentialID, "stage", d.Stage, "seq", d.Seq, "channel", d.Channel)
	}
	return nil
}

// message renders one delivery at now: the stage's templates first, then
// the channel's, then the defaults.
func (e *Engine) message(cfg *config.Config, cred config.Credential, d db.DueDelivery, now time.Time) (channels.Message, error) {
	loc := cfg.Location
	deadline := cred.Deadline(d.RotatedAt, loc)
	m := channels.Message{
		DeliveryID:    d.ID,
		DeliveryKey:   fmt.Sprintf("%s/%d/%s/%s/%d", d.CredentialID, d.RotationID, d.Stage, d.Channel, d.Seq),
		Credential:    cred.ID,
		Name:          cred.Name,
		Owner:         cred.Owner,
		Stage:         d.Stage,
		Seq:           d.Seq,
		RotatedAt:     d.RotatedAt.In(loc),
		Deadline:      deadline.In(loc),
		Now:           now.In(loc),
		DaysRemaining: schedule.DaysRemaining(deadline, now, loc),
		Overdue:       !now.Before(deadline),
		DaysOverdue:   schedule.DaysOverdue(deadline, now, loc),
		Final:         schedule.Final(deadline, now),
	}
	if !d.AckAt.IsZero() && !d.AckAt.After(now) {
		m.Acknowledged, m.AcknowledgedBy, m.AcknowledgedAt = true, d.AckBy, d.AckAt.In(loc)
	}
	var stageSubject, stageText *template.Template
	if p := cfg.Policies[cred.Policy]; p != nil {
		if st := p.Stage(d.Stage); st != nil {
			stageSubject, stageText = st.Subject, st.Text
		}
	}
	var chSubject, chText *template.Template
	if ch := cfg.Channels[d.Channel]; ch != nil {
		chSubject, chText = ch.Subject, ch.Text
	}
	var err error
	if m.Subject, err = channels.Render(first(stageSubject, chSubject, e.defaultSubject), m); err != nil {
		return m, err
	}
	if m.Text, err = channels.Render(first(stageText, chText, e.defaultText), m); err != nil {
		return m, err
	}
	return m, nil
}

func first(ts ...*template.Template) *template.Template {
	for _, t := range ts {
		if t != nil {
			return t
		}
	}
	return nil
}
