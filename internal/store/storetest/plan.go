package storetest

import (
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

func testCycles(t *testing.T, open Opener) {
	// setup: alpha next due at day 3, beta at day 1, gamma at day 2, delta
	// never, epsilon inactive.
	setup := func(t *testing.T) *env {
		e := newEnv(t, open)
		all := []domain.Credential{cred("alpha"), cred("beta"), cred("gamma"), cred("delta"), cred("epsilon")}
		e.sync(file, t0, all...)
		e.sync(file, t0, all[:4]...)
		e.settle("alpha", t0, days(3))
		e.settle("beta", t0, days(1))
		e.settle("gamma", t0, days(2))
		e.settle("delta", t0, time.Time{})
		return e
	}

	t.Run("DueCycles returns the active cycles whose next action has come, earliest first", func(t *testing.T) {
		e := setup(t)
		for _, tc := range []struct {
			now  time.Time
			want []string
		}{
			{days(1).Add(-time.Second), nil},
			{days(1), []string{"beta"}},
			{days(2).Add(time.Hour), []string{"beta", "gamma"}},
			{days(1000), []string{"beta", "gamma", "alpha"}},
		} {
			equal(t, "due at "+ts(tc.now), e.dueIDs(tc.now), tc.want)
		}
	})

	t.Run("DueCycles honours its limit, earliest first", func(t *testing.T) {
		e := setup(t)
		equal(t, "limit 2", cycleIDs(e.due(days(3), 2)), []string{"beta", "gamma"})
		equal(t, "limit 1", cycleIDs(e.due(days(3), 1)), []string{"beta"})
	})

	t.Run("a due cycle carries its credential, its start, its deliveries' keys in any status and its first acknowledgment", func(t *testing.T) {
		e := newEnv(t, open)
		c := with(cred("alpha"), func(c *domain.Credential) { c.ExpiresAt = days(20) })
		e.sync(file, t0, c)
		e.enqueue("alpha", hours(1),
			skipped("60d", 0, "slack", days(-30), "missed"),
			pending("30d", 0, "slack", t0),
			pending("30d", 0, "email", t0))
		sent := claim(t, e.Store, "w1", "email", hours(1), hours(2), 10)
		if len(sent) != 1 {
			t.Fatalf("claimed %d email deliveries, want 1", len(sent))
		}
		e.outcomes(e.Store, "w1", outcome(sent[0].Delivery, domain.StatusSent, 1, hours(1)))
		e.enqueue("alpha", hours(2), pending("30d", 1, "slack", hours(2))) // supersedes 30d/0 on slack
		e.settle("alpha", hours(2), days(5))
		e.ack("alpha", hours(3), "bob")

		due := e.due(hours(3), 10)
		if len(due) != 1 {
			t.Fatalf("due = %v, want alpha", cycleIDs(due))
		}
		cy := due[0]
		c.File = file
		equal(t, "credential", credText(cy.Credential), credText(c))
		equal(t, "cycle", []any{cy.Active, cy.RotationID, cy.Source}, []any{true, e.cycle("alpha").RotationID, "config"})
		equalTime(t, "start", cy.Start, rotated)
		equalTime(t, "deadline", cy.Deadline(time.UTC), days(20))
		equalTime(t, "ack at", cy.AckAt, hours(3))
		equal(t, "ack by", cy.AckBy, "bob")
		equal(t, "sent", cy.Sent, map[schedule.Key]bool{{Stage: "60d", Seq: 0}: true, {Stage: "30d", Seq: 0}: true, {Stage: "30d", Seq: 1}: true})

		e.rotate("alpha", hours(4), hours(5))
		due = e.due(hours(5), 10)
		if len(due) != 1 {
			t.Fatalf("due after the rotation = %v, want alpha", cycleIDs(due))
		}
		equal(t, "sent of the new cycle", len(due[0].Sent), 0)
		equalTime(t, "ack of the new cycle", due[0].AckAt, time.Time{})
		equal(t, "acked by in the new cycle", due[0].AckBy, "")
		equalTime(t, "start of the new cycle", due[0].Start, hours(4))
	})

	t.Run("OpenCycles returns every active cycle by id, due or not, with its deliveries' keys", func(t *testing.T) {
		e := setup(t)
		e.enqueue("gamma", hours(1), pending("30d", 0, "slack", t0))
		cs := e.openCycles()
		equal(t, "open cycles", cycleIDs(cs), []string{"alpha", "beta", "delta", "gamma"})
		for _, c := range cs {
			want := map[schedule.Key]bool{}
			if c.ID == "gamma" {
				want[schedule.Key{Stage: "30d", Seq: 0}] = true
			}
			equal(t, c.ID+"'s sent", c.Sent, want)
			if !c.Active {
				t.Errorf("%s is not active", c.ID)
			}
		}
	})
}

func testRecordPlans(t *testing.T, open Opener) {
	t.Run("adds pending and skipped deliveries, a skipped one with its event, and the next actions", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"), cred("beta"))
		ca, cb := e.cycle("alpha"), e.cycle("beta")
		added, err := e.RecordPlans(e.ctx, []domain.Plan{
			planOf(ca, days(10), skipped("60d", 0, "slack", days(-30), "missed while down"), pending("30d", 0, "slack", t0)),
			planOf(cb, days(11), pending("30d", 0, "email", t0)),
		}, hours(1))
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			Cred     string
			Rotation int64
			Key      string
			Status   string
		}
		var got []row
		for _, d := range added {
			if d.ID == 0 {
				t.Errorf("added delivery %+v has no id", d)
			}
			got = append(got, row{d.CredentialID, d.RotationID, d.Stage + "/" + d.Channel, d.Status})
		}
		equal(t, "added", got, []row{
			{"alpha", ca.RotationID, "60d/slack", domain.StatusSkipped},
			{"alpha", ca.RotationID, "30d/slack", domain.StatusPending},
			{"beta", cb.RotationID, "30d/email", domain.StatusPending},
		})

		ds := e.deliveries("alpha")
		if len(ds) != 2 {
			t.Fatalf("alpha has %d deliveries, want 2", len(ds))
		}
		equal(t, "skipped row", deliveryText(ds[0]), `60d/0 slack skipped attempts=0 next=never sent=never error="missed while down"`)
		equal(t, "pending row", deliveryText(ds[1]), `30d/0 slack pending attempts=0 next=`+ts(hours(1))+` sent=never error=""`)
		equalTime(t, "skipped row's due", ds[0].Due, days(-30))
		equalTime(t, "pending row's due", ds[1].Due, t0)
		if len(added) == 3 {
			for i, d := range ds {
				equal(t, "added as stored", []any{added[i].ID, deliveryText(added[i])}, []any{d.ID, deliveryText(d)})
			}
		}

		evs := e.history(domain.HistoryFilter{Since: hours(1)})
		equal(t, "events", eventText(evs), []string{"reminder/skipped alpha @" + ts(hours(1))})
		if len(evs) == 1 {
			ev := evs[0]
			equal(t, "skipped event", []any{ev.DeliveryID, ev.RotationID, ev.Stage, ev.Channel}, []any{ds[0].ID, ca.RotationID, "60d", "slack"})
		}
		equalTime(t, "alpha's next action", e.cycle("alpha").NextAction, days(10))
		equalTime(t, "beta's next action", e.cycle("beta").NextAction, days(11))
	})

	t.Run("recording the same plan twice, from another handle, adds nothing", func(t *testing.T) {
		e := newEnv(t, open)
		other := e.handle()
		e.sync(file, t0, cred("alpha"))
		read := e.cycle("alpha")
		plan := planOf(read, days(10), skipped("60d", 0, "slack", days(-30), "missed"), pending("30d", 0, "slack", t0))
		e.record(read, hours(1), days(10), plan.Deliveries...)
		rows := e.deliveries("alpha")
		events := e.history(domain.HistoryFilter{})

		added, err := other.RecordPlans(e.ctx, []domain.Plan{plan}, hours(1))
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "added the second time", deliveryIDs(added), nil)
		equal(t, "deliveries", deliveryIDs(e.deliveries("alpha")), deliveryIDs(rows))
		equal(t, "events", eventText(e.history(domain.HistoryFilter{})), eventText(events))
		equalTime(t, "next action", e.cycle("alpha").NextAction, days(10))
	})

	t.Run("a new pending delivery supersedes the cycle's older pending one on the same channel only", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"), cred("beta"))
		old := e.enqueue("alpha", hours(1), pending("30d", 0, "slack", t0), pending("30d", 0, "email", t0))
		other := e.enqueue("beta", hours(1), pending("30d", 0, "slack", t0))[0]
		newer := e.enqueue("alpha", hours(2), pending("7d", 0, "slack", days(23)))[0]
		e.enqueue("alpha", hours(3), skipped("14d", 0, "slack", days(16), "acknowledged"))

		for id, want := range map[int64]string{
			old[0].ID: domain.StatusSuperseded,
			old[1].ID: domain.StatusPending,
			other.ID:  domain.StatusPending,
			newer.ID:  domain.StatusPending,
		} {
			equal(t, "status of delivery "+e.delivery(id).Stage+"/"+e.delivery(id).CredentialID+"/"+e.delivery(id).Channel, e.delivery(id).Status, want)
		}
		equalTime(t, "superseded row's next attempt", e.delivery(old[0].ID).NextAttemptAt, time.Time{})
		evs := e.history(domain.HistoryFilter{Since: hours(2), Until: hours(3)})
		equal(t, "events", eventText(evs), []string{"reminder/superseded alpha @" + ts(hours(2))})
		if len(evs) == 1 {
			equal(t, "superseded event's delivery", evs[0].DeliveryID, old[0].ID)
		}
	})

	t.Run("the next action is written only when PlannedFrom is the one stored", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"))
		read := e.cycle("alpha")
		e.record(read, hours(1), days(20))
		equalTime(t, "next action from a current read", e.cycle("alpha").NextAction, days(20))

		e.record(read, hours(2), days(15)) // read before the first plan: stale
		equalTime(t, "next action after a stale plan", e.cycle("alpha").NextAction, days(20))

		e.settle("alpha", hours(3), time.Time{})
		e.record(e.cycle("alpha"), hours(4), days(30)) // planned from never
		equalTime(t, "next action planned from never", e.cycle("alpha").NextAction, days(30))
	})

	t.Run("a change between reading a cycle and recording its plan wins", func(t *testing.T) {
		na := days(10) // when the cycle is due and read
		cases := []struct {
			name   string
			when   time.Time
			change func(e *env, when time.Time)
		}{
			{"an acknowledgment the second the cycle fell due", na, func(e *env, when time.Time) { e.ack("alpha", when, "alice") }},
			{"an acknowledgment an hour later", na.Add(time.Hour), func(e *env, when time.Time) { e.ack("alpha", when, "alice") }},
			{"a changed policy fingerprint", na.Add(time.Hour), func(e *env, when time.Time) {
				if _, err := e.SyncSettings(e.ctx, map[string]string{"policy:default": "fp-2"}, when); err != nil {
					e.t.Fatal(err)
				}
			}},
			{"a changed rotation period in the config", na.Add(time.Hour), func(e *env, when time.Time) {
				e.sync(file, when, with(cred("alpha"), func(c *domain.Credential) { c.RotationPeriod = schedule.MustSpan("90d") }))
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := newEnv(t, open)
				e.sync(file, t0, cred("alpha"))
				if _, err := e.SyncSettings(e.ctx, map[string]string{"policy:default": "fp-1"}, t0); err != nil {
					t.Fatal(err)
				}
				e.settle("alpha", t0, na)
				read := e.due(na, 10)
				if len(read) != 1 {
					t.Fatalf("due at %s: %v, want alpha", ts(na), cycleIDs(read))
				}

				tc.change(e, tc.when)
				if _, err := e.RecordPlans(e.ctx, []domain.Plan{planOf(read[0], days(40))}, tc.when); err != nil {
					t.Fatal(err)
				}
				dueBy(t, "cycle after the stale plan", e.cycle("alpha"), tc.when)
				equal(t, "due", e.dueIDs(tc.when), []string{"alpha"})
			})
		}
	})

	t.Run("a plan for a cycle rotated meanwhile is dropped whole", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"))
		read := e.cycle("alpha")
		e.rotate("alpha", hours(5), hours(6))
		added, err := e.RecordPlans(e.ctx, []domain.Plan{planOf(read, days(40),
			skipped("60d", 0, "slack", days(-30), "missed"), pending("30d", 0, "slack", t0))}, hours(6))
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "added", deliveryIDs(added), nil)
		equal(t, "deliveries", deliveryIDs(e.deliveries("alpha")), nil)
		equal(t, "reminder events", eventText(e.history(domain.HistoryFilter{Type: domain.EventReminder})), nil)
		dueBy(t, "the new cycle", e.cycle("alpha"), hours(6))
	})

	t.Run("a plan for a credential retired meanwhile is dropped whole", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"), cred("beta"))
		read := e.cycle("alpha")
		e.sync(file, hours(1), cred("beta"))
		added, err := e.RecordPlans(e.ctx, []domain.Plan{planOf(read, days(40), pending("30d", 0, "slack", t0))}, hours(2))
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "added", deliveryIDs(added), nil)
		equal(t, "deliveries", deliveryIDs(e.deliveries("alpha")), nil)
		equalTime(t, "next action", e.cycle("alpha").NextAction, time.Time{})
	})

	t.Run("a zero next action stores never until something changes", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"))
		e.settle("alpha", hours(1), time.Time{})
		equalTime(t, "next action", e.cycle("alpha").NextAction, time.Time{})
		equal(t, "due far ahead", e.dueIDs(days(1000)), nil)
		equal(t, "open cycles", cycleIDs(e.openCycles()), []string{"alpha"})

		e.ack("alpha", days(5), "alice")
		equal(t, "due after an acknowledgment", e.dueIDs(days(5)), []string{"alpha"})
	})
}
