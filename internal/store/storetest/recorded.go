package storetest

import (
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/chain"
	"github.com/notifier-dev/notifier/internal/domain"
)

// testRecorded: every record keeps when it happened (the time the caller
// gives, in the suite's 2026 dates) and when the store recorded it: the
// store's wall clock (here the real one, time.Now, which the suite's
// dates are not), never the now or --at a call passes. The wall clock is
// only bracketed, between a reading before the calls and one after.
func testRecorded(t *testing.T, open Opener) {
	e := newEnv(t, open)
	before := time.Now().UTC().Truncate(time.Second)
	e.sync(file, t0, cred("alpha"), cred("beta"))
	d := e.enqueue("alpha", hours(1), pending("30d", 0, "slack", t0), skipped("30d", 0, "email", t0, "missed"))
	claim(t, e.Store, "w1", "slack", hours(1), hours(2), 10)
	e.outcomes(e.Store, "w1", outcome(d[0], domain.StatusSent, 1, hours(1)))
	e.ack("alpha", hours(2), "alice")
	e.rotate("beta", days(2), days(7)) // entered five days after the fact
	after := time.Now().UTC()
	wall := func(what string, got time.Time) {
		t.Helper()
		if got.Before(before) || got.After(after) {
			t.Errorf("%s recorded at %s, want the wall clock, between %s and %s", what, ts(got), ts(before), ts(after))
		}
	}

	evs := e.history(domain.HistoryFilter{})
	equal(t, "events", len(evs) > 6, true)
	for _, ev := range evs {
		wall("event "+ev.Type+" "+ev.Status+" at "+ts(ev.Time), ev.RecordedAt)
	}
	for _, ev := range evs {
		switch {
		case ev.Type == domain.EventRotation && ev.CredentialID == "beta" && ev.Status == "cli":
			equalTime(t, "the back-dated rotation's event time", ev.Time, days(2))
		case ev.Type == domain.EventAck:
			equalTime(t, "the acknowledgment's event time", ev.Time, hours(2))
		case ev.Type == domain.EventReminder && ev.Status == domain.StatusSent:
			equalTime(t, "the sent reminder's event time", ev.Time, hours(1))
		}
	}
	for _, x := range e.deliveries("alpha") {
		wall("delivery "+x.Channel+" "+x.Status, x.RecordedAt)
		// created_at is a record time too; due_at stays the moment the
		// tick acted at.
		wall("delivery "+x.Channel+" "+x.Status+" created", x.CreatedAt)
		equalTime(t, "delivery "+x.Channel+" due", x.Due, t0)
	}
	var acks, rotations int
	for _, c := range e.report(domain.ReportFilter{}) {
		wall("rotation of "+c.ID+" at "+ts(c.Start), c.StartRecorded)
		rotations++
		if c.Closed != nil {
			wall("closing rotation of "+c.ID, c.Closed.RecordedAt)
			equalTime(t, "the closing rotation's time", c.Closed.RotatedAt, days(2))
		}
		for _, a := range c.Acks {
			wall("acknowledgment of "+c.ID, a.Recorded)
			equalTime(t, "the acknowledgment's time", a.Time, hours(2))
			acks++
		}
	}
	equal(t, "cycles in the report", rotations, 3)
	equal(t, "acknowledgments in the report", acks, 1)
	rep := e.verify(chain.Options{})
	e.intact(rep)
	equal(t, "the chain's first version 2 row", rep.RecordedFrom, rep.Start)
}

// createdNow checks that each delivery's created_at is a record time: the
// store's wall clock (between before and now), not the moment the call
// acted at (the suite's 2026 dates).
func createdNow(t *testing.T, what string, ds []domain.Delivery, before time.Time) {
	t.Helper()
	after := time.Now().UTC()
	for _, d := range ds {
		if d.CreatedAt.Before(before) || d.CreatedAt.After(after) {
			t.Errorf("%s %s/%s created at %s, want the wall clock, between %s and %s", what, d.Stage, d.Channel, ts(d.CreatedAt), ts(before), ts(after))
		}
	}
}
