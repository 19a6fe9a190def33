package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// snoozeEnd is when the snooze a asks for ends, acknowledged at at: its
// Until, at plus its For, or the next stage's threshold (NextStage); the
// zero time for a plain acknowledgment. A snooze must end after it starts
// and after the clock's now (one already over would silence nothing and
// resume at once); "until the next stage" after the last stage is refused.
// A refusal is a *domain.SnoozeRefused.
func (e *Engine) snoozeEnd(ctx context.Context, a Ack, at time.Time) (time.Time, error) {
	v := e.view()
	loc := v.cfg.Location
	until := normalize(a.Until)
	switch {
	case !a.For.IsZero():
		until = a.For.Add(at, 1, loc)
	case a.NextStage:
		c, err := e.store.Cycle(ctx, a.Credential)
		if err != nil {
			return time.Time{}, err
		}
		l, ok := v.ladders[c.Policy]
		if !ok {
			return time.Time{}, fmt.Errorf("snooze of %s: policy %q has no ladder", a.Credential, c.Policy)
		}
		until, _ = schedule.NextThreshold(l.policy, c.Deadline(loc), at, loc)
		if until.IsZero() {
			return until, &domain.SnoozeRefused{Credential: a.Credential, Reason: fmt.Sprintf("no stage comes after %s; acknowledge for the cycle, or snooze with --until or --for",
				at.In(loc).Format(time.RFC3339))}
		}
	}
	switch {
	case until.IsZero():
		return until, nil
	case !until.After(at):
		return until, &domain.SnoozeRefused{Credential: a.Credential, Reason: fmt.Sprintf("it ends at %s, not after it starts at %s",
			until.In(loc).Format(time.RFC3339), at.In(loc).Format(time.RFC3339))}
	case !until.After(e.wallClock()):
		return until, &domain.SnoozeRefused{Credential: a.Credential, Reason: "it would have ended already, at " + until.In(loc).Format(time.RFC3339)}
	}
	return until, nil
}

// WithAck says in m the cycle's acknowledgment as it stands at now: who
// acknowledged and when, or who snoozed until when; after a snooze ended,
// who snoozed and when it ended (Acknowledged false: the ladder resumed).
func WithAck(m *channels.Message, ack schedule.Ack, now time.Time, loc *time.Location) {
	if ack.At.IsZero() || ack.At.After(now) {
		return
	}
	m.AcknowledgedBy, m.AcknowledgedAt = ack.By, ack.At.In(loc)
	m.Acknowledged = ack.Acknowledged(now)
	if !ack.Until.IsZero() {
		m.SnoozedUntil = ack.Until.In(loc)
	}
}
