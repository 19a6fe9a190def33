package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// escalations are the escalation actions of a cycle at now, beside Plan's
// (schedule.Escalate).
func escalations(l ladder, cycle schedule.Cycle, c *domain.Cycle, now time.Time, loc *time.Location) []schedule.Action {
	return schedule.Escalate(l.policy, cycle, c.Ack(), c.HasSent, c.FirstSentOf, now, loc)
}

// nextAction is the cycle's next action: the ladder's (schedule.Next) or
// its escalation's, whichever comes first.
func nextAction(l ladder, cycle schedule.Cycle, c *domain.Cycle, now time.Time, loc *time.Location) time.Time {
	return schedule.Earliest(schedule.Next(l.policy, cycle, c.Ack(), c.HasSent, now, loc),
		schedule.NextEscalation(l.policy, cycle, c.Ack(), c.HasSent, c.FirstSentOf, now, loc))
}

// escalationStep is cycle c's pending escalation (schedule.PendingEscalation)
// as a step of plan's walk: Stage the index of the stage it escalates,
// Seq minus its step's number (planRow tells it by that), due at now
// when it is due already; false when none is due by until.
func escalationStep(p *schedule.Policy, c domain.Cycle, deadline, now, until time.Time, loc *time.Location) (schedule.Step, bool) {
	if !slices.ContainsFunc(p.Stages, func(s schedule.Stage) bool { return len(s.Escalate) > 0 }) {
		return schedule.Step{}, false // most policies: no walk a cycle in a plan of the fleet
	}
	a, ok := schedule.PendingEscalation(*p, schedule.Cycle{Start: c.Start, Deadline: deadline}, c.Ack(), c.HasSent, c.FirstSentOf, now, loc)
	if !ok || a.Due.After(until) {
		return schedule.Step{}, false
	}
	if a.Due.Before(now) {
		a.Due = now
	}
	name, n, _ := schedule.ParseEscalation(a.Stage.Name)
	for i, s := range p.Stages {
		if s.Name == name {
			return schedule.Step{Due: a.Due, Stage: int32(i), Seq: int32(-n)}, true
		}
	}
	return schedule.Step{}, false
}

// isEscalation says whether plan's step st is an escalation (escalationStep).
func isEscalation(st schedule.Step) bool { return st.Seq < 0 }

// escalationWake is when delivery d, sent successfully at now, makes the
// next escalation step due (zero: it starts none): the cycle's next action
// moves there if that is earlier, since planning could not know when the
// send would succeed.
func escalationWake(v view, d domain.Claimed, now time.Time) time.Time {
	l, ok := v.ladders[d.Cycle.Policy]
	if !ok {
		return time.Time{}
	}
	return schedule.EscalationWake(l.policy, d.Stage, now, v.cfg.Location)
}

// escalationLine says why an escalation goes out: which reminder nobody
// acknowledged, when and where it went out, and within how long
// ("escalation: nobody acknowledged the 7d reminder sent Sat 21 Nov 09:00
// UTC to ops within 4h"). It reads the cycle's deliveries of the step
// before; empty for a delivery that is no escalation.
func (e *Engine) escalationLine(ctx context.Context, v view, d domain.Claimed) (string, error) {
	stage, n, ok := schedule.ParseEscalation(d.Stage)
	if !ok {
		return "", nil
	}
	prev, verb := stage, "sent"
	if n > 1 {
		prev, verb = schedule.EscalationName(stage, n-1), "escalated"
	}
	within := "its delay"
	if l, ok := v.ladders[d.Cycle.Policy]; ok {
		for _, s := range l.policy.Stages {
			if s.Name == stage && n <= len(s.Escalate) {
				within = shortSpan(s.Escalate[n-1].After)
			}
		}
	}
	all, err := e.store.Deliveries(ctx, d.CredentialID)
	if err != nil {
		return "", fmt.Errorf("escalation %s: %w", d.Stage, err)
	}
	var first time.Time
	var to []string
	for _, x := range all {
		if x.RotationID != d.RotationID || x.Stage != prev || x.Status != domain.StatusSent {
			continue
		}
		if first.IsZero() || x.SentAt.Before(first) {
			first = x.SentAt
		}
		if !slices.Contains(to, x.Channel) {
			to = append(to, x.Channel)
		}
	}
	when := "earlier"
	if !first.IsZero() {
		when = first.In(v.cfg.Location).Format("Mon 2 Jan 15:04 MST")
	} else {
		verb = "due" // counted from its due moment: it never went out (see schedule.Escalate)
	}
	line := fmt.Sprintf("escalation: nobody acknowledged the %s reminder %s %s", stage, verb, when)
	if len(to) > 0 {
		slices.Sort(to)
		line += " to " + strings.Join(to, ", ")
	}
	return line + " within " + within, nil
}

// markEscalation opens m's subject and text with its escalation line.
func markEscalation(m *channels.Message, line string) {
	if line == "" {
		return
	}
	m.Escalation = line
	m.Subject = "Escalation: " + m.Subject
	m.Text = line + "\n" + m.Text
}
