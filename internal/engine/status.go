package engine

import (
	"context"
	"sort"
	"time"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/db"
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
}

// Status describes every credential at now, inactive ones included.
func (e *Engine) Status(ctx context.Context, now time.Time) ([]CredentialStatus, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now = normalize(now)
	cfg := e.cfg
	states, err := e.store.States(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]CredentialStatus, 0, len(states))
	for _, s := range states {
		cred, inConfig := cfg.Credential(s.ID)
		if !inConfig {
			cred = fromRow(s.Credential)
		}
		deadline := cred.Deadline(s.RotatedAt, cfg.Location)
		st := CredentialStatus{
			ID: s.ID, Name: s.Name, Owner: s.Owner,
			RotatedAt:        s.RotatedAt.In(cfg.Location),
			Deadline:         deadline.In(cfg.Location),
			DaysRemaining:    schedule.DaysRemaining(deadline, now, cfg.Location),
			Acknowledged:     !s.AckAt.IsZero() && !s.AckAt.After(now),
			FailedDeliveries: s.Failed,
		}
		if st.Acknowledged {
			st.AcknowledgedBy = s.AckBy
		}
		if p := cfg.Policies[cred.Policy]; p != nil && s.Active {
			if i := schedule.Active(p.Schedule(), deadline, now, cfg.Location); i >= 0 {
				st.Stage = p.Stages[i].Name
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

// fromRow rebuilds a credential the config no longer has from its row.
func fromRow(r db.Credential) config.Credential {
	period, _ := schedule.ParseSpan(r.RotationPeriod)
	return config.Credential{ID: r.ID, Name: r.Name, Owner: r.Owner, RotatedAt: r.ConfigRotatedAt,
		RotationPeriod: period, ExpiresAt: r.ExpiresAt, Policy: r.Policy}
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
// acknowledges or rotates, in time order.
func (e *Engine) Plan(ctx context.Context, now time.Time, horizon schedule.Span) ([]Upcoming, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now = normalize(now)
	cfg := e.cfg
	views, err := e.openCycles(ctx)
	if err != nil {
		return nil, err
	}
	until := horizon.Add(now, 1, cfg.Location)
	var out []Upcoming
	for _, v := range views {
		for _, a := range schedule.Upcoming(v.policy.Schedule(), v.schedule(), v.ack(), v.sent, now, until, cfg.Location, MaxPlannedRepeats) {
			at := a.Due
			if at.Before(now) {
				at = now // due now: goes out at the next tick
			}
			out = append(out, Upcoming{
				At: at.In(cfg.Location), Credential: v.CredentialID, Name: v.cred.Name, Stage: a.Stage.Name, Seq: a.Seq,
				Channels: a.Stage.Channels, DaysRemaining: schedule.DaysRemaining(v.deadline, at, cfg.Location),
				Deadline: v.deadline.In(cfg.Location),
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
