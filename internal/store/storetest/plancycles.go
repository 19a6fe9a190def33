package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// testPlanCycles: what a streamed `notifier plan` reads, in the order of
// the next action (then id), cut at the horizon, in batches, filtered.
func testPlanCycles(t *testing.T, open Opener) {
	// read is every cycle PlanCycles hands over, and each batch's size.
	read := func(t *testing.T, e *env, f domain.CredentialFilter, until time.Time) ([]domain.Cycle, []int) {
		t.Helper()
		var all []domain.Cycle
		var sizes []int
		if err := e.PlanCycles(e.ctx, f, until, func(cs []domain.Cycle) error {
			all = append(all, cs...)
			sizes = append(sizes, len(cs))
			return nil
		}); err != nil {
			t.Fatalf("PlanCycles: %v", err)
		}
		return all, sizes
	}
	// setup: alpha next due at day 3, beta at day 1, gamma at day 2 (on
	// policy urgent), delta never, epsilon inactive, app-zeta at day 1.
	setup := func(t *testing.T) *env {
		e := newEnv(t, open)
		all := []domain.Credential{cred("alpha"), cred("beta"), with(cred("gamma"), func(c *domain.Credential) { c.Policy = "urgent"; c.Owner = "team-beta" }),
			cred("delta"), cred("epsilon"), cred("app-zeta")}
		e.sync(file, t0, all...)
		e.sync(file, t0, append(all[:4:4], all[5])...)
		e.settle("alpha", t0, days(3))
		e.settle("beta", t0, days(1))
		e.settle("gamma", t0, days(2))
		e.settle("delta", t0, time.Time{})
		e.settle("app-zeta", t0, days(1))
		return e
	}

	t.Run("in the order of the next action, then id, up to the horizon inclusive; never-due and inactive cycles are not read", func(t *testing.T) {
		e := setup(t)
		for _, tc := range []struct {
			until time.Time
			want  []string
		}{
			{days(1000), []string{"app-zeta", "beta", "gamma", "alpha"}},
			{days(2), []string{"app-zeta", "beta", "gamma"}},
			{days(2).Add(-time.Second), []string{"app-zeta", "beta"}},
			{days(1).Add(-time.Second), nil},
		} {
			got, _ := read(t, e, domain.CredentialFilter{}, tc.until)
			equal(t, "until "+ts(tc.until), cycleIDs(got), tc.want)
		}
	})

	t.Run("owner, policy and the credential glob's prefix cut the query", func(t *testing.T) {
		e := setup(t)
		for _, tc := range []struct {
			f    domain.CredentialFilter
			want []string
		}{
			{domain.CredentialFilter{Owner: "team-beta"}, []string{"beta", "gamma"}},
			{domain.CredentialFilter{Policy: "urgent"}, []string{"gamma"}},
			{domain.CredentialFilter{Policy: "default", Owner: "team-beta"}, []string{"beta"}},
			{domain.CredentialFilter{Credential: "app-*"}, []string{"app-zeta"}},
			{domain.CredentialFilter{Owner: "nobody"}, nil},
		} {
			got, _ := read(t, e, tc.f, days(1000))
			equal(t, fmt.Sprintf("filter %+v", tc.f), cycleIDs(got), tc.want)
		}
	})

	t.Run("each batch carries its cycles' deliveries and first acknowledgment", func(t *testing.T) {
		e := setup(t)
		e.enqueue("gamma", hours(1), pending("30d", 0, "slack", t0))
		e.settle("gamma", hours(1), days(2))
		e.ack("beta", hours(2), "bob")
		e.settle("beta", hours(2), days(1))
		got, _ := read(t, e, domain.CredentialFilter{}, days(1000))
		for _, c := range got {
			want := map[schedule.Key]bool{}
			if c.ID == "gamma" {
				want[schedule.Key{Stage: "30d", Seq: 0}] = true
			}
			equal(t, c.ID+"'s sent", c.Sent, want)
			if by := map[bool]string{true: "bob"}[c.ID == "beta"]; c.AckBy != by {
				t.Errorf("%s acknowledged by %q, want %q", c.ID, c.AckBy, by)
			}
		}
	})

	t.Run("batches of a fleet sharing one next action: every cycle once, by id", func(t *testing.T) {
		e := newEnv(t, open)
		const n = 2345
		creds := make([]domain.Credential, n)
		want := make([]string, n)
		for i := range creds {
			creds[i] = cred(fmt.Sprintf("c%05d", i))
			want[i] = creds[i].ID
		}
		e.sync(file, t0, creds...)
		got, sizes := read(t, e, domain.CredentialFilter{}, days(1))
		equal(t, "cycles read", cycleIDs(got), want)
		equal(t, "batch sizes", sizes, []int{1000, 1000, 345})
	})
}
