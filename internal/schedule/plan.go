// Package schedule is the escalation ladder's math: pure functions of the
// cycle, the acknowledgment, what was already sent, and now. It knows nothing
// of SQL, YAML or channels; the engine feeds it and acts on its answers.
package schedule

import (
	"fmt"
	"sort"
	"time"
)

// Stage is one rung of a policy's ladder: "send to these channels when the
// deadline is Offset away" (before it, or After it when overdue).
type Stage struct {
	Name     string
	Offset   Span // distance from the deadline
	After    bool // the stage is Offset after the deadline (overdue)
	Repeat   Span // zero: send once; otherwise again every Repeat while active and unacknowledged
	Channels []string
	// UnlessAcknowledged skips the stage for a cycle that was acknowledged.
	UnlessAcknowledged bool
	// Escalate is the stage's escalation chain (escalate.go): step i+1
	// goes out After step i's first successful delivery, while unanswered.
	Escalate []Escalation
}

// Threshold is the moment the stage becomes due for a deadline.
func (s Stage) Threshold(deadline time.Time, loc *time.Location) time.Time {
	if s.After {
		return s.Offset.Add(deadline, 1, loc)
	}
	return s.Offset.Add(deadline, -1, loc)
}

// urgency orders stages: a larger value is due later, closer to or past the
// deadline. It is independent of any particular deadline.
func (s Stage) urgency() time.Duration {
	if s.After {
		return s.Offset.Approx()
	}
	return -s.Offset.Approx()
}

// Policy is an escalation ladder, least urgent stage first.
type Policy struct {
	Name   string
	Stages []Stage
}

// SortStages orders stages from least to most urgent and returns an error
// naming two stages that become due at the same time, which would make the
// active stage ambiguous.
func SortStages(stages []Stage) error {
	sort.SliceStable(stages, func(i, j int) bool { return stages[i].urgency() < stages[j].urgency() })
	for i := 1; i < len(stages); i++ {
		if stages[i].urgency() == stages[i-1].urgency() {
			return fmt.Errorf("stages %q and %q are due at the same time", stages[i-1].Name, stages[i].Name)
		}
	}
	return nil
}

// Cycle is the time between a rotation and its deadline.
type Cycle struct {
	Start    time.Time
	Deadline time.Time
}

// Ack is the acknowledgment of a cycle that counts (its latest); the zero
// Ack means none. Until is a snooze's end: zero for a plain acknowledgment,
// which lasts the whole cycle (see snooze.go for what a snooze changes).
type Ack struct {
	At    time.Time
	By    string
	Until time.Time
}

// Acknowledged reports whether the acknowledgment is in force at now: made
// at or before now and, for a snooze, not yet ended.
func (a Ack) Acknowledged(now time.Time) bool {
	return !a.At.IsZero() && !a.At.After(now) && (a.Until.IsZero() || now.Before(a.Until))
}

// Key names one delivery of a stage within a cycle: the stage and the repeat
// number (0 for the first send).
type Key struct {
	Stage string
	Seq   int
}

// Kind is what to do about a stage.
type Kind int

const (
	// Send: the stage (repeat Seq) is due and has not been sent.
	Send Kind = iota
	// Skip: a stage that will never be sent in this cycle, recorded so the
	// history says why: missed during downtime, or acknowledged.
	Skip
)

func (k Kind) String() string {
	if k == Skip {
		return "skip"
	}
	return "send"
}

// Action is one decision of Plan.
type Action struct {
	Kind   Kind
	Stage  Stage
	Seq    int
	Due    time.Time // when it became due (the threshold, plus the repeats)
	Reason string    // why a stage is skipped
}

// Key is the action's delivery key.
func (a Action) Key() Key { return Key{a.Stage.Name, a.Seq} }

// Active returns the index of the most urgent stage whose threshold is not
// after now, or -1 when none is.
func Active(p Policy, deadline, now time.Time, loc *time.Location) int {
	active := -1
	for i, s := range p.Stages {
		if !s.Threshold(deadline, loc).After(now) {
			active = i
		}
	}
	return active
}

// Plan decides what a tick at now does for one cycle. sent reports whether a
// delivery (in any state) already exists for a key. Only the active stage is
// ever sent: less urgent stages that passed unsent are skipped, never sent
// late in a burst. A stage with Repeat is sent again every Repeat while it is
// active, until the cycle is acknowledged; after downtime only the latest
// repeat goes out. An acknowledgment stops repeats, and skips the stages
// marked UnlessAcknowledged; more urgent stages still go out.
func Plan(p Policy, c Cycle, ack Ack, sent func(Key) bool, now time.Time, loc *time.Location) []Action {
	active := Active(p, c.Deadline, now, loc)
	if active < 0 {
		return nil
	}
	var out []Action
	cur := p.Stages[active]
	for _, s := range p.Stages[:active] {
		if sent(Key{s.Name, 0}) {
			continue
		}
		due := s.Threshold(c.Deadline, loc)
		reason := fmt.Sprintf("missed: stage %s was due by then", cur.Name)
		if due.Before(c.Start) {
			reason = "the cycle started after this stage was due"
		}
		out = append(out, Action{Kind: Skip, Stage: s, Due: due, Reason: reason})
	}
	due := cur.Threshold(c.Deadline, loc)
	acked := ack.Acknowledged(now)
	// The repeat that counts: the latest due at now, or, once acknowledged,
	// the last one due before the acknowledgment came. After downtime only a
	// late repeat may have gone out (overdue#5, never #0); an acknowledgment
	// then must not bring back repeat 0, nor send a repeat missed before it.
	seq := 0
	if !cur.Repeat.IsZero() {
		upTo := now
		if acked {
			upTo = ack.At.Add(-time.Nanosecond)
		}
		seq = max(0, cur.Repeat.Count(due, upTo, loc))
	}
	// Once acknowledged, a stage that went out at all (its first send, or
	// the repeat due when the acknowledgment came) does not go out again.
	if sent(Key{cur.Name, seq}) || acked && sent(Key{cur.Name, 0}) {
		return out
	}
	if acked && cur.UnlessAcknowledged {
		if !ack.Until.IsZero() { // snoozed: the stage waits for the end (snooze.go)
			return out
		}
		return append(out, Action{Kind: Skip, Stage: cur, Seq: seq, Due: cur.Repeat.Add(due, seq, loc),
			Reason: "acknowledged by " + ack.By + " at " + ack.At.In(loc).Format(time.RFC3339)})
	}
	return append(out, Action{Kind: Send, Stage: cur, Seq: seq, Due: ack.resumed(cur.Repeat.Add(due, seq, loc), now)})
}

// Upcoming lists the sends that will happen after now and up to until if
// nobody acknowledges or rotates, plus any send that is due now and not yet
// done: what `notifier plan` shows. Repeats of one stage are listed up to
// maxRepeats times. It is the Window's walk, collected.
func Upcoming(p Policy, c Cycle, ack Ack, sent func(Key) bool, now, until time.Time, loc *time.Location, maxRepeats int) []Action {
	w := Window{Policy: &p, Deadline: c.Deadline, Now: now, Until: until, Loc: loc, MaxRepeats: maxRepeats}
	w.Acked, w.SnoozedUntil = WindowAck(ack, now)
	var out []Action
	for st, ok := w.First(c, ack, sent); ok; st, ok = w.Next(st) {
		out = append(out, Action{Kind: Send, Stage: p.Stages[st.Stage], Seq: int(st.Seq), Due: st.Due})
	}
	return out
}

// Window walks the sends Upcoming lists for one cycle, one at a time, in
// time order, holding no list: a plan of a million cycles keeps one Step a
// cycle, not every repeat.
type Window struct {
	Policy   *Policy
	Deadline time.Time
	Acked    bool // acknowledged at Now, for the whole cycle
	// SnoozedUntil is the end of the snooze in force at Now (zero: none;
	// Acked is then false): a repeating stage sends nothing before it and
	// one repeat at it when the snooze covered one; a stage marked
	// UnlessAcknowledged that comes due during it waits for it.
	SnoozedUntil time.Time
	Now, Until   time.Time
	Loc          *time.Location
	MaxRepeats   int
}

// WindowAck is a Window's Acked and SnoozedUntil for the acknowledgment
// ack at now: acknowledged for the cycle, or snoozed until its end.
func WindowAck(ack Ack, now time.Time) (acked bool, snoozedUntil time.Time) {
	if !ack.Acknowledged(now) {
		return false, time.Time{}
	}
	if ack.Until.IsZero() {
		return true, time.Time{}
	}
	return false, ack.Until
}

// snoozed reports whether a send of stage i due at at falls in the
// snooze, and if so the step that stands for the snooze's end: the one
// repeat at its end (repeat) or the held first send (Seq 0), and whether
// that step exists (the stage still active at the end).
func (w Window) snoozed(i int, at time.Time, repeat bool) (Step, bool, bool) {
	s := w.SnoozedUntil
	if s.IsZero() || !at.Before(s) {
		return Step{}, false, false
	}
	if s.After(w.end(i)) {
		return Step{}, true, false // the stage is over when the snooze ends
	}
	if !repeat {
		return Step{Due: s, Stage: int32(i)}, true, true
	}
	seq := w.Policy.Stages[i].Repeat.Count(w.start(i), s, w.Loc)
	return Step{Due: s, Stage: int32(i), Seq: int32(seq), listed: 1}, true, true
}

// Step is one send of a Window's walk and where the walk stands.
type Step struct {
	Due    time.Time
	Stage  int32 // index in the policy's stages
	Seq    int32
	listed int32 // repeats of Stage listed so far; -1: the send due at Now
}

// First is the walk's first send: the one due at Now and not yet done (as
// Plan decides it), else the first after Now.
func (w Window) First(c Cycle, ack Ack, sent func(Key) bool) (Step, bool) {
	for _, a := range Plan(*w.Policy, c, ack, sent, w.Now, w.Loc) {
		if a.Kind == Send {
			for i := range w.Policy.Stages {
				if w.Policy.Stages[i].Name == a.Stage.Name {
					return Step{Due: a.Due, Stage: int32(i), Seq: int32(a.Seq), listed: -1}, true
				}
			}
		}
	}
	return w.from(0)
}

// Next is the send after st.
func (w Window) Next(st Step) (Step, bool) {
	i := int(st.Stage)
	switch {
	case st.listed < 0:
		return w.from(0)
	case w.repeats(i) && int(st.listed) < w.MaxRepeats:
		rep := w.Policy.Stages[i].Repeat
		n := int(st.Seq) + 1
		at := rep.Add(w.start(i), n, w.Loc)
		if !st.Due.Before(w.SnoozedUntil) && at.Before(w.SnoozedUntil) {
			// st is the send at the snooze's end: the rhythm goes on after it.
			n = rep.Count(w.start(i), w.SnoozedUntil, w.Loc) + 1
			at = rep.Add(w.start(i), n, w.Loc)
		} else if end, in, ok := w.snoozed(i, at, true); in {
			if ok && int(end.Seq) > int(st.Seq) {
				end.listed = st.listed + 1
				return end, true
			}
			return w.from(i + 1)
		}
		if !at.After(w.end(i)) {
			return Step{Due: at, Stage: st.Stage, Seq: int32(n), listed: st.listed + 1}, true
		}
	}
	return w.from(i + 1)
}

// NextStage is the first send after st of a later stage than st's: st
// standing for its stage's repeats.
func (w Window) NextStage(st Step) (Step, bool) { return w.from(int(st.Stage) + 1) }

// More is how many sends of st's stage come after st up to the stage's
// end (the next stage, or Until), however many MaxRepeats lists; 0 for a
// stage that does not repeat.
func (w Window) More(st Step) int {
	i := int(st.Stage)
	if !w.repeats(i) {
		return 0
	}
	rep := w.Policy.Stages[i].Repeat
	all := rep.Count(w.start(i), w.end(i), w.Loc)
	if s := w.SnoozedUntil; !s.IsZero() && st.Due.Before(s) {
		// The repeats the snooze covers are not sent; one at its end is.
		if s.After(w.end(i)) {
			return 0
		}
		if k := rep.Count(w.start(i), s, w.Loc); k > int(st.Seq) {
			return max(0, all-k+1)
		}
	}
	return max(0, all-int(st.Seq))
}

// from is the first send of stage i or a later one after Now.
func (w Window) from(i int) (Step, bool) {
	for ; i < len(w.Policy.Stages); i++ {
		s := w.Policy.Stages[i]
		if w.Acked && s.UnlessAcknowledged {
			continue
		}
		start, end := w.start(i), w.end(i)
		if start.After(w.Now) && !start.After(end) {
			if s.UnlessAcknowledged {
				if held, in, ok := w.snoozed(i, start, false); in {
					if ok {
						return held, true
					}
					continue
				}
			}
			return Step{Due: start, Stage: int32(i)}, true
		}
		if !w.repeats(i) || w.MaxRepeats <= 0 {
			continue
		}
		n := 1
		if !start.After(w.Now) {
			n = s.Repeat.Count(start, w.Now, w.Loc) + 1
		}
		at := s.Repeat.Add(start, n, w.Loc)
		if end, in, ok := w.snoozed(i, at, true); in {
			if ok {
				return end, true
			}
			continue
		}
		if !at.After(end) {
			return Step{Due: at, Stage: int32(i), Seq: int32(n), listed: 1}, true
		}
	}
	return Step{}, false
}

func (w Window) repeats(i int) bool { return !w.Policy.Stages[i].Repeat.IsZero() && !w.Acked }

func (w Window) start(i int) time.Time { return w.Policy.Stages[i].Threshold(w.Deadline, w.Loc) }

// end is the last moment stage i is sent: before the next stage's
// threshold, and not after Until.
func (w Window) end(i int) time.Time {
	if i+1 < len(w.Policy.Stages) {
		if next := w.Policy.Stages[i+1].Threshold(w.Deadline, w.Loc); !next.After(w.Until) {
			return next.Add(-time.Nanosecond)
		}
	}
	return w.Until
}

// maxNextSteps bounds the moments Next examines. Past the thresholds and the
// acknowledgment only repeats whose delivery already exists can be passed
// over, so the bound is reached only when the outbox holds that many future
// repeats; Next then returns the moment it reached, which is early but safe.
const maxNextSteps = 1000

// Next returns the earliest moment after now at which Plan would have
// something to do for this cycle (a stage becoming active, the next repeat
// of the active stage), assuming the actions Plan returns at now were
// recorded. The zero time means nothing will ever be due again unless the
// cycle changes (a rotation, an acknowledgment, a changed policy).
//
// Plan's answer can only change at a stage's threshold, at the moment the
// acknowledgment takes effect, and at the next repeat of the stage active
// then; in between it is constant. Next walks those moments in order and
// returns the first one at which Plan, given the outbox plus what Plan
// returns at now, returns an action (a send or a skip to record), so it is
// never later than Plan's next action and, unless the outbox holds more than
// maxNextSteps future repeats, never earlier either. The acknowledgment
// taking effect usually only removes work, but when only a later repeat of
// the active stage went out (catch-up after downtime) Plan then sends repeat
// 0, or records its skip for an UnlessAcknowledged stage, so Next wakes up
// for it.
func Next(p Policy, c Cycle, ack Ack, sent func(Key) bool, now time.Time, loc *time.Location) time.Time {
	recorded := Plan(p, c, ack, sent, now, loc)
	done := func(k Key) bool {
		for _, a := range recorded {
			if a.Key() == k {
				return true
			}
		}
		return sent(k)
	}
	t := now
	for step := 1; ; step++ {
		at := nextChange(p, c, ack, t, loc)
		if at.IsZero() || step == maxNextSteps || len(Plan(p, c, ack, done, at, loc)) > 0 {
			return at
		}
		t = at
	}
}

// nextChange returns the earliest moment after t at which Plan's answer may
// differ from its answer at t, or the zero time when it never will: the next
// threshold, the acknowledgment taking effect, or the next repeat of the
// stage active at t while the cycle is unacknowledged.
func nextChange(p Policy, c Cycle, ack Ack, t time.Time, loc *time.Location) time.Time {
	var next time.Time
	consider := func(at time.Time) {
		if at.After(t) && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	for _, s := range p.Stages {
		consider(s.Threshold(c.Deadline, loc))
	}
	if !ack.At.IsZero() {
		consider(ack.At)
	}
	if !ack.Until.IsZero() { // a snooze ending: the ladder resumes (snooze.go)
		consider(ack.Until)
	}
	if i := Active(p, c.Deadline, t, loc); i >= 0 && !p.Stages[i].Repeat.IsZero() && !ack.Acknowledged(t) {
		s := p.Stages[i]
		due := s.Threshold(c.Deadline, loc)
		consider(s.Repeat.Add(due, s.Repeat.Count(due, t, loc)+1, loc))
	}
	return next
}
