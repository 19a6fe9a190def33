package storetest

import (
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// testCycleTerms: a cycle keeps the terms it started with; a config
// change moves the open cycle's deadline and policy as an event with the
// old and new values, and never a closed cycle's.
func testCycleTerms(t *testing.T, open Opener) {
	e := newEnv(t, open)
	e.sync(file, t0, cred("alpha"))
	e.rotate("alpha", days(10), days(10))
	period := e.head() // the history of the period that ends at day 11
	changed := with(cred("alpha"), func(c *domain.Credential) {
		c.RotationPeriod, c.Policy = schedule.MustSpan("90d"), "urgent"
	})
	e.sync(file, days(11), changed)

	cycles := e.report(domain.ReportFilter{CredentialID: "alpha"})
	if len(cycles) != 2 {
		t.Fatalf("cycles %v, want 2", reportText(cycles))
	}
	equalTime(t, "the closed cycle's deadline, as it started", cycles[0].Deadline, rotated.AddDate(0, 0, 180))
	equal(t, "the closed cycle's verdict", cycles[0].Verdict(days(11), time.UTC).Outcome, domain.OutcomeOnTime)
	equalTime(t, "the open cycle's deadline, moved", cycles[1].Deadline, days(100))

	cy := e.cycle("alpha")
	equalTime(t, "the open cycle's deadline for planning", cy.Deadline(time.UTC), days(100))
	equal(t, "the open cycle's policy", cy.Policy, "urgent")

	events := e.history(domain.HistoryFilter{CredentialID: "alpha", Type: domain.EventDeadline})
	want := "deadline " + ts(days(190)) + " → " + ts(days(100)) + ", policy default → urgent, rotation_period 180d → 90d (config)"
	if len(events) != 1 || events[0].Detail != want || events[0].Status != "config" || events[0].RotationID != cy.RotationID {
		t.Errorf("deadline events %+v; want one of rotation %d: %q", events, cy.RotationID, want)
	}

	// A report of the period until day 11 cites the head at its end:
	// the change recorded at day 11 is not in it.
	before, err := e.ChainHeadBefore(e.ctx, days(11))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "chain head before day 11", before, period)
	if now := e.head(); now.ID <= period.ID {
		t.Errorf("chain head %d after the change, want after %d", now.ID, period.ID)
	}

	// Synced again unchanged: no new terms, no event.
	e.sync(file, days(12), changed)
	equal(t, "deadline events after an unchanged sync",
		len(e.history(domain.HistoryFilter{CredentialID: "alpha", Type: domain.EventDeadline})), 1)
}

// testAmazonTerms: a deadline Amazon states for the open cycle is a
// change of its terms (source amazon, with an event naming the
// notification), which the cycle, status and the report all read; a
// config sync afterwards does not move it back; a closed cycle's terms
// never change.
func testAmazonTerms(t *testing.T, open Opener) {
	deadlineEvents := func(e *env, id string) []domain.Event {
		return e.history(domain.HistoryFilter{CredentialID: id, Type: domain.EventDeadline})
	}
	stateOf := func(e *env, id string) domain.CredentialState {
		sts, err := e.States(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range sts {
			if st.ID == id {
				return st
			}
		}
		t.Fatalf("no state of %s", id)
		return domain.CredentialState{}
	}

	t.Run("a stated deadline moves the open cycle's terms, with an event; the cycle, status and the report agree", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, spAPI("alpha", clientA))
		e.settle("alpha", hours(1), days(20))
		rotation := e.cycle("alpha").RotationID

		e.notice(expiryNotice("n-1", clientA, hours(2), days(10)), hours(3))
		evs := deadlineEvents(e, "alpha")
		want := "deadline " + ts(rotated.AddDate(0, 0, 180)) + " → " + ts(days(10)) + " (amazon, notification n-1)"
		if len(evs) != 1 || evs[0].Detail != want || evs[0].Status != "amazon" || evs[0].RotationID != rotation || !evs[0].Time.Equal(hours(3)) {
			t.Fatalf("deadline events %+v; want one of rotation %d at %s: %q", evs, rotation, ts(hours(3)), want)
		}
		cy := e.cycle("alpha")
		equalTime(t, "the cycle's terms deadline", cy.TermsDeadline, days(10))
		equalTime(t, "the cycle's deadline", cy.Deadline(time.UTC), days(10))
		equalTime(t, "status's deadline", stateOf(e, "alpha").Deadline(time.UTC), days(10))
		cycles := e.report(domain.ReportFilter{CredentialID: "alpha"})
		if len(cycles) != 1 {
			t.Fatalf("cycles %v, want 1", reportText(cycles))
		}
		equalTime(t, "the report's deadline", cycles[0].Deadline, days(10))

		// The same deadline stated again is no change of terms.
		e.notice(expiryNotice("n-2", clientA, hours(4), days(10)), hours(5))
		equal(t, "deadline events after the same statement", len(deadlineEvents(e, "alpha")), 1)

		// A config sync, unchanged, does not move Amazon's deadline back;
		// a policy change keeps it too.
		e.sync(file, hours(6), spAPI("alpha", clientA))
		equal(t, "deadline events after an unchanged sync", len(deadlineEvents(e, "alpha")), 1)
		equalTime(t, "the deadline after an unchanged sync", e.cycle("alpha").Deadline(time.UTC), days(10))
		e.sync(file, hours(7), with(spAPI("alpha", clientA), func(c *domain.Credential) { c.Policy = "urgent" }))
		cy = e.cycle("alpha")
		equalTime(t, "the deadline after a policy change", cy.Deadline(time.UTC), days(10))
		equal(t, "the policy after a policy change", cy.Policy, "urgent")
		evs = deadlineEvents(e, "alpha")
		want = "deadline " + ts(days(10)) + " → " + ts(days(10)) + ", policy default → urgent (config)"
		if len(evs) != 2 || evs[1].Detail != want {
			t.Errorf("deadline events %v; want a second: %q", eventText(evs), want)
		}
		equalTime(t, "the report's deadline after the config change", e.report(domain.ReportFilter{CredentialID: "alpha"})[0].Deadline, days(10))

		// A later statement moves it again.
		e.notice(expiryNotice("n-3", clientA, hours(8), days(9)), hours(9))
		equalTime(t, "the report's deadline after a second statement", e.report(domain.ReportFilter{CredentialID: "alpha"})[0].Deadline, days(9))
		equalTime(t, "status's deadline after a second statement", stateOf(e, "alpha").Deadline(time.UTC), days(9))
	})

	t.Run("a closed cycle's terms never change: a statement about it is stale, a new secret's deadline is the new cycle's", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, spAPI("alpha", clientA))
		e.rotate("alpha", days(5), days(5))
		res := e.notice(expiryNotice("n-1", clientA, hours(2), days(8)), days(6))
		equal(t, "a statement older than the open cycle", res.Status, domain.NoticeStale)
		equal(t, "deadline events after a stale statement", len(deadlineEvents(e, "alpha")), 0)

		e.notice(newSecretNotice("n-2", clientA, days(7), days(100), days(14)), days(7))
		cycles := e.report(domain.ReportFilter{CredentialID: "alpha"})
		if len(cycles) != 3 {
			t.Fatalf("cycles %v, want 3", reportText(cycles))
		}
		equalTime(t, "the first closed cycle's deadline", cycles[0].Deadline, rotated.AddDate(0, 0, 180))
		equalTime(t, "the second closed cycle's deadline", cycles[1].Deadline, days(5).AddDate(0, 0, 180))
		equalTime(t, "the new cycle's deadline, as Amazon states", cycles[2].Deadline, days(100))
		evs := deadlineEvents(e, "alpha")
		if len(evs) != 1 || evs[0].RotationID != cycles[2].RotationID || evs[0].Status != "amazon" {
			t.Errorf("deadline events %+v; want one, of the new cycle %d", evs, cycles[2].RotationID)
		}
	})
}

// SeedStatedDeadlines gives s the history the backends' tests of the
// migration of Amazon's terms start from: alpha, an SP-API credential
// rotated 2026-01-01 (rotation 1), with a statement n-1 about that cycle,
// a rotation at 2026-06-01T01:00Z (rotation 2, open), then statements n-2
// and n-3 (deadline 2026-07-01) about the open cycle.
func SeedStatedDeadlines(t *testing.T, s Store) {
	t.Helper()
	e := &env{t: t, ctx: t.Context(), Store: s}
	e.sync(file, t0, spAPI("alpha", clientA))
	e.notice(expiryNotice("n-1", clientA, t0, days(10)), t0)
	e.rotate("alpha", hours(1), hours(1))
	e.notice(expiryNotice("n-2", clientA, hours(2), days(20)), hours(2))
	e.notice(expiryNotice("n-3", clientA, hours(3), days(30)), hours(3))
}
