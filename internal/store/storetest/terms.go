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
