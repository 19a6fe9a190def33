package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// digestLookback are the windows, shortest first, in which the latest
// scheduled moment of a digest is looked for: the first that holds one
// bounds the walk through cron.Schedule.Next to that window's firings.
var digestLookback = []time.Duration{time.Hour, 25 * time.Hour, 8 * 24 * time.Hour, 32 * 24 * time.Hour, 367 * 24 * time.Hour}

// LatestDigest is the latest moment of s at or before now, in loc; false
// when s had none in the last year. After downtime it is the one digest
// sent: the missed ones before it are not.
func LatestDigest(s cron.Schedule, now time.Time, loc *time.Location) (time.Time, bool) {
	now = now.In(loc)
	for _, back := range digestLookback {
		t := s.Next(now.Add(-back - time.Second))
		if t.IsZero() || t.After(now) {
			continue
		}
		for {
			n := s.Next(t)
			if n.IsZero() || n.After(now) {
				return t, true
			}
			t = n
		}
	}
	return time.Time{}, false
}

// DigestInsteadReason is why a reminder to a channel whose digest says
// instead: true is recorded skipped: the digest lists it.
const DigestInsteadReason = "the channel receives the digest instead"

// digestInstead says whether the channel gets only its digest.
func digestInstead(cfg *config.Config, name string) bool {
	ch := cfg.Channels[name]
	return ch != nil && ch.Digest != nil && ch.Digest.Instead
}

// digestChannels are the names of the channels with a digest, sorted.
func digestChannels(cfg *config.Config) []string {
	var out []string
	for name, ch := range cfg.Channels {
		if ch.Digest != nil && ch.Digest.Cron != nil {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// digests enqueues each digest channel's latest scheduled moment at or
// before now (once: the outbox row is unique per channel and moment), then
// claims the due ones, builds and sends them and records each outcome. A
// channel's failure does not stop the others'.
func (e *Engine) digests(ctx context.Context, v view, now time.Time) error {
	var errs []error
	for _, name := range digestChannels(v.cfg) {
		if err := e.digestChannel(ctx, v, name, now); err != nil {
			errs = append(errs, fmt.Errorf("digest %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

func (e *Engine) digestChannel(ctx context.Context, v view, name string, now time.Time) error {
	dg := v.cfg.Channels[name].Digest
	if at, ok := LatestDigest(dg.Cron, now, v.cfg.Location); ok {
		if err := e.store.EnqueueDigest(ctx, name, at.UTC(), now); err != nil {
			return err
		}
	}
	claimed, err := e.store.ClaimDigests(ctx, e.claimant, name, now, now.Add(e.claimTTL))
	if err != nil {
		return err
	}
	for _, d := range claimed {
		o := e.sendDigest(ctx, v, dg, d, now)
		err := e.store.RecordDigest(context.WithoutCancel(ctx), e.claimant, o)
		switch {
		case errors.Is(err, domain.ErrClaimLost):
			e.logger.Warn("digest outcome not recorded on the digest: its claim had been lost, another sender took it", "channel", d.Channel, "at", d.At, "attempt", o.Attempts, "status", o.Status)
		case err != nil:
			return err
		case o.Status == domain.StatusSent:
			e.logger.Info("digest sent", "channel", d.Channel, "at", d.At, "attempt", o.Attempts)
		}
	}
	return nil
}

// sendDigest builds and sends one claimed digest and says what happened.
func (e *Engine) sendDigest(ctx context.Context, v view, dg *config.Digest, d domain.DigestDelivery, now time.Time) domain.DigestOutcome {
	attempts := d.Attempts + 1
	ev := domain.Event{Time: now, Type: domain.EventDigest, Stage: "digest", Channel: d.Channel}
	o := domain.DigestOutcome{ID: d.ID, Attempts: attempts}
	var sendErr error
	if ch, ok := v.chans[d.Channel]; !ok {
		sendErr = channels.Permanent(fmt.Errorf("channel %s is no longer configured", d.Channel))
	} else if dig, err := e.buildDigest(ctx, v.cfg, dg, d); err != nil {
		sendErr = err // reading the store failed: worth another try
	} else {
		m := channels.DigestMessage(dig)
		m.DeliveryID = d.ID
		m.DeliveryKey = fmt.Sprintf("digest/%s/%s", d.Channel, d.At.UTC().Format(time.RFC3339))
		sctx, cancel := context.WithTimeout(ctx, e.sendTimeout)
		sendErr = ch.Send(sctx, m)
		cancel()
		ev.Detail = m.Subject
	}
	if sendErr == nil {
		ev.Status, o.Status = domain.StatusSent, domain.StatusSent
		o.Event = ev
		return o
	}
	retry, after := channels.Classify(sendErr)
	o.Error = e.redactor.String(sendErr.Error())
	ev.Detail = fmt.Sprintf("attempt %d: %s", attempts, o.Error)
	if retry && attempts < v.cfg.Retry.MaxAttempts {
		o.NextAttemptAt = now.Add(max(Backoff(v.cfg.Retry, attempts), after))
		ev.Status, o.Status = domain.StatusRetry, domain.StatusRetry
		ev.Detail += "; next attempt at " + o.NextAttemptAt.UTC().Format(time.RFC3339)
	} else {
		ev.Status, o.Status = domain.StatusFailed, domain.StatusFailed
	}
	o.Event = ev
	e.logger.Warn("digest failed", "channel", d.Channel, "at", d.At, "attempt", attempts, "status", o.Status, "err", o.Error)
	return o
}

// Digest section keys, in the order a digest lists them.
const (
	sectionOverdue = iota
	sectionDue
	sectionSnoozed
	sectionAcknowledged
)

// digestSection is the section a credential's row goes in: overdue
// (acknowledged or not: it is past its deadline), snoozed (a snooze in
// force), acknowledged, or due (an ended snooze among them).
func digestSection(r channels.DigestRow) int {
	switch {
	case r.Overdue:
		return sectionOverdue
	case !r.SnoozedUntil.IsZero():
		return sectionSnoozed
	case r.AckedBy != "" || !r.AckedAt.IsZero():
		return sectionAcknowledged
	default:
		return sectionDue
	}
}

// digestAck says in r the acknowledgment in force at at: who and when,
// and a snooze's end; nothing once a snooze has ended (the ladder
// resumed: the row is due again).
func digestAck(r *channels.DigestRow, ack schedule.Ack, at time.Time, loc *time.Location) {
	if ack.At.IsZero() || !ack.Acknowledged(at) {
		return
	}
	r.AckedBy, r.AckedAt = ack.By, ack.At.In(loc)
	if !ack.Until.IsZero() {
		r.SnoozedUntil = ack.Until.In(loc)
	}
}

// buildDigest reads, streamed, the active credentials whose deadline is
// within the digest's look-ahead of its moment (overdue ones included),
// as a digest: only those rows are held, never the fleet.
func (e *Engine) buildDigest(ctx context.Context, cfg *config.Config, dg *config.Digest, d domain.DigestDelivery) (*channels.Digest, error) {
	loc := cfg.Location
	at := d.At.In(loc)
	out := &channels.Digest{Channel: d.Channel, At: at, DueWithin: dg.DueWithin, Sections: []channels.DigestSection{
		sectionOverdue:      {Key: "overdue", Title: "Overdue"},
		sectionDue:          {Key: "due", Title: fmt.Sprintf("Due within %d days", dg.DueWithin)},
		sectionSnoozed:      {Key: "snoozed", Title: "Snoozed"},
		sectionAcknowledged: {Key: "acknowledged", Title: "Acknowledged"},
	}}
	q := domain.StateQuery{Active: true, DeadlineBy: dg.Until(at, loc)}
	err := e.store.EachState(ctx, q, func(s domain.CredentialState) error {
		deadline := s.Deadline(loc)
		r := channels.DigestRow{
			Credential: s.ID, Name: s.Name, Owner: s.Owner, Deadline: deadline.In(loc),
			Overdue: !at.Before(deadline), Stage: s.LastStage, Failed: s.Failed,
		}
		digestAck(&r, s.Ack(), at, loc)
		if r.Overdue {
			r.DaysOverdue = schedule.DaysOverdue(deadline, at, loc)
		} else {
			r.DaysRemaining = schedule.DaysRemaining(deadline, at, loc)
		}
		sec := &out.Sections[digestSection(r)]
		sec.Rows = append(sec.Rows, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read credentials: %w", err)
	}
	return out, nil
}
