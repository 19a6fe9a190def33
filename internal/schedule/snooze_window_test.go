package schedule

import (
	"reflect"
	"testing"
	"time"
)

// TestUpcomingWithASnooze: what the plan lists for a snoozed cycle is
// what the ticks send: nothing of a repeating stage while the snooze
// lasts, one repeat at its end when it covered one, the rhythm after it;
// a more urgent stage during the snooze still goes out, and one marked
// unless_acknowledged waits for the end. Before, the walk took a snooze
// for an acknowledgment of the whole cycle and listed no repeat after it.
func TestUpcomingWithASnooze(t *testing.T) {
	berlin := loadLoc(t, "Europe/Berlin")
	deadline := time.Date(2026, 10, 20, 0, 0, 0, 0, berlin) // a week before the clocks go back
	cycle := Cycle{Start: time.Date(2026, 4, 23, 0, 0, 0, 0, berlin), Deadline: deadline}
	for _, c := range []struct {
		name     string
		policy   Policy
		now, end time.Time
	}{
		{"overdue, snoozed 3 days", ladder(), deadline.Add(30 * hour), deadline.Add(30*hour + 72*hour)},
		{"overdue, snoozed across the DST change", ladder(), deadline.Add(100 * hour), deadline.Add(100*hour + 7*24*hour)},
		{"overdue, snoozed less than a repeat", ladder(), deadline.Add(30 * hour), deadline.Add(31 * hour)},
		{"before the deadline, snoozed past it", ladder(), deadline.Add(-3 * 24 * hour), deadline.Add(50 * hour)},
		{"the 24h stage unless acknowledged, during the snooze", ladderUnlessAck(), deadline.Add(-3 * 24 * hour), deadline.Add(-12 * hour)},
	} {
		t.Run(c.name, func(t *testing.T) {
			ack := Ack{At: c.now, By: "alice", Until: c.end}
			until := c.end.Add(5 * 24 * hour)
			// The sends before the snooze: a tick at every quarter hour
			// up to now, unacknowledged.
			sent := sentSet{}
			for at := cycle.Start; !at.After(c.now); at = at.Add(15 * time.Minute) {
				for _, a := range Plan(c.policy, cycle, Ack{}, sent.has, at, berlin) {
					sent[a.Key()] = true
				}
			}
			plan := Upcoming(c.policy, cycle, ack, sent.has, c.now, until, berlin, 1000)
			var ticked []Action
			for at := c.now; !at.After(until); at = at.Add(15 * time.Minute) {
				for _, a := range Plan(c.policy, cycle, ack, sent.has, at, berlin) {
					sent[a.Key()] = true
					if a.Kind == Send {
						ticked = append(ticked, a)
					}
				}
			}
			if !reflect.DeepEqual(describe(plan), describe(ticked)) {
				t.Errorf("Upcoming %q\nthe ticks  %q", describe(plan), describe(ticked))
			}
		})
	}
}
