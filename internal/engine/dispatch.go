package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/db"
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

// message is one delivery rendered at now.
func (e *Engine) message(cfg *config.Config, cred config.Credential, d db.DueDelivery, now time.Time) (channels.Message, error) {
	m := Describe(cfg, cred, d.RotatedAt, now)
	m.DeliveryID = d.ID
	m.DeliveryKey = fmt.Sprintf("%s/%d/%s/%s/%d", d.CredentialID, d.RotationID, d.Stage, d.Channel, d.Seq)
	m.Stage, m.Seq = d.Stage, d.Seq
	if !d.AckAt.IsZero() && !d.AckAt.After(now) {
		m.Acknowledged, m.AcknowledgedBy, m.AcknowledgedAt = true, d.AckBy, d.AckAt.In(cfg.Location)
	}
	var stage *config.Stage
	if p := cfg.Policies[cred.Policy]; p != nil {
		stage = p.Stage(d.Stage)
	}
	err := Render(&m, stage, cfg.Channels[d.Channel])
	return m, err
}
