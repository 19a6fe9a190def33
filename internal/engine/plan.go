package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// ladder is a policy as the schedule sees it, with a fingerprint of what
// moves its thresholds and channels: when it changes, the credentials on
// the policy are planned again.
type ladder struct {
	policy      schedule.Policy
	fingerprint string
}

func newLadder(p *config.Policy) ladder {
	sp := p.Schedule()
	h := sha256.New()
	for _, s := range sp.Stages {
		fmt.Fprintf(h, "%s\x00%s\x00%t\x00%s\x00%t\x00%q\n", s.Name, s.Offset, s.After, s.Repeat, s.UnlessAcknowledged, s.Channels)
		for _, x := range s.Escalate { // only where there is one: fingerprints of ladders without stay as they were
			fmt.Fprintf(h, "escalate\x00%s\x00%q\n", x.After, x.Channels)
		}
	}
	return ladder{policy: sp, fingerprint: hex.EncodeToString(h.Sum(nil))}
}

// planBatch is how many due cycles are planned and recorded at a time: one
// write transaction each, short enough not to keep an acknowledgment
// waiting long, large enough that a first sync's million plans do not
// rewrite the same index pages in a thousand commits.
const planBatch = 5000

// planDue plans every cycle whose next action has come at now and records
// what is due in the outbox: a pending delivery per channel of a stage to
// send, a skipped one per channel of a stage that will never be sent, and
// the cycle's next action. Unique keys make a second run at the same now,
// or a run in another process at the same time, a no-op.
func (e *Engine) planDue(ctx context.Context, v view, now time.Time, rep *Report) error {
	loc := v.cfg.Location
	planned := map[string]bool{}
	for {
		cycles, err := e.store.DueCycles(ctx, now, planBatch)
		if err != nil {
			return err
		}
		plans := make([]domain.Plan, 0, len(cycles))
		for i := range cycles {
			c := &cycles[i]
			if planned[c.ID] {
				continue // its next action did not move (changed meanwhile): the next tick sees it
			}
			planned[c.ID] = true
			plans = append(plans, e.planCycle(v, c, now, loc))
		}
		if len(plans) == 0 {
			return nil
		}
		added, err := e.store.RecordPlans(ctx, plans, now)
		if err != nil {
			return err
		}
		for _, d := range added {
			if d.Status == domain.StatusSkipped {
				rep.add(Outcome{Credential: d.CredentialID, Stage: d.Stage, Seq: d.Seq, Channel: d.Channel, Status: domain.StatusSkipped, Detail: d.LastError})
			}
		}
		if len(cycles) < planBatch {
			return nil
		}
	}
}

// planCycle decides one cycle: what to add to the outbox at now and when
// to look at the cycle again.
func (e *Engine) planCycle(v view, c *domain.Cycle, now time.Time, loc *time.Location) domain.Plan {
	p := domain.Plan{CredentialID: c.ID, RotationID: c.RotationID, PlannedFrom: c.NextAction}
	l, ok := v.ladders[c.Policy]
	if !ok {
		// A credential in an unchanged file names a policy the main config
		// no longer has; it is planned again when the policy comes back.
		e.logger.Error("credential's policy is not in the config; no reminders until it is", "credential", c.ID, "policy", c.Policy)
		return p
	}
	cycle := schedule.Cycle{Start: c.Start, Deadline: c.Deadline(loc)}
	actions := schedule.Plan(l.policy, cycle, c.Ack(), c.HasSent, now, loc)
	for _, a := range append(actions, escalations(l, cycle, c, now, loc)...) {
		for _, ch := range a.Stage.Channels {
			d := domain.Delivery{Stage: a.Stage.Name, Seq: a.Seq, Channel: ch, Due: a.Due, Status: domain.StatusPending}
			if a.Kind == schedule.Skip {
				d.Status, d.LastError = domain.StatusSkipped, a.Reason
			} else if digestInstead(v.cfg, ch) {
				d.Status, d.LastError = domain.StatusSkipped, DigestInsteadReason
			} else {
				// Quiet hours: the row waits for its channel's window.
				d.NextAttemptAt = v.notBefore(c.Policy, a.Stage, ch, cycle.Deadline, now, loc)
			}
			p.Deliveries = append(p.Deliveries, d)
		}
		if c.Sent == nil { // the store makes the map for a cycle with deliveries only
			c.Sent = map[schedule.Key]bool{}
		}
		c.Sent[a.Key()] = true
	}
	p.NextAction = nextAction(l, cycle, c, now, loc)
	return p
}

// firstAction is when a new credential's first cycle first needs planning
// at now: now if the ladder already has something to do (the tick's
// planning, right after the sync, does it), else the planner's next moment.
// A first sync of a large fleet thus writes each credential once, instead
// of adding it due and moving it again when planned.
func (e *Engine) firstAction(v view, now time.Time) func(domain.Credential) time.Time {
	loc := v.cfg.Location
	none := func(schedule.Key) bool { return false }
	return func(c domain.Credential) time.Time {
		l, ok := v.ladders[c.Policy]
		if !ok {
			return now // planning logs the missing policy
		}
		cycle := schedule.Cycle{Start: c.RotatedAt, Deadline: c.Deadline(c.RotatedAt, loc)}
		if len(schedule.Plan(l.policy, cycle, schedule.Ack{}, none, now, loc)) > 0 {
			return now
		}
		return schedule.Next(l.policy, cycle, schedule.Ack{}, none, now, loc)
	}
}
