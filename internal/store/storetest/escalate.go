package storetest

import (
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// testEscalationWake: a sent outcome with a WakeAt moves its cycle's next
// action there when that is earlier (an escalation becomes due), never
// later; and the due cycle's FirstSent says when each stage first went out.
func testEscalationWake(t *testing.T, open Opener) {
	sentAt := hours(2).Add(time.Minute)
	for _, tc := range []struct {
		name       string
		next, wake time.Time
		want       time.Time
	}{
		{"an earlier wake moves the next action", days(5), sentAt.Add(4 * time.Hour), sentAt.Add(4 * time.Hour)},
		{"a later wake leaves it", hours(3), sentAt.Add(4 * time.Hour), hours(3)},
		{"a cycle with no next action gets one", time.Time{}, sentAt.Add(4 * time.Hour), sentAt.Add(4 * time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, open)
			e.sync(file, t0, cred("alpha"))
			d := e.enqueue("alpha", hours(1), pending("7d", 0, "slack", t0))[0]
			e.settle("alpha", hours(1), tc.next)
			if got := claim(t, e.Store, "w1", "slack", hours(2), hours(3), 10); len(got) != 1 {
				t.Fatalf("w1 claimed %v, want delivery %d", claimedIDs(got), d.ID)
			}
			o := outcome(d, domain.StatusSent, 1, sentAt)
			o.WakeAt = tc.wake
			e.outcomes(e.Store, "w1", o)
			equal(t, "next action", ts(e.cycle("alpha").NextAction), ts(tc.want))
			due, err := e.DueCycles(e.ctx, tc.want, 10)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "due cycles", len(due), 1)
			if len(due) == 1 {
				equal(t, "first sent of 7d", ts(due[0].FirstSentOf("7d")), ts(sentAt))
				equal(t, "first sent of 30d", ts(due[0].FirstSentOf("30d")), ts(time.Time{}))
			}
		})
	}
}
