package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// testPlanFleet: the whole fleet's read for a sorted `notifier plan`
// hands over the cycles PlanCycles does, with the same deliveries and
// acknowledgments, in any order, in batches.
func testPlanFleet(t *testing.T, open Opener) {
	read := func(t *testing.T, e *env, f domain.CredentialFilter, until time.Time, by func(fn func([]domain.Cycle) error) error) ([]domain.Cycle, []int) {
		t.Helper()
		var all []domain.Cycle
		var sizes []int
		if err := by(func(cs []domain.Cycle) error {
			all = append(all, cs...)
			sizes = append(sizes, len(cs))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(all, func(a, b domain.Cycle) int {
			return cmp.Or(a.NextAction.Compare(b.NextAction), cmp.Compare(a.ID, b.ID))
		})
		return all, sizes
	}
	fleet := func(e *env, f domain.CredentialFilter, until time.Time) func(func([]domain.Cycle) error) error {
		return func(fn func([]domain.Cycle) error) error { return e.PlanFleet(e.ctx, f, until, fn) }
	}
	cycles := func(e *env, f domain.CredentialFilter, until time.Time) func(func([]domain.Cycle) error) error {
		return func(fn func([]domain.Cycle) error) error { return e.PlanCycles(e.ctx, f, until, fn) }
	}

	t.Run("the cycles PlanCycles reads, each with its deliveries and acknowledgment, filtered and cut at the horizon", func(t *testing.T) {
		e := newEnv(t, open)
		all := []domain.Credential{cred("alpha"), cred("beta"), with(cred("gamma"), func(c *domain.Credential) { c.Policy = "urgent"; c.Owner = "team-beta" }),
			cred("delta"), cred("epsilon"), cred("app-zeta")}
		e.sync(file, t0, all...)
		e.sync(file, t0, append(all[:4:4], all[5])...)
		e.settle("alpha", t0, days(3))
		e.settle("beta", t0, days(1))
		e.settle("delta", t0, time.Time{})
		e.settle("app-zeta", t0, days(1))
		e.enqueue("gamma", hours(1), pending("30d", 0, "slack", t0))
		e.settle("gamma", hours(1), days(2))
		e.ack("beta", hours(2), "bob")
		e.settle("beta", hours(2), days(1))
		for _, tc := range []struct {
			f     domain.CredentialFilter
			until time.Time
			want  []string
		}{
			{domain.CredentialFilter{}, days(1000), []string{"app-zeta", "beta", "gamma", "alpha"}},
			{domain.CredentialFilter{}, days(2).Add(-time.Second), []string{"app-zeta", "beta"}},
			{domain.CredentialFilter{Owner: "team-beta"}, days(1000), []string{"beta", "gamma"}},
			{domain.CredentialFilter{Policy: "urgent"}, days(1000), []string{"gamma"}},
			{domain.CredentialFilter{Credential: "app-*"}, days(1000), []string{"app-zeta"}},
			{domain.CredentialFilter{Owner: "nobody"}, days(1000), nil},
		} {
			what := fmt.Sprintf("filter %+v until %s", tc.f, ts(tc.until))
			got, _ := read(t, e, tc.f, tc.until, fleet(e, tc.f, tc.until))
			want, _ := read(t, e, tc.f, tc.until, cycles(e, tc.f, tc.until))
			equal(t, what, cycleIDs(got), tc.want)
			equal(t, what+": as PlanCycles reads them", cycleIDs(want), tc.want)
			for i := range got {
				equal(t, got[i].ID+"'s sent", got[i].Sent, want[i].Sent)
				if got[i].AckBy != want[i].AckBy || !got[i].NextAction.Equal(want[i].NextAction) {
					t.Errorf("%s: acknowledged by %q, next action %s; PlanCycles: %q, %s", got[i].ID, got[i].AckBy, ts(got[i].NextAction), want[i].AckBy, ts(want[i].NextAction))
				}
			}
		}
	})

	t.Run("a fleet in batches: every cycle once", func(t *testing.T) {
		e := newEnv(t, open)
		const n = 2345
		creds := make([]domain.Credential, n)
		want := make([]string, n)
		for i := range creds {
			creds[i] = cred(fmt.Sprintf("c%05d", i))
			want[i] = creds[i].ID
		}
		e.sync(file, t0, creds...)
		got, sizes := read(t, e, domain.CredentialFilter{}, days(1), fleet(e, domain.CredentialFilter{}, days(1)))
		equal(t, "cycles read", cycleIDs(got), want)
		equal(t, "batch sizes", sizes, []int{1000, 1000, 345})
	})
}
