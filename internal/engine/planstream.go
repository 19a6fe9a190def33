package engine

import (
	"container/heap"
	"context"
	"errors"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// errPlanLimit stops a plan that reached its --limit.
var errPlanLimit = errors.New("plan: limit reached")

// PlanEach is Plan filtered by f, each row handed to emit in Plan's order.
// With streamed (the caller checked that the database holds the config as
// it is now: nothing changed since the last sync), the cycles are read
// from the store in the order of their next action, which no reminder of
// theirs precedes, and merged through a heap holding one compact entry a
// cycle: a reminder is emitted once no cycle still to be read can precede
// it, so memory holds the cycles in flight, not the plan. Otherwise it is
// Plan's path, which sees the config as the next sync will record it.
// A streamed table without a limit (the whole fleet's plan a person
// reads) prints its first rows from the next-action order, then the
// rest from the cycles read in stored order and sorted (planSorted):
// the same rows in the same order, without a random read a cycle.
//
// With once, a repeating stage is one row at its first send, its repeats
// counted in More (however many MaxPlannedRepeats lists) rather than
// listed: the plan a person reads.
func (e *Engine) PlanEach(ctx context.Context, now time.Time, horizon schedule.Span, f domain.CredentialFilter, streamed, once bool, emit func(Upcoming) error) error {
	now = normalize(now)
	n := 0
	out := func(u Upcoming) error {
		if err := emit(u); err != nil {
			return err
		}
		if n++; f.Limit > 0 && n >= f.Limit {
			return errPlanLimit
		}
		return nil
	}
	var err error
	switch {
	case streamed && e.store != nil && f.Limit == 0:
		err = e.planSorted(ctx, now, horizon, f, once, out)
	case streamed && e.store != nil:
		err = e.planStreamed(ctx, now, horizon, f, once, out, nil)
	default:
		var rows []Upcoming
		if rows, err = e.plan(ctx, now, horizon, f, once); err == nil {
			for _, r := range rows {
				if err = out(r); err != nil {
					break
				}
			}
		}
	}
	if errors.Is(err, errPlanLimit) {
		return nil
	}
	return err
}

// plannable is cycle c's ladder and deadline, and whether plan shows c:
// its policy has a ladder and it passes the filter at now.
func (v view) plannable(f domain.CredentialFilter, c domain.Cycle, now time.Time, loc *time.Location) (ladder, time.Time, bool) {
	l, ok := v.ladders[c.Policy]
	if !ok {
		return ladder{}, time.Time{}, false
	}
	deadline := c.Deadline(loc)
	return l, deadline, planMatches(f, c, l, deadline, now, loc)
}

// planMatches says whether cycle c passes the filter at now.
func planMatches(f domain.CredentialFilter, c domain.Cycle, l ladder, deadline, now time.Time, loc *time.Location) bool {
	switch {
	case f.Owner != "" && c.Owner != f.Owner,
		f.Policy != "" && c.Policy != f.Policy,
		!domain.MatchGlob(f.Credential, c.ID),
		!f.DueWithin.IsZero() && deadline.After(f.DueWithin.Add(now, 1, loc)):
		return false
	}
	if f.State == "" {
		return true
	}
	state := StateOK
	switch {
	case !c.Active:
		state = StateInactive
	case !now.Before(deadline):
		state = StateOverdue
	case schedule.Active(l.policy, deadline, now, loc) >= 0:
		state = StateDue
	}
	return state == f.State
}

// window is the walk of cycle c's reminders from now to until.
func window(p *schedule.Policy, c domain.Cycle, deadline, now, until time.Time, loc *time.Location) schedule.Window {
	w := schedule.Window{Policy: p, Deadline: deadline, Now: now, Until: until, Loc: loc, MaxRepeats: MaxPlannedRepeats}
	w.Acked, w.SnoozedUntil = schedule.WindowAck(c.Ack(), now)
	return w
}

// firstStep is cycle c's walk from now to until and its first send (a
// send due before now shown at now, as it is ordered), and its policy's
// index in policies; false when f leaves c out or nothing is to be sent.
func (v view) firstStep(f domain.CredentialFilter, c domain.Cycle, policies []*schedule.Policy, index map[string]uint32, now, until time.Time, loc *time.Location) (schedule.Window, schedule.Step, uint32, bool) {
	_, deadline, ok := v.plannable(f, c, now, loc)
	if !ok {
		return schedule.Window{}, schedule.Step{}, 0, false
	}
	pi := index[c.Policy]
	w := window(policies[pi], c, deadline, now, until, loc)
	st, ok := w.First(schedule.Cycle{Start: c.Start, Deadline: deadline}, c.Ack(), c.HasSent)
	if st.Due.Before(now) {
		st.Due = now
	}
	return w, st, pi, ok
}

// nanos is t in Unix nanoseconds, 0 for the zero time; unNanos undoes it.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func unNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// planEntry is a cycle in flight, kept small since the heap may hold one
// for most of the fleet (72 bytes, two pointers: its strings): its next
// reminder (the walk's step, packed) and what resumes the walk; the
// policy, shared by every cycle of it, by its index.
type planEntry struct {
	step     schedule.PackedStep
	deadline int64 // Unix nanoseconds
	id, name string
	policy   uint32
	acked    bool
	snoozed  int64 // the snooze's end in Unix nanoseconds; 0: none
}

type planHeap []planEntry

func (h planHeap) Len() int { return len(h) }
func (h planHeap) Less(i, j int) bool {
	if a, b := h[i].step.Due, h[j].step.Due; a != b {
		return a < b
	}
	if h[i].id != h[j].id {
		return h[i].id < h[j].id
	}
	return h[i].step.Seq >= 0 && h[j].step.Seq < 0 // a cycle's ladder before its escalation
}
func (h planHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *planHeap) Push(x any)   { *h = append(*h, x.(planEntry)) }
func (h *planHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = planEntry{}
	*h = old[:len(old)-1]
	return x
}

// planRow is the Upcoming of step st of cycle id, with the channels whose
// send waits for their delivery window; with once, a repeating stage's
// first send stands for its repeats (Every, More) and rowAfter skips them.
func (v view) planRow(w schedule.Window, st schedule.Step, id, name string, once bool) Upcoming {
	at := st.Due
	if at.Before(w.Now) {
		at = w.Now // due now: goes out at the next tick
	}
	s, escalation := w.Policy.Stages[st.Stage], isEscalation(st)
	if escalation {
		s, st.Seq = schedule.EscalationStage(s, int(-st.Seq)), 0
	}
	u := Upcoming{At: at.In(w.Loc), Credential: id, Name: name, Stage: s.Name, Seq: int(st.Seq),
		Channels: s.Channels, DaysRemaining: schedule.DaysRemaining(w.Deadline, at, w.Loc), Deadline: w.Deadline.In(w.Loc),
		Deferred: v.deferrals(w.Policy.Name, s, at, at, w.Deadline, w.Loc)}
	if once && !escalation {
		if u.More = w.More(st); u.More > 0 {
			u.Every = shortSpan(s.Repeat)
		}
	}
	return u
}

// rowAfter is the step whose row follows row u of step st in the walk w
// (planRow's): none after an escalation. A function of its own, not a
// closure planRow returns: that cost an allocation a row.
func rowAfter(w schedule.Window, st schedule.Step, u Upcoming) (schedule.Step, bool) {
	if isEscalation(st) {
		return schedule.Step{}, false
	}
	return nextRow(w, st, u.More)
}

// nextRow is the step after st whose row follows st's in the walk w: the
// next stage's when st's row stands for its more repeats, else the next.
func nextRow(w schedule.Window, st schedule.Step, more int) (schedule.Step, bool) {
	if more > 0 {
		return w.NextStage(st)
	}
	return w.Next(st)
}

// planStreamed is the next-action path; keyed, when set, is told each
// row's place in the order before the row is emitted.
func (e *Engine) planStreamed(ctx context.Context, now time.Time, horizon schedule.Span, f domain.CredentialFilter, once bool, emit func(Upcoming) error, keyed func(due int64, id string)) error {
	v := e.view()
	loc := v.cfg.Location
	until := horizon.Add(now, 1, loc)
	policies, index := v.policyIndex()
	h := &planHeap{}
	// drain emits every reminder before bound, then boundID (all of them
	// when all).
	drain := func(bound time.Time, boundID string, all bool) error {
		for h.Len() > 0 {
			top := &(*h)[0]
			if due := top.step.Due; !all && !(due < bound.UnixNano() || due == bound.UnixNano() && top.id < boundID) {
				return nil
			}
			w := schedule.Window{Policy: policies[top.policy], Deadline: time.Unix(0, top.deadline), Acked: top.acked, SnoozedUntil: unNanos(top.snoozed), Now: now, Until: until, Loc: loc, MaxRepeats: MaxPlannedRepeats}
			st := top.step.Unpack(loc)
			u := v.planRow(w, st, top.id, top.name, once)
			if keyed != nil {
				keyed(top.step.Due, top.id)
			}
			if err := emit(u); err != nil {
				return err
			}
			if st, ok := rowAfter(w, st, u); ok {
				top.step = st.Pack()
				heap.Fix(h, 0)
			} else {
				heap.Pop(h)
			}
		}
		return nil
	}
	err := e.store.PlanCycles(ctx, f, until, func(cycles []domain.Cycle) error {
		for _, c := range cycles {
			// No cycle still to be read precedes (key, keyID): one with
			// the same next action (at or after now) comes in id order,
			// none of its reminders before its next action. Cycles due
			// before now are all shown at now, in no id order: only what
			// is before now goes.
			key, keyID := c.NextAction, c.ID
			if key.Before(now) {
				key, keyID = now, ""
			}
			if err := drain(key, keyID, false); err != nil {
				return err
			}
			w, st, pi, ok := v.firstStep(f, c, policies, index, now, until, loc)
			if ok {
				heap.Push(h, planEntry{step: st.Pack(), deadline: w.Deadline.UnixNano(), id: c.ID, name: c.Name, policy: pi, acked: w.Acked, snoozed: nanos(w.SnoozedUntil)})
			}
			if w.Policy == nil {
				continue // f leaves c out
			}
			if st, ok := escalationStep(w.Policy, c, w.Deadline, now, until, loc); ok {
				heap.Push(h, planEntry{step: st.Pack(), deadline: w.Deadline.UnixNano(), id: c.ID, name: c.Name, policy: pi, acked: w.Acked, snoozed: nanos(w.SnoozedUntil)})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return drain(time.Time{}, "", true)
}

// shortSpan is s as people write it: "12h", "1d", "1h30m".
func shortSpan(s schedule.Span) string {
	out := s.String()
	if strings.HasSuffix(out, "m0s") {
		out = strings.TrimSuffix(out, "0s")
	}
	if strings.HasSuffix(out, "h0m") {
		out = strings.TrimSuffix(out, "0m")
	}
	return out
}
