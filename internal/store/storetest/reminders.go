package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/notifier-dev/notifier/internal/domain"
)

// testReminders: what the HTTP API reads.
func testReminders(t *testing.T, open Opener) {
	t.Run("Delivery returns one outbox row by id, or ErrNotFound", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"))
		d := e.enqueue("alpha", hours(1), pending("30d", 0, "slack", t0))[0]
		got, err := e.Delivery(e.ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "delivery", deliveryText(got), deliveryText(e.delivery(d.ID)))
		equal(t, "cycle and credential", []any{got.RotationID, got.CredentialID}, []any{e.cycle("alpha").RotationID, "alpha"})
		if _, err := e.Delivery(e.ctx, d.ID+1000); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("an unknown id: %v, want ErrNotFound", err)
		}
	})

	t.Run("EachCycle visits every active credential's current cycle by id, a page at a time", func(t *testing.T) {
		e := newEnv(t, open)
		const n = 5003 // more than one page of the SQLite store
		creds := make([]domain.Credential, n)
		want := make([]string, 0, n)
		for i := range creds {
			creds[i] = cred(fmt.Sprintf("c%05d", i))
			if i != 7 {
				want = append(want, creds[i].ID)
			}
		}
		e.sync(file, t0, creds...)
		e.sync(file, hours(1), append(creds[:7:7], creds[8:]...)...) // c00007 leaves: inactive
		e.ack("c00003", hours(2), "alice")
		var got []string
		var acked domain.Cycle
		err := e.EachCycle(e.ctx, func(c domain.Cycle) error {
			got = append(got, c.ID)
			if c.ID == "c00003" {
				acked = c
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "ids", got, want)
		equal(t, "acknowledged by", acked.AckBy, "alice")
		equalTime(t, "cycle start", acked.Start, rotated)

		stop := errors.New("enough")
		calls := 0
		err = e.EachCycle(e.ctx, func(domain.Cycle) error { calls++; return stop })
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("fn's error: %v after %d calls, want it at once", err, calls)
		}
	})

	t.Run("DeliveryCounts counts pending and failed deliveries per channel", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"), cred("beta"))
		a := e.enqueue("alpha", hours(1), pending("30d", 0, "slack", t0), pending("30d", 0, "mail", t0))
		e.enqueue("beta", hours(1), pending("30d", 0, "slack", t0))
		c := claim(t, e.Store, "me", "mail", hours(2), hours(3), 10)
		if len(c) != 1 || c[0].ID != a[1].ID {
			t.Fatalf("claimed %v, want the mail delivery %d", claimedIDs(c), a[1].ID)
		}
		e.outcomes(e.Store, "me", outcome(a[1], domain.StatusFailed, 1, hours(2)))
		got, err := e.DeliveryCounts(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "counts", got, []domain.DeliveryCount{{Channel: "mail", Status: "failed", Count: 1}, {Channel: "slack", Status: "pending", Count: 2}})
	})

	t.Run("Ping answers on an open database", func(t *testing.T) {
		e := newEnv(t, open)
		if err := e.Ping(e.ctx); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})
}
