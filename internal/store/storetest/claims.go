package storetest

import (
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// testRenewClaims: a sender renews the claims it holds so that they can be
// short; a claim nobody renews expires as before, and a renewal never
// takes back a claim another claimant took over, nor keeps a delivery that
// was sent, released or superseded.
func testRenewClaims(t *testing.T, open Opener) {
	claimedAt := hours(2)
	until := claimedAt.Add(30 * time.Second)
	later := claimedAt.Add(90 * time.Second)
	// setup: alpha's and beta's deliveries claimed by w1 at 2h, for 30 s.
	setup := func(t *testing.T) (*env, Store, []domain.Delivery) {
		e := newEnv(t, open)
		other := e.handle()
		e.sync(file, t0, cred("alpha"), cred("beta"))
		ds := append(e.enqueue("alpha", hours(1), pending("30d", 0, "slack", t0)), e.enqueue("beta", hours(1), pending("30d", 0, "slack", t0))...)
		if got := claim(t, e.Store, "w1", "slack", claimedAt, until, 10); len(got) != 2 {
			t.Fatalf("w1 claimed %v, want deliveries %v", claimedIDs(got), deliveryIDs(ds))
		}
		return e, other, ds
	}
	renew := func(t *testing.T, s Store, claimant string, ids []int64, until time.Time) []int64 {
		t.Helper()
		got, err := s.RenewClaims(t.Context(), claimant, ids, until)
		if err != nil {
			t.Fatalf("RenewClaims(%s, %v): %v", claimant, ids, err)
		}
		return sortedIDs(got...)
	}

	t.Run("a renewed claim holds until its new expiry; one not renewed expires as claimed", func(t *testing.T) {
		e, other, ds := setup(t)
		a, b := ds[0], ds[1]
		equal(t, "renewed", renew(t, e.Store, "w1", []int64{a.ID}, later), []int64{a.ID})
		for _, tc := range []struct {
			at   time.Time
			want []int64
		}{
			{until.Add(-time.Second), nil},
			{until, []int64{b.ID}}, // beta's claim was not renewed
			{later.Add(-time.Second), nil},
			{later, []int64{a.ID}},
		} {
			equal(t, "w2 claims at "+ts(tc.at), claimedIDs(claim(t, other, "w2", "slack", tc.at, tc.at.Add(time.Hour), 10)), tc.want)
		}
	})

	t.Run("renews only what the claimant still holds", func(t *testing.T) {
		e, other, ds := setup(t)
		a, b := ds[0], ds[1]
		e.sync(file, t0, cred("alpha"), cred("beta"), cred("gamma"))
		c := e.enqueue("gamma", hours(1), pending("30d", 0, "slack", t0))[0] // claimed by nobody
		// w1's claims expire unrenewed; w2 takes alpha's over, then w1
		// sends beta's (its claim not taken yet).
		equal(t, "w2 takes over", claimedIDs(claim(t, other, "w2", "slack", until, until.Add(time.Hour), 1)), []int64{a.ID})
		e.outcomes(e.Store, "w1", outcome(b, domain.StatusSent, 1, until))
		all := []int64{a.ID, b.ID, c.ID}
		equal(t, "w1 renews", renew(t, e.Store, "w1", all, later), []int64(nil))
		equal(t, "w2 renews", renew(t, other, "w2", all, later), []int64{a.ID})
		// alpha's is w2's until its renewed expiry; gamma's was never held.
		equal(t, "w3 claims before w2's renewed expiry", claimedIDs(claim(t, e.Store, "w3", "slack", later.Add(-time.Second), later.Add(time.Hour), 10)), []int64{c.ID})
		equal(t, "rows", []string{e.delivery(a.ID).Status, e.delivery(b.ID).Status}, []string{domain.StatusPending, domain.StatusSent})
	})

	t.Run("a released or superseded delivery is not kept by a renewal", func(t *testing.T) {
		e, other, ds := setup(t)
		a, b := ds[0], ds[1]
		e.outcomes(e.Store, "w1", outcome(a, domain.StatusReleased, 0, claimedAt))
		e.rotate("beta", claimedAt, claimedAt)
		equal(t, "renewed", renew(t, e.Store, "w1", []int64{a.ID, b.ID}, later), []int64(nil))
		equal(t, "beta's row", e.delivery(b.ID).Status, domain.StatusSuperseded)
		equal(t, "w2 claims the released one at once", claimedIDs(claim(t, other, "w2", "slack", claimedAt, later, 10)), []int64{a.ID})
	})

	t.Run("nothing to renew", func(t *testing.T) {
		e, _, _ := setup(t)
		equal(t, "renewed", renew(t, e.Store, "w1", nil, later), []int64(nil))
		equal(t, "renewed by a stranger", renew(t, e.Store, "w9", []int64{1, 2, 3}, later), []int64(nil))
	})
}
