package engine

import (
	"context"
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
)

// CredentialStatus is one row of `notifier status`.
type CredentialStatus struct {
	ID               string    `json:"id"`
	Name             string    `json:"name"`
	Owner            string    `json:"owner"`
	RotatedAt        time.Time `json:"rotated_at"`
	Deadline         time.Time `json:"deadline"`
	DaysRemaining    int       `json:"days_remaining"`
	Stage            string    `json:"stage"` // the active stage at now, "" when none
	Acknowledged     bool      `json:"acknowledged"`
	AcknowledgedBy   string    `json:"acknowledged_by,omitempty"`
	State            string    `json:"state"`
	FailedDeliveries int       `json:"failed_deliveries"`
	// LastVerified is when a probe last found that Amazon accepts the
	// SP-API client secret; nil: never. LastProbe is the last probe's
	// outcome (ok, rejected, failed); "" when never probed.
	LastVerified *time.Time `json:"last_verified,omitempty"`
	LastProbe    string     `json:"last_probe,omitempty"`
	// RotationRequested is when Amazon accepted a request to rotate the
	// secret in this cycle (`rotate --via-amazon`): the rotation is
	// recorded when the new-secret notification arrives. nil: none.
	RotationRequested *time.Time `json:"rotation_requested_at,omitempty"`
}

// Status describes every credential at now, inactive ones included.
func (e *Engine) Status(ctx context.Context, now time.Time) ([]CredentialStatus, error) {
	now = normalize(now)
	v := e.view()
	loc := v.cfg.Location
	states, err := e.store.States(ctx)
	if err != nil {
		return nil, err
	}
	if now.Before(normalize(e.wallClock()).Add(-MaxClockSkew)) || startsAfter(states, now, func(s domain.CredentialState) time.Time { return s.Start }) {
		// A view at an earlier moment: each credential's cycle then, with
		// the terms and the acknowledgment it had then.
		if states, err = e.store.StatesAt(ctx, now); err != nil {
			return nil, err
		}
	}
	probes, err := e.store.LastProbes(ctx)
	if err != nil {
		return nil, err
	}
	requested, err := e.store.PendingRotationRequests(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]CredentialStatus, 0, len(states))
	for _, s := range states {
		deadline := s.Deadline(loc)
		st := CredentialStatus{
			ID: s.ID, Name: s.Name, Owner: s.Owner,
			RotatedAt:        s.Start.In(loc),
			Deadline:         deadline.In(loc),
			DaysRemaining:    schedule.DaysRemaining(deadline, now, loc),
			Acknowledged:     s.Ack().Acknowledged(now),
			FailedDeliveries: s.Failed,
		}
		if st.Acknowledged {
			st.AcknowledgedBy = s.AckBy
		}
		if at, ok := requested[s.ID]; ok {
			at = at.In(loc)
			st.RotationRequested = &at
		}
		if p, ok := probes[s.ID]; ok {
			st.LastProbe = p.LastOutcome
			if !p.Verified.IsZero() {
				at := p.Verified.In(loc)
				st.LastVerified = &at
			}
		}
		if l, ok := v.ladders[s.Policy]; ok && s.Active {
			if i := schedule.Active(l.policy, deadline, now, loc); i >= 0 {
				st.Stage = l.policy.Stages[i].Name
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
		out = append(out, st)
	}
	return out, nil
}

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
}

// MaxPlannedRepeats caps how many repeats of one stage plan lists.
const MaxPlannedRepeats = 30

// Plan lists the reminders due from now until now+horizon, if nobody
// acknowledges or rotates, in time order. It only reads: the cycles are
// the store's (none when the engine has no store: no database yet) as
// the config will make them at the daemon's next sync (see planned).
func (e *Engine) Plan(ctx context.Context, now time.Time, horizon schedule.Span) ([]Upcoming, error) {
	return e.plan(ctx, normalize(now), horizon, domain.CredentialFilter{})
}

// plan is Plan of the credentials f selects (its Limit aside).
func (e *Engine) plan(ctx context.Context, now time.Time, horizon schedule.Span, f domain.CredentialFilter) ([]Upcoming, error) {
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
		l, ok := v.ladders[c.Policy]
		if !ok {
			continue
		}
		deadline, acts := upcoming(l, c, now, until, loc)
		if !planMatches(f, c, l, deadline, now, loc) {
			continue
		}
		for _, a := range acts {
			at := a.Due
			if at.Before(now) {
				at = now // due now: goes out at the next tick
			}
			out = append(out, Upcoming{
				At: at.In(loc), Credential: c.ID, Name: c.Name, Stage: a.Stage.Name, Seq: a.Seq,
				Channels: a.Stage.Channels, DaysRemaining: schedule.DaysRemaining(deadline, at, loc),
				Deadline: deadline.In(loc),
			})
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
