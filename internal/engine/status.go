package engine

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// Credential states in status.
const (
	StateOK       = "ok"       // no stage is due yet
	StateDue      = "due"      // a reminder stage is active
	StateOverdue  = "overdue"  // the deadline has passed
	StateInactive = "inactive" // removed from the config
	// StateRotated is not a state of its own but a filter and a count:
	// the active credentials whose cycle began with a rotation notifier
	// saw (not a credential's first, dated when it was added) within
	// RotatedWindow before now. They are ok (due, overdue) as well.
	StateRotated = "rotated"
)

// RotatedWindow is how long a rotation counts as recent (StateRotated):
// Amazon keeps the old LWA client secret working 7 days after a new one
// is generated, the time to replace it everywhere.
const RotatedWindow = 7 * 24 * time.Hour

// CredentialStatus is one row of `notifier status`.
type CredentialStatus struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Owner     string    `json:"owner"`
	RotatedAt time.Time `json:"rotated_at"`
	// RotationSource is the source of the rotation that started the
	// cycle (config, cli, amazon, …): the console shows it; status's
	// output, whose form is fixed, does not.
	RotationSource string `json:"-"`
	// RecentlyRotated: the cycle began with a rotation notifier saw
	// within RotatedWindow (StateRotated); the console shows it.
	RecentlyRotated bool      `json:"-"`
	Deadline        time.Time `json:"deadline"`
	DaysRemaining   int       `json:"days_remaining"`
	Stage           string    `json:"stage"` // the active stage at now, "" when none
	Acknowledged    bool      `json:"acknowledged"`
	AcknowledgedBy  string    `json:"acknowledged_by,omitempty"`
	// SnoozedUntil is the end of the snooze in force (Acknowledged by
	// AcknowledgedBy until then); nil: none.
	SnoozedUntil     *time.Time `json:"snoozed_until,omitempty"`
	State            string     `json:"state"`
	FailedDeliveries int        `json:"failed_deliveries"`
	// LastVerified is when a probe last found that Amazon accepts the
	// SP-API client secret; nil: never. LastProbe is the last probe's
	// outcome (ok, rejected, failed); "" when never probed.
	LastVerified *time.Time `json:"last_verified,omitempty"`
	LastProbe    string     `json:"last_probe,omitempty"`
	// RotationRequested is when Amazon accepted a request to rotate the
	// secret in this cycle (`rotate --via-amazon`): the rotation is
	// recorded when the new-secret notification arrives. nil: none.
	RotationRequested *time.Time `json:"rotation_requested_at,omitempty"`
	// Deferred says which channels wait for their delivery window with
	// the active stage's reminder, and until when in the window's zone
	// ("office deferred to Mon 09:00 CEST"); "" when none waits.
	Deferred string `json:"deferred,omitempty"`
}

// Status describes every credential at now, inactive ones included.
func (e *Engine) Status(ctx context.Context, now time.Time) ([]CredentialStatus, error) {
	out := []CredentialStatus{}
	err := e.EachStatus(ctx, now, domain.CredentialFilter{}, func(st CredentialStatus) error {
		out = append(out, st)
		return nil
	})
	return out, err
}

// errEnough stops EachStatus's stream at the filter's limit.
var errEnough = errors.New("enough rows")

// EachStatus calls fn with the status at now of each credential f selects
// (inactive ones included), in id order, as the store reads them: memory
// stays flat at any fleet size. The store cuts what it can in its query
// (domain.StateQuery); the engine judges the rest (a stage is active).
// A view at an earlier moment (a cycle then differs from the current
// one) reads the cycles then as a whole, and is not streamed.
func (e *Engine) EachStatus(ctx context.Context, now time.Time, f domain.CredentialFilter, fn func(CredentialStatus) error) error {
	return e.eachStatus(ctx, now, f, func(_ *view, _ domain.CredentialState, st CredentialStatus) error { return fn(st) })
}

// eachStatus is EachStatus, handing fn the view and the state each
// status was judged from as well (the calendar feed reads the cycle's
// terms from them).
func (e *Engine) eachStatus(ctx context.Context, now time.Time, f domain.CredentialFilter, fn func(*view, domain.CredentialState, CredentialStatus) error) error {
	now = normalize(now)
	v := e.view()
	loc := v.cfg.Location
	keep := statusKeeps(&v, f, now, loc)
	n := 0
	emit := func(s domain.CredentialState) error {
		st := v.status(s, now)
		if !keep(s, st) {
			return nil
		}
		if err := fn(&v, s, st); err != nil {
			return err
		}
		if n++; f.Limit > 0 && n >= f.Limit {
			return errEnough
		}
		return nil
	}
	earlier := now.Before(normalize(e.wallClock()).Add(-MaxClockSkew))
	if !earlier {
		var err error
		if earlier, err = e.store.CycleStartsAfter(ctx, now); err != nil {
			return err
		}
	}
	var err error
	if earlier && f.ByDeadline {
		err = e.eachStatusAtByDeadline(ctx, now, v, f, emit)
	} else if earlier {
		err = e.eachStatusAt(ctx, now, emit)
	} else {
		err = e.store.EachState(ctx, v.stateQuery(f, now), emit)
	}
	if errors.Is(err, errEnough) {
		return nil
	}
	return err
}

// eachStatusAt is EachStatus's source at an earlier moment: each
// credential's cycle in force then, with the terms and acknowledgment it
// had then (StatesAt), and its probes and pending request as now.
func (e *Engine) eachStatusAt(ctx context.Context, now time.Time, fn func(domain.CredentialState) error) error {
	states, err := e.store.StatesAt(ctx, now)
	if err != nil {
		return err
	}
	probes, err := e.store.LastProbes(ctx)
	if err != nil {
		return err
	}
	requested, err := e.store.PendingRotationRequests(ctx)
	if err != nil {
		return err
	}
	for _, s := range states {
		s.Probe, s.RotationRequested = probes[s.ID], requested[s.ID]
		if err := fn(s); err != nil {
			return err
		}
	}
	return nil
}

// eachStatusAtByDeadline is eachStatusAt in (deadline, id) order, after
// f's keyset: the cycles then, as a whole, sorted.
func (e *Engine) eachStatusAtByDeadline(ctx context.Context, now time.Time, v view, f domain.CredentialFilter, fn func(domain.CredentialState) error) error {
	var all []domain.CredentialState
	if err := e.eachStatusAt(ctx, now, func(s domain.CredentialState) error { all = append(all, s); return nil }); err != nil {
		return err
	}
	loc := v.cfg.Location
	key := func(s domain.CredentialState) (time.Time, string) { return s.Deadline(loc), s.ID }
	less := func(d1 time.Time, id1 string, d2 time.Time, id2 string) bool {
		return d1.Before(d2) || d1.Equal(d2) && id1 < id2
	}
	sort.SliceStable(all, func(i, j int) bool {
		d1, id1 := key(all[i])
		d2, id2 := key(all[j])
		return less(d1, id1, d2, id2)
	})
	for _, s := range all {
		if d, id := key(s); f.After != "" && !less(f.AfterDeadline, f.After, d, id) {
			continue
		}
		if err := fn(s); err != nil {
			return err
		}
	}
	return nil
}

// status is one credential's row of status at now.
func (v *view) status(s domain.CredentialState, now time.Time) CredentialStatus {
	loc := v.cfg.Location
	deadline := s.Deadline(loc)
	st := CredentialStatus{
		ID: s.ID, Name: s.Name, Owner: s.Owner,
		RotatedAt:        s.Start.In(loc),
		RotationSource:   s.Source,
		Deadline:         deadline.In(loc),
		DaysRemaining:    schedule.DaysRemaining(deadline, now, loc),
		Acknowledged:     s.Ack().Acknowledged(now),
		FailedDeliveries: s.Failed,
		RecentlyRotated:  s.Active && s.RotationSeen && s.Start.After(now.Add(-RotatedWindow)) && !s.Start.After(now),
	}
	if st.Acknowledged {
		st.AcknowledgedBy = s.AckBy
		if !s.AckUntil.IsZero() {
			until := s.AckUntil.In(loc)
			st.SnoozedUntil = &until
		}
	}
	if s.Active { // probes and requests count for active credentials only
		if !s.RotationRequested.IsZero() {
			at := s.RotationRequested.In(loc)
			st.RotationRequested = &at
		}
		st.LastProbe = s.Probe.LastOutcome
		if !s.Probe.Verified.IsZero() {
			at := s.Probe.Verified.In(loc)
			st.LastVerified = &at
		}
	}
	if l, ok := v.ladders[s.Policy]; ok && s.Active {
		if i := schedule.Active(l.policy, deadline, now, loc); i >= 0 {
			st.Stage = l.policy.Stages[i].Name
			sg := l.policy.Stages[i]
			ds := v.deferrals(s.Policy, sg, activeDue(sg, deadline, now, st.Acknowledged, loc), now, deadline, loc)
			st.Deferred = deferredText(v.waiting(ds, s.Policy, sg, s.Waiting, now, deadline, loc))
		}
	}
	switch {
	case !s.Active:
		st.State = StateInactive
	case !now.Before(deadline):
		st.State = StateOverdue
	case st.Stage != "":
		st.State = StateDue
	default:
		st.State = StateOK
	}
	return st
}

// statusKeeps is f applied exactly to a credential's state and status.
func statusKeeps(v *view, f domain.CredentialFilter, now time.Time, loc *time.Location) func(domain.CredentialState, CredentialStatus) bool {
	var sends map[string]bool // nil: any policy
	if f.Channel != "" {
		sends = map[string]bool{}
		for _, p := range v.policiesSendingTo(f.Channel) {
			sends[p] = true
		}
	}
	var by time.Time
	if !f.DueWithin.IsZero() {
		by = f.DueWithin.Add(now, 1, loc)
	}
	return func(s domain.CredentialState, st CredentialStatus) bool {
		return (f.Owner == "" || s.Owner == f.Owner) && (f.Policy == "" || s.Policy == f.Policy) && (sends == nil || sends[s.Policy]) &&
			domain.MatchGlob(f.Credential, s.ID) && (f.State == "" || st.State == f.State || f.State == StateRotated && st.RecentlyRotated) &&
			(by.IsZero() || !st.Deadline.After(by)) && (f.After == "" || f.ByDeadline || s.ID > f.After)
	}
}

// stateQuery is the part of f the store applies (statusKeeps judges the
// rest): bounds that may let through more than f keeps, never less; the
// limit only where nothing is dropped after the store.
func (v *view) stateQuery(f domain.CredentialFilter, now time.Time) domain.StateQuery {
	loc := v.cfg.Location
	q := domain.StateQuery{Owner: f.Owner, Policy: f.Policy, After: f.After, ByDeadline: f.ByDeadline, AfterDeadline: f.AfterDeadline}
	if f.Channel != "" {
		q.Policies = v.policiesSendingTo(f.Channel)
	}
	if f.Credential != "" {
		q.Like = domain.GlobLike(f.Credential)
	}
	switch f.State {
	case StateInactive:
		q.Inactive = true
	case StateRotated:
		q.Active, q.RotatedAfter = true, now.Add(-RotatedWindow)
	case StateOverdue:
		q.Active, q.DeadlineBy = true, now
	case StateOK:
		// No stage is active: the deadline is after the first stage of
		// its ladder, at least the shortest first stage of any after now.
		q.Active, q.DeadlineAfter = true, now
		if least, _ := v.stageBounds(now); least.After(now) {
			q.DeadlineAfter = least
		}
	case StateDue:
		// A stage is active at now: the deadline is at most the greatest
		// bound of any ladder.
		_, greatest := v.stageBounds(now)
		q.Active, q.DeadlineAfter, q.DeadlineBy = true, now, greatest
	}
	if !f.DueWithin.IsZero() {
		if by := f.DueWithin.Add(now, 1, loc); q.DeadlineBy.IsZero() || by.Before(q.DeadlineBy) {
			q.DeadlineBy = by
		}
	}
	if f.Credential == "" && f.DueWithin.IsZero() && (f.State == "" || f.State == StateInactive) {
		q.Limit = f.Limit
	} else if f.Limit > 0 {
		// Rows may be dropped after the store: read pages of the size
		// wanted, as many as it takes, not a large one for nothing.
		q.Page = f.Limit + 1
	}
	return q
}

// stageBounds are, over the ladders, the least and the greatest
// deadline at or before which a stage is active at now (a ladder whose
// stages all follow the deadline counts as now): a credential is due
// only if its deadline is at most the greatest, ok only if it is after
// the least. Each is found by bisection on the stages' thresholds (a
// deadline later is never active sooner), widened by rangeSlack where
// a summer-time change is near (thresholds are then not monotone).
func (v *view) stageBounds(now time.Time) (least, greatest time.Time) {
	loc := v.cfg.Location
	for _, l := range v.ladders {
		active := func(d time.Time) bool {
			for _, st := range l.policy.Stages {
				if !st.Threshold(d, loc).After(now) {
					return true
				}
			}
			return false
		}
		bound, slack := now, time.Duration(0)
		if active(now) {
			lo, hi := now, now.Add(time.Hour)
			for active(hi) {
				lo, hi = hi, now.Add(2*hi.Sub(now))
			}
			for hi.Sub(lo) > time.Second {
				mid := lo.Add(hi.Sub(lo) / 2)
				if active(mid) {
					lo = mid
				} else {
					hi = mid
				}
			}
			bound = lo
			if changes(loc, now) || changes(loc, bound) {
				slack = rangeSlack
			}
		}
		if least.IsZero() || bound.Add(-slack).Before(least) {
			least = bound.Add(-slack)
		}
		if bound.Add(slack).After(greatest) {
			greatest = bound.Add(slack)
		}
	}
	if least.IsZero() {
		least, greatest = now, now
	}
	return least, greatest
}

// changes says whether the zone's offset changes within a day of t.
func changes(loc *time.Location, t time.Time) bool {
	_, before := t.Add(-24 * time.Hour).In(loc).Zone()
	_, after := t.Add(24 * time.Hour).In(loc).Zone()
	return before != after
}

// rangeSlack widens the bounds of stageBounds: a day taken from a
// deadline in the configured zone is not always a day later for a later
// deadline by the hour a summer-time change adds or removes.
const rangeSlack = 2 * time.Hour

// Upcoming is one reminder `notifier plan` expects to send.
type Upcoming struct {
	At            time.Time `json:"at"`
	Credential    string    `json:"credential"`
	Name          string    `json:"name"`
	Stage         string    `json:"stage"`
	Seq           int       `json:"seq"`
	Channels      []string  `json:"channels"`
	DaysRemaining int       `json:"days_remaining"`
	Deadline      time.Time `json:"deadline"`
	// More is how many repeats of the stage follow within the horizon
	// (until acknowledged), Every apart: set on a table's row only, which
	// stands for them (json lists each send).
	More  int    `json:"-"`
	Every string `json:"-"`
	// Deferred are the channels whose send waits for their delivery
	// window (quiet hours), with the moment it goes out.
	Deferred []Deferral `json:"deferred,omitempty"`
}

// MaxPlannedRepeats caps how many repeats of one stage plan lists.
const MaxPlannedRepeats = 30

// Plan lists the reminders due from now until now+horizon, if nobody
// acknowledges or rotates, in time order. It only reads: the cycles are
// the store's (none when the engine has no store: no database yet) as
// the config will make them at the daemon's next sync (see planned).
func (e *Engine) Plan(ctx context.Context, now time.Time, horizon schedule.Span) ([]Upcoming, error) {
	return e.plan(ctx, normalize(now), horizon, domain.CredentialFilter{}, false)
}

// plan is Plan of the credentials f selects (its Limit aside).
func (e *Engine) plan(ctx context.Context, now time.Time, horizon schedule.Span, f domain.CredentialFilter, once bool) ([]Upcoming, error) {
	v := e.view()
	loc := v.cfg.Location
	var recorded []domain.Cycle
	if e.store != nil {
		var err error
		if recorded, err = e.store.OpenCycles(ctx); err != nil {
			return nil, err
		}
		if startsAfter(recorded, now, func(c domain.Cycle) time.Time { return c.Start }) {
			if recorded, err = e.cyclesAt(ctx, recorded, now); err != nil {
				return nil, err
			}
		}
	}
	cycles := planned(v.cfg, recorded, now)
	until := horizon.Add(now, 1, loc)
	var out []Upcoming
	for _, c := range cycles {
		l, deadline, ok := v.plannable(f, c, now, loc)
		if !ok {
			continue
		}
		p := l.policy
		w := window(&p, c, deadline, now, until, loc)
		st, ok := w.First(schedule.Cycle{Start: c.Start, Deadline: deadline}, c.Ack(), c.HasSent)
		for ok {
			u := v.planRow(w, st, c.ID, c.Name, once)
			out = append(out, u)
			st, ok = rowAfter(w, st, u)
		}
		if st, ok := escalationStep(&p, c, deadline, now, until, loc); ok {
			u := v.planRow(w, st, c.ID, c.Name, once)
			out = append(out, u)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].Credential < out[j].Credential
	})
	return out, nil
}

// planned is each credential of the config with the cycle the daemon will
// plan at now, without recording anything: the recorded cycle, unless the
// config has a rotation the store has not (a credential added since the
// last sync, a rotated_at moved forward since), which then starts a cycle
// as the next sync will record it. A cycle that starts after now (a view
// at an earlier moment) is not yet known then; a credential no longer in
// the config is not planned (the next sync makes it inactive).
func planned(cfg *config.Config, recorded []domain.Cycle, now time.Time) []domain.Cycle {
	byID := make(map[string]domain.Cycle, len(recorded))
	for _, c := range recorded {
		byID[c.ID] = c
	}
	out := make([]domain.Cycle, 0, len(cfg.Credentials))
	for _, cr := range cfg.Credentials {
		c, ok := byID[cr.ID]
		if ok && c.Start.After(now) {
			ok = false
		}
		newer := !cr.RotatedAt.IsZero() && !cr.RotatedAt.After(now) && (!ok || cr.DatedBy == "" && cr.RotatedAt.After(c.Start))
		switch {
		case newer:
			c = domain.Cycle{Credential: cr, Active: true, Start: cr.RotatedAt, Source: "config"}
		case ok:
			c.Credential = cr // the config's terms, as the next sync records them
		default:
			continue
		}
		out = append(out, c)
	}
	return out
}

// startsAfter says whether a cycle of list starts after now: a view at an
// earlier moment, which shows each credential's cycle then.
func startsAfter[T any](list []T, now time.Time, start func(T) time.Time) bool {
	for _, x := range list {
		if start(x).After(now) {
			return true
		}
	}
	return false
}

// cyclesAt replaces each open cycle that starts after now with the
// credential's cycle in force at now, as recorded (without the keys of
// its deliveries: plan lists its stages from now on), and leaves out a
// credential first rotated after now.
func (e *Engine) cyclesAt(ctx context.Context, open []domain.Cycle, now time.Time) ([]domain.Cycle, error) {
	states, err := e.store.StatesAt(ctx, now)
	if err != nil {
		return nil, err
	}
	then := make(map[string]domain.Cycle, len(states))
	for _, s := range states {
		then[s.ID] = s.Cycle
	}
	out := open[:0]
	for _, c := range open {
		if c.Start.After(now) {
			var ok bool
			if c, ok = then[c.ID]; !ok {
				continue
			}
		}
		out = append(out, c)
	}
	return out, nil
}
