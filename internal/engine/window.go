package engine

import (
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// window is the delivery window a send of stage s of policy to channel ch
// waits for: the stage's deliver:, else the channel's; nil when it may go
// out at any time, or when the stage is urgent (as it says, else the final
// notice and overdue stages) and breaks through.
//
// An escalation step (schedule.EscalationName) is a send of the stage it
// escalates: it takes that stage's deliver: and urgency, so the
// escalation of the final notice breaks through as the notice did.
func (v view) window(policy string, s schedule.Stage, ch string, deadline time.Time, loc *time.Location) *schedule.DeliveryWindow {
	var w *schedule.DeliveryWindow
	var urgent *bool
	if p := v.cfg.Policies[policy]; p != nil {
		name := s.Name
		if base, _, ok := schedule.ParseEscalation(name); ok {
			name = base
		}
		if st := p.Stage(name); st != nil {
			s, w, urgent = st.Stage, st.Deliver, st.Urgent
		}
	}
	if w == nil {
		if c := v.cfg.Channels[ch]; c != nil {
			w = c.Deliver
		}
	}
	if w == nil || schedule.Urgent(s, urgent, deadline, loc) {
		return nil
	}
	return w
}

// notBefore is when a send of stage s to channel ch planned at now may
// go out: now, or the next opening of its delivery window. The outbox row
// is written at once with that moment as its first attempt, so the
// dispatcher (and a daemon's wake-up, which reads the earliest attempt)
// takes it then, once; a more recent reminder on the channel supersedes
// it meanwhile (RecordPlans), so deferred reminders never go out in a
// burst.
func (v view) notBefore(policy string, s schedule.Stage, ch string, deadline, now time.Time, loc *time.Location) time.Time {
	if w := v.window(policy, s, ch, deadline, loc); w != nil {
		return w.Next(now)
	}
	return now
}

// retryAt is when a failed send of delivery d may be tried again: after
// its backoff, and then not before its delivery window opens, so a retry
// never goes out in quiet hours that the first attempt respected.
func (v view) retryAt(d domain.Claimed, after time.Time) time.Time {
	loc := v.cfg.Location
	return v.notBefore(d.Cycle.Policy, schedule.Stage{Name: d.Stage}, d.Channel, d.Cycle.Deadline(loc), after, loc)
}

// Deferral is a send that waits for its channel's delivery window: plan
// and status show it.
type Deferral struct {
	Channel string    `json:"channel"`
	At      time.Time `json:"at"` // in the window's zone
}

func (d Deferral) String() string {
	return d.Channel + " deferred to " + d.At.Format("Mon 15:04 MST")
}

// deferrals are the channels of a send of stage s due at due that wait
// past after for their window, and until when.
func (v view) deferrals(policy string, s schedule.Stage, due, after, deadline time.Time, loc *time.Location) []Deferral {
	var out []Deferral
	for _, ch := range s.Channels {
		if w := v.window(policy, s, ch, deadline, loc); w != nil {
			if at := w.Next(due); at.After(after) {
				out = append(out, Deferral{Channel: ch, At: at.In(w.Loc)})
			}
		}
	}
	return out
}

// waiting adds to ds the send that waits in the outbox for its channel's
// delivery window (w), unless ds already names its channel: a reminder
// first planned after downtime waits for the next opening after that
// tick, which the config and the threshold alone cannot tell.
func (v view) waiting(ds []Deferral, policy string, s schedule.Stage, w domain.Waiting, now, deadline time.Time, loc *time.Location) []Deferral {
	if w.Channel == "" || !w.At.After(now) {
		return ds
	}
	for _, d := range ds {
		if d.Channel == w.Channel {
			return ds
		}
	}
	win := v.window(policy, s, w.Channel, deadline, loc)
	if win == nil {
		return ds // not a window's wait (a stage no longer deferred, say)
	}
	return append(ds, Deferral{Channel: w.Channel, At: w.At.In(win.Loc)})
}

// deferredText is deferrals as status shows them, "" for none.
func deferredText(ds []Deferral) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.String()
	}
	return strings.Join(parts, ", ")
}

// activeDue is when the send of stage i active at now became due: its
// threshold, or its latest repeat while the cycle is unacknowledged.
func activeDue(s schedule.Stage, deadline, now time.Time, acked bool, loc *time.Location) time.Time {
	due := s.Threshold(deadline, loc)
	if !s.Repeat.IsZero() && !acked {
		due = s.Repeat.Add(due, max(0, s.Repeat.Count(due, now, loc)), loc)
	}
	return due
}
