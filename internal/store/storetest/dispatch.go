package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

func testClaimDeliveries(t *testing.T, open Opener) {
	t.Run("claims only due pending deliveries of the asked channel", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"), cred("beta"), cred("gamma"), cred("delta"))
		a := e.enqueue("alpha", hours(1), pending("30d", 0, "slack", t0))[0]
		b := e.enqueue("beta", hours(1), pending("30d", 0, "email", t0))[0]
		c := e.enqueue("gamma", hours(3), pending("30d", 0, "slack", t0))[0] // due at 3h
		e.enqueue("delta", hours(1), skipped("30d", 0, "slack", t0, "missed"))

		until := hours(4) // w1 still holds alpha's at 3h
		got := claim(t, e.Store, "w1", "slack", hours(2), until, 10)
		equal(t, "slack at 2h", claimedIDs(got), []int64{a.ID})
		if len(got) == 1 {
			d := got[0]
			equal(t, "claimed", []any{d.RotationID, d.CredentialID, d.Stage, d.Seq, d.Channel, d.Status, d.Attempts},
				[]any{a.RotationID, "alpha", "30d", 0, "slack", domain.StatusPending, 0})
			equalTime(t, "claimed due", d.Due, t0)
		}
		equal(t, "email at 2h", claimedIDs(claim(t, e.Store, "w1", "email", hours(2), until, 10)), []int64{b.ID})
		equal(t, "slack at 3h", claimedIDs(claim(t, e.Store, "w2", "slack", hours(3), hours(3).Add(5*time.Minute), 10)), []int64{c.ID})
		equal(t, "sns at 3h", claimedIDs(claim(t, e.Store, "w2", "sns", hours(3), hours(3).Add(5*time.Minute), 10)), nil)
	})

	t.Run("a claim carries the delivery's cycle with its first acknowledgment", func(t *testing.T) {
		e := newEnv(t, open)
		c := with(cred("alpha"), func(c *domain.Credential) { c.Owner = "payments"; c.Policy = "urgent" })
		e.sync(file, t0, c)
		d := e.enqueue("alpha", hours(1), pending("7d", 2, "slack", t0))[0]
		e.ack("alpha", hours(1).Add(30*time.Minute), "alice")

		got := claim(t, e.Store, "w1", "slack", hours(2), hours(3), 10)
		if len(got) != 1 {
			t.Fatalf("claimed %v, want delivery %d", claimedIDs(got), d.ID)
		}
		cy := got[0].Cycle
		c.File = file
		equal(t, "credential", credText(cy.Credential), credText(c))
		equal(t, "cycle", []any{cy.RotationID, cy.Source, cy.AckBy}, []any{d.RotationID, "config", "alice"})
		equalTime(t, "start", cy.Start, rotated)
		equalTime(t, "ack at", cy.AckAt, hours(1).Add(30*time.Minute))
		equal(t, "sent keys (not read for a claim)", cy.Sent == nil, true)
	})

	t.Run("a claimed delivery is claimed by nobody else until its claim expires", func(t *testing.T) {
		e := newEnv(t, open)
		other := e.handle()
		e.sync(file, t0, cred("alpha"))
		d := e.enqueue("alpha", hours(1), pending("30d", 0, "slack", t0))[0]
		until := hours(1).Add(5 * time.Minute)
		equal(t, "w1 claims", claimedIDs(claim(t, e.Store, "w1", "slack", hours(1), until, 10)), []int64{d.ID})

		for _, tc := range []struct {
			who  string
			s    Store
			now  time.Time
			want []int64
		}{
			{"w2", other, hours(1), nil},
			{"w2", other, until.Add(-time.Second), nil},
			{"w1", e.Store, until.Add(-time.Second), nil}, // its own claim is not handed out twice
			{"w2", other, until, []int64{d.ID}},           // expired at its expiry
			{"w1", e.Store, until.Add(time.Second), nil},  // now w2's
		} {
			got := claim(t, tc.s, tc.who, "slack", tc.now, tc.now.Add(10*time.Minute), 10)
			equal(t, tc.who+" at "+ts(tc.now), claimedIDs(got), tc.want)
		}
	})

	t.Run("claims up to the limit, earliest next attempt first", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"), cred("beta"), cred("gamma"))
		a := e.enqueue("alpha", hours(1), pending("30d", 0, "slack", t0))[0]
		b := e.enqueue("beta", hours(2), pending("30d", 0, "slack", t0))[0]
		c := e.enqueue("gamma", hours(3), pending("30d", 0, "slack", t0))[0]
		// alpha fails once and is retried at 5h: now the last in line.
		equal(t, "first claim", claimedIDs(claim(t, e.Store, "w1", "slack", hours(1), hours(2), 1)), []int64{a.ID})
		retry := outcome(a, domain.StatusRetry, 1, hours(1))
		retry.NextAttemptAt = hours(5)
		e.outcomes(e.Store, "w1", retry)

		equal(t, "limit 2 at 6h", claimedIDs(claim(t, e.Store, "w1", "slack", hours(6), hours(7), 2)), []int64{b.ID, c.ID})
		equal(t, "then", claimedIDs(claim(t, e.Store, "w1", "slack", hours(6), hours(7), 2)), []int64{a.ID})
	})

	t.Run("two handles claiming at once never share a delivery and together claim them all", func(t *testing.T) {
		e := newEnv(t, open)
		stores := []Store{e.Store, e.handle()}
		const n = 40
		var creds []domain.Credential
		for i := range n {
			creds = append(creds, cred(fmt.Sprintf("cred-%02d", i)))
		}
		e.sync(file, t0, creds...)

		for round := range 3 {
			now := hours(1 + round)
			var plans []domain.Plan
			for _, c := range e.openCycles() {
				plans = append(plans, planOf(c, c.NextAction, pending(fmt.Sprintf("stage-%d", round), 0, "slack", now)))
			}
			added, err := e.RecordPlans(e.ctx, plans, now)
			if err != nil {
				t.Fatal(err)
			}
			if len(added) != n {
				t.Fatalf("round %d: %d deliveries added, want %d", round, len(added), n)
			}

			var mu sync.Mutex
			claimedBy := map[int64]string{}
			var wg sync.WaitGroup
			for i, s := range stores {
				claimant := fmt.Sprintf("worker-%d", i)
				wg.Go(func() {
					for {
						got, err := s.ClaimDeliveries(e.ctx, claimant, "slack", now, now.Add(time.Hour), 3)
						if err != nil {
							t.Errorf("%s: ClaimDeliveries: %v", claimant, err)
							return
						}
						if len(got) == 0 {
							return
						}
						var outs []domain.Outcome
						mu.Lock()
						for _, c := range got {
							if prev, ok := claimedBy[c.ID]; ok {
								t.Errorf("round %d: delivery %d claimed by %s and %s", round, c.ID, prev, claimant)
							}
							claimedBy[c.ID] = claimant
							outs = append(outs, outcome(c.Delivery, domain.StatusSent, 1, now))
						}
						mu.Unlock()
						if err := s.RecordOutcomes(e.ctx, claimant, outs); err != nil {
							t.Errorf("%s: RecordOutcomes: %v", claimant, err)
							return
						}
					}
				})
			}
			wg.Wait()
			var got []int64
			for id := range claimedBy {
				got = append(got, id)
			}
			equal(t, fmt.Sprintf("round %d: claimed", round), sortedIDs(got...), sortedIDs(deliveryIDs(added)...))
			for _, d := range e.deliveries("") {
				if d.Stage == fmt.Sprintf("stage-%d", round) && d.Status != domain.StatusSent {
					t.Errorf("round %d: delivery %d is %s, want sent", round, d.ID, d.Status)
				}
			}
		}
	})
}

// lostClaim ends the detail of an outcome whose claim was lost.
const lostClaim = " (its claim had been lost: the delivery was superseded or taken over meanwhile)"

func testRecordOutcomes(t *testing.T, open Opener) {
	claimedAt := hours(2)
	until := claimedAt.Add(10 * time.Minute)
	// setup: alpha's delivery planned at 1h and claimed by w1 at 2h.
	setup := func(t *testing.T) (*env, Store, domain.Delivery) {
		e := newEnv(t, open)
		other := e.handle()
		e.sync(file, t0, cred("alpha"))
		d := e.enqueue("alpha", hours(1), pending("30d", 0, "slack", t0))[0]
		if got := claim(t, e.Store, "w1", "slack", claimedAt, until, 10); len(got) != 1 {
			t.Fatalf("w1 claimed %v, want delivery %d", claimedIDs(got), d.ID)
		}
		return e, other, d
	}

	sentAt := claimedAt.Add(time.Minute)
	cases := []struct {
		name      string
		outcome   func(domain.Delivery) domain.Outcome
		row       string
		claimable map[time.Time]bool // by another claimant, at
	}{
		{"sent", func(d domain.Delivery) domain.Outcome { return outcome(d, domain.StatusSent, 1, sentAt) },
			`30d/0 slack sent attempts=1 next=never sent=` + ts(sentAt) + ` error=""`,
			map[time.Time]bool{days(1): false}},
		{"retry", func(d domain.Delivery) domain.Outcome {
			o := outcome(d, domain.StatusRetry, 1, sentAt)
			o.NextAttemptAt, o.Error = claimedAt.Add(5*time.Minute), "HTTP 503"
			return o
		},
			`30d/0 slack pending attempts=1 next=` + ts(claimedAt.Add(5*time.Minute)) + ` sent=never error="HTTP 503"`,
			map[time.Time]bool{claimedAt.Add(4 * time.Minute): false, claimedAt.Add(5 * time.Minute): true}},
		{"failed", func(d domain.Delivery) domain.Outcome {
			o := outcome(d, domain.StatusFailed, 3, sentAt)
			o.Error = "HTTP 404: channel_not_found"
			return o
		},
			`30d/0 slack failed attempts=3 next=never sent=never error="HTTP 404: channel_not_found"`,
			map[time.Time]bool{days(1): false}},
		{"released", func(d domain.Delivery) domain.Outcome { return outcome(d, domain.StatusReleased, 0, sentAt) },
			`30d/0 slack pending attempts=0 next=` + ts(hours(1)) + ` sent=never error=""`,
			map[time.Time]bool{sentAt: true}}, // at once, long before w1's claim would expire
	}
	for _, tc := range cases {
		t.Run(tc.name+" is recorded on the row and in the history", func(t *testing.T) {
			e, other, d := setup(t)
			o := tc.outcome(d)
			e.outcomes(e.Store, "w1", o)
			equal(t, "row", deliveryText(e.delivery(d.ID)), tc.row)
			evs := e.history(domain.HistoryFilter{Type: domain.EventReminder})
			equal(t, "events", len(evs), 1)
			if len(evs) == 1 {
				ev := evs[0]
				equal(t, "event", []any{ev.DeliveryID, ev.RotationID, ev.Stage, ev.Channel, ev.Status, ev.Detail},
					[]any{d.ID, d.RotationID, "30d", "slack", o.Status, o.Event.Detail})
				equalTime(t, "event time", ev.Time, sentAt)
			}
			for at, want := range tc.claimable {
				got := len(claim(t, other, "w2", "slack", at, at.Add(time.Minute), 10)) == 1
				equal(t, "claimable by w2 at "+ts(at), got, want)
			}
		})
	}

	t.Run("an outcome of a claim lost to another claimant after its expiry leaves the row but is in the history", func(t *testing.T) {
		e, other, d := setup(t)
		if got := claim(t, other, "w2", "slack", until, until.Add(10*time.Minute), 10); len(got) != 1 {
			t.Fatalf("w2 claimed %v after w1's claim expired, want delivery %d", claimedIDs(got), d.ID)
		}
		e.outcomes(e.Store, "w1", outcome(d, domain.StatusSent, 1, until.Add(time.Minute)))
		equal(t, "row after w1's late outcome", deliveryText(e.delivery(d.ID)), `30d/0 slack pending attempts=0 next=`+ts(hours(1))+` sent=never error=""`)
		equal(t, "claimable by w3 while w2 holds it", claimedIDs(claim(t, e.Store, "w3", "slack", until.Add(2*time.Minute), until.Add(time.Hour), 10)), nil)
		evs := e.history(domain.HistoryFilter{Type: domain.EventReminder})
		equal(t, "events", eventText(evs), []string{"reminder/sent alpha @" + ts(until.Add(time.Minute))})
		if len(evs) == 1 && (evs[0].DeliveryID != d.ID || !strings.HasPrefix(evs[0].Detail, "sent via slack") || !strings.HasSuffix(evs[0].Detail, lostClaim)) {
			t.Errorf("w1's event = %+v, want delivery %d and its detail, saying its claim was lost", evs[0], d.ID)
		}

		e.outcomes(other, "w2", outcome(d, domain.StatusSent, 1, until.Add(3*time.Minute)))
		equal(t, "row after w2's outcome", deliveryText(e.delivery(d.ID)), `30d/0 slack sent attempts=1 next=never sent=`+ts(until.Add(3*time.Minute))+` error=""`)
	})

	t.Run("an outcome of a delivery superseded by a rotation leaves the row but is in the history", func(t *testing.T) {
		e, _, d := setup(t)
		e.rotate("alpha", claimedAt.Add(30*time.Second), sentAt)
		e.outcomes(e.Store, "w1", outcome(d, domain.StatusSent, 1, sentAt))
		got := e.delivery(d.ID)
		equal(t, "row", []any{got.Status, got.Attempts, ts(got.SentAt)}, []any{domain.StatusSuperseded, 0, "never"})
		evs := eventsOf(e.history(domain.HistoryFilter{Type: domain.EventReminder}), ofType(domain.EventReminder, domain.StatusSent))
		if len(evs) != 1 || evs[0].DeliveryID != d.ID || !strings.HasSuffix(evs[0].Detail, lostClaim) {
			t.Errorf("sent events = %v, want w1's for delivery %d, saying its claim was lost", evs, d.ID)
		}
	})

	t.Run("a batch is recorded whole or, with an unknown status, not at all", func(t *testing.T) {
		e, other, d := setup(t)
		e2 := e.enqueue("alpha", hours(1), pending("30d", 0, "email", t0))[0]
		if got := claim(t, e.Store, "w1", "email", claimedAt, until, 10); len(got) != 1 {
			t.Fatalf("w1 claimed %v, want delivery %d", claimedIDs(got), e2.ID)
		}
		bad := outcome(e2, "exploded", 1, sentAt)
		if err := e.RecordOutcomes(e.ctx, "w1", []domain.Outcome{outcome(d, domain.StatusSent, 1, sentAt), bad}); err == nil {
			t.Fatal("RecordOutcomes accepted the status \"exploded\"")
		}
		equal(t, "slack row after the refused batch", e.delivery(d.ID).Status, domain.StatusPending)
		equal(t, "events after the refused batch", eventText(e.history(domain.HistoryFilter{Type: domain.EventReminder})), nil)
		equal(t, "claimable by w2 after the refused batch", claimedIDs(claim(t, other, "w2", "slack", sentAt, until, 10)), nil)

		e.outcomes(e.Store, "w1", outcome(d, domain.StatusSent, 1, sentAt), outcome(e2, domain.StatusSent, 1, sentAt))
		equal(t, "rows", []string{e.delivery(d.ID).Status, e.delivery(e2.ID).Status}, []string{domain.StatusSent, domain.StatusSent})
		equal(t, "events", len(e.history(domain.HistoryFilter{Type: domain.EventReminder})), 2)
	})
}

func testDueChannels(t *testing.T, open Opener) {
	t.Run("lists the channels with pending deliveries due, each once, sorted", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"), cred("beta"))
		e.enqueue("alpha", hours(1), pending("30d", 0, "slack", t0), pending("30d", 0, "email", t0), skipped("60d", 0, "webhook", t0, "missed"))
		e.enqueue("beta", hours(1), pending("30d", 0, "slack", t0))
		sns := e.enqueue("beta", hours(1), pending("30d", 0, "sns", t0))[0]
		hook := e.enqueue("beta", hours(1), pending("30d", 0, "webhook", t0))[0]
		e.enqueue("beta", hours(5), pending("30d", 0, "stdout", t0)) // due at 5h

		claim(t, e.Store, "w1", "sns", hours(2), hours(3), 10)
		retry := outcome(sns, domain.StatusRetry, 1, hours(2))
		retry.NextAttemptAt = hours(4)
		e.outcomes(e.Store, "w1", retry)
		claim(t, e.Store, "w1", "webhook", hours(2), hours(3), 10)
		e.outcomes(e.Store, "w1", outcome(hook, domain.StatusSent, 1, hours(2)))

		for _, tc := range []struct {
			now  time.Time
			want []string
		}{
			{t0, nil},
			{hours(3), []string{"email", "slack"}},
			{hours(4), []string{"email", "slack", "sns"}},
			{hours(5), []string{"email", "slack", "sns", "stdout"}},
		} {
			got, err := e.DueChannels(e.ctx, tc.now)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "due channels at "+ts(tc.now), got, tc.want)
		}
	})
}
