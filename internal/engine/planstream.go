package engine

import (
	"container/heap"
	"context"
	"errors"
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
func (e *Engine) PlanEach(ctx context.Context, now time.Time, horizon schedule.Span, f domain.CredentialFilter, streamed bool, emit func(Upcoming) error) error {
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
	if streamed && e.store != nil {
		err = e.planStreamed(ctx, now, horizon, f, out)
	} else {
		var rows []Upcoming
		if rows, err = e.plan(ctx, now, horizon, f); err == nil {
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

// upcoming is the reminders of one cycle, as Plan lists them.
func upcoming(l ladder, c domain.Cycle, now, until time.Time, loc *time.Location) (time.Time, []schedule.Action) {
	deadline := c.Deadline(loc)
	acts := schedule.Upcoming(l.policy, schedule.Cycle{Start: c.Start, Deadline: deadline}, c.Ack(), c.HasSent, now, until, loc, MaxPlannedRepeats)
	return deadline, acts
}

// planRow is one reminder of a cycle in flight: compact, since the heap
// holds the reminders of every cycle read and not yet emitted.
type planRow struct {
	at    int64 // Unix nanoseconds
	stage int32 // index in the policy's stages
	seq   int32
}

// planEntry is a cycle in flight: its reminders not yet emitted.
type planEntry struct {
	id, name string
	deadline time.Time
	stages   []schedule.Stage
	rows     []planRow
}

type planHeap []*planEntry

func (h planHeap) Len() int { return len(h) }
func (h planHeap) Less(i, j int) bool {
	if a, b := h[i].rows[0].at, h[j].rows[0].at; a != b {
		return a < b
	}
	return h[i].id < h[j].id
}
func (h planHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *planHeap) Push(x any)   { *h = append(*h, x.(*planEntry)) }
func (h *planHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return x
}

func (e *Engine) planStreamed(ctx context.Context, now time.Time, horizon schedule.Span, f domain.CredentialFilter, emit func(Upcoming) error) error {
	v := e.view()
	loc := v.cfg.Location
	until := horizon.Add(now, 1, loc)
	h := &planHeap{}
	// drain emits every reminder before bound (all of them when all).
	drain := func(bound int64, all bool) error {
		for h.Len() > 0 {
			top := (*h)[0]
			r := top.rows[0]
			if !all && r.at >= bound {
				return nil
			}
			at := time.Unix(0, r.at).In(loc)
			s := top.stages[r.stage]
			if err := emit(Upcoming{At: at, Credential: top.id, Name: top.name, Stage: s.Name, Seq: int(r.seq),
				Channels: s.Channels, DaysRemaining: schedule.DaysRemaining(top.deadline, at, loc), Deadline: top.deadline.In(loc)}); err != nil {
				return err
			}
			if top.rows = top.rows[1:]; len(top.rows) == 0 {
				heap.Pop(h)
			} else {
				heap.Fix(h, 0)
			}
		}
		return nil
	}
	err := e.store.PlanCycles(ctx, f, until, func(cycles []domain.Cycle) error {
		for _, c := range cycles {
			key := c.NextAction
			if key.Before(now) {
				key = now
			}
			if err := drain(key.UnixNano(), false); err != nil {
				return err
			}
			l, ok := v.ladders[c.Policy]
			if !ok {
				continue
			}
			deadline, acts := upcoming(l, c, now, until, loc)
			if len(acts) == 0 || !planMatches(f, c, l, deadline, now, loc) {
				continue
			}
			p := l.policy
			en := &planEntry{id: c.ID, name: c.Name, deadline: deadline, stages: p.Stages, rows: make([]planRow, 0, len(acts))}
			for _, a := range acts {
				at := a.Due
				if at.Before(now) {
					at = now // due now: goes out at the next tick
				}
				idx := 0
				for i := range p.Stages {
					if p.Stages[i].Name == a.Stage.Name {
						idx = i
						break
					}
				}
				en.rows = append(en.rows, planRow{at: at.UnixNano(), stage: int32(idx), seq: int32(a.Seq)})
			}
			heap.Push(h, en)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return drain(0, true)
}
