package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Escalation is one step of a stage's escalation chain: "if nobody has
// answered After the previous step's first successful delivery, send to
// Channels".
type Escalation struct {
	After    Span
	Channels []string
}

// escalateMark joins a stage's name and an escalation step's number in the
// step's own stage name: "7d/escalate-1".
const escalateMark = "/escalate-"

// EscalationName is the stage name of step n (1-based) of stage's chain:
// its deliveries are keyed by it, with Seq 0.
func EscalationName(stage string, n int) string { return stage + escalateMark + strconv.Itoa(n) }

// ParseEscalation splits an escalation's stage name into the stage it
// escalates and its step (1-based); ok is false for any other name.
func ParseEscalation(name string) (stage string, step int, ok bool) {
	i := strings.LastIndex(name, escalateMark)
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(name[i+len(escalateMark):])
	if err != nil || n < 1 || strconv.Itoa(n) != name[i+len(escalateMark):] {
		return "", 0, false
	}
	return name[:i], n, true
}

// FirstSent is when the first delivery of a stage (any repeat, any
// channel; an escalation step by its EscalationName) went out
// successfully; the zero time when none has.
type FirstSent func(stage string) time.Time

// escalationStep is one step of the active stage's chain as the walk sees
// it at a moment.
type escalationStep struct {
	n   int // 1-based
	due time.Time
	new bool // no delivery of it exists yet
}

// escalationWalk walks the active stage's chain at now and returns the
// steps due by now (in order) and the first step not yet due (its due
// moment zero: none). The chain starts at the stage's first successful
// delivery; a stage that never delivered successfully never escalates.
// Step n is due After step n-1's first successful delivery; a step that
// has a delivery but no success (skipped in a catch-up, still retrying,
// failed) counts from its own due moment, so a broken escalation channel
// does not hold up the next step. A step not due by the acknowledgment
// (or snooze) in force at its due moment, or at now, never goes out, nor
// does any step after it.
func escalationWalk(p Policy, c Cycle, ack Ack, sent func(Key) bool, first FirstSent, now time.Time, loc *time.Location) (due []escalationStep, next escalationStep) {
	i := Active(p, c.Deadline, now, loc)
	if i < 0 || len(p.Stages[i].Escalate) == 0 {
		return nil, escalationStep{}
	}
	s := p.Stages[i]
	t := first(s.Name)
	if t.IsZero() {
		return nil, escalationStep{}
	}
	// Only the last successful step matters: the chain goes on from it.
	from := 0
	for n := len(s.Escalate); n >= 1; n-- {
		if at := first(EscalationName(s.Name, n)); !at.IsZero() {
			from, t = n, at
			break
		}
	}
	for n := from + 1; n <= len(s.Escalate); n++ {
		at := s.Escalate[n-1].After.Add(t, 1, loc)
		if ack.Acknowledged(at) {
			return due, escalationStep{}
		}
		if at.After(now) {
			return due, escalationStep{n: n, due: at, new: true}
		}
		if ack.Acknowledged(now) {
			return due, escalationStep{}
		}
		due = append(due, escalationStep{n: n, due: at, new: !sent(Key{EscalationName(s.Name, n), 0})})
		t = at
	}
	return due, escalationStep{}
}

// Escalate decides the escalations a tick at now sends for one cycle,
// beside Plan's actions: only the active stage escalates (a more urgent
// stage becoming active ends the chain of the one before), and after
// downtime only the latest step due goes out; the earlier steps due that
// never went out are skipped, never sent in a burst. An action's Stage is
// the step: its EscalationName and its channels.
func Escalate(p Policy, c Cycle, ack Ack, sent func(Key) bool, first FirstSent, now time.Time, loc *time.Location) []Action {
	steps, _ := escalationWalk(p, c, ack, sent, first, now, loc)
	if len(steps) == 0 {
		return nil
	}
	stage := p.Stages[Active(p, c.Deadline, now, loc)]
	last := steps[len(steps)-1]
	var out []Action
	for _, st := range steps {
		if !st.new {
			continue
		}
		step := EscalationStage(stage, st.n)
		if st.n == last.n {
			out = append(out, Action{Kind: Send, Stage: step, Due: st.due})
			continue
		}
		out = append(out, Action{Kind: Skip, Stage: step, Due: st.due,
			Reason: fmt.Sprintf("missed: escalation step %d was due by then", last.n)})
	}
	return out
}

// NextEscalation is the earliest moment after now at which Escalate would
// have something to do for this cycle, assuming the actions it returns at
// now were recorded; the zero time when nothing is known yet. A step whose
// predecessor has not delivered successfully counts from the predecessor's
// due moment, which is never later than its delivery: an early look is
// harmless. The stage's first successful delivery is unknown until it is
// recorded, and recording it moves the cycle's next action (the engine's
// part, see EscalationWake).
func NextEscalation(p Policy, c Cycle, ack Ack, sent func(Key) bool, first FirstSent, now time.Time, loc *time.Location) time.Time {
	_, next := nextEscalation(p, c, ack, sent, first, now, loc)
	return next.due
}

// nextEscalation is Escalate's actions at now and the walk's first step
// after now, those actions assumed recorded.
func nextEscalation(p Policy, c Cycle, ack Ack, sent func(Key) bool, first FirstSent, now time.Time, loc *time.Location) ([]Action, escalationStep) {
	recorded := Escalate(p, c, ack, sent, first, now, loc)
	done := func(k Key) bool {
		for _, a := range recorded {
			if a.Key() == k {
				return true
			}
		}
		return sent(k)
	}
	_, next := escalationWalk(p, c, ack, done, first, now, loc)
	return recorded, next
}

// PendingEscalation is the escalation step a tick sends next for this
// cycle if nobody answers: the one Escalate sends at now, else the one
// NextEscalation is the moment of, with its channels and due moment;
// false when none is known. It is what plan and status show, decided as
// the tick decides it.
func PendingEscalation(p Policy, c Cycle, ack Ack, sent func(Key) bool, first FirstSent, now time.Time, loc *time.Location) (Action, bool) {
	recorded, next := nextEscalation(p, c, ack, sent, first, now, loc)
	for _, a := range recorded {
		if a.Kind == Send {
			return a, true
		}
	}
	i := Active(p, c.Deadline, now, loc)
	if next.due.IsZero() || Active(p, c.Deadline, next.due, loc) != i {
		return Action{}, false // a more urgent stage ends the chain first
	}
	return Action{Kind: Send, Stage: EscalationStage(p.Stages[i], next.n), Due: next.due}, true
}

// EscalationStage is step n (1-based) of s's escalation chain as the stage
// its deliveries are sent as: its EscalationName and its channels.
func EscalationStage(s Stage, n int) Stage {
	return Stage{Name: EscalationName(s.Name, n), Channels: s.Escalate[n-1].Channels}
}

// EscalationWake is when a successful delivery of stage (a ladder stage,
// or an escalation step by its EscalationName) at sentAt makes the next
// escalation step due, were nobody to answer; the zero time when stage has
// no next step.
func EscalationWake(p Policy, stage string, sentAt time.Time, loc *time.Location) time.Time {
	name, n := stage, 0
	if base, step, ok := ParseEscalation(stage); ok {
		name, n = base, step
	}
	for _, s := range p.Stages {
		if s.Name == name && n < len(s.Escalate) {
			return s.Escalate[n].After.Add(sentAt, 1, loc)
		}
	}
	return time.Time{}
}

// Earliest is the earlier of two next actions, the zero time meaning never.
func Earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}
