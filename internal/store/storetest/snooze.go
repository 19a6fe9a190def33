package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/notifier-dev/notifier/internal/domain"
)

// testSnooze: a snooze is an acknowledgment with an end, recorded with it
// (in the row, the cycle and the hashed event); while it lasts a second
// snooze is refused but a plain acknowledgment replaces it; once it ended
// the cycle can be acknowledged or snoozed again; it is retracted like an
// acknowledgment.
func testSnooze(t *testing.T, open Opener) {
	snooze := func(e *env, at, until int, by string) (domain.Ack, error) {
		return e.RecordAck(e.ctx, domain.Ack{CredentialID: "alpha", At: hours(at), Until: hours(until), Actor: by, Source: "cli", Note: "later"})
	}
	t.Run("recorded with its end, in the cycle and the hashed event", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"))
		if _, err := snooze(e, 5, 29, "alice"); err != nil {
			t.Fatal(err)
		}
		cy := e.cycle("alpha")
		equal(t, "cycle's ack", []any{ts(cy.AckAt), cy.AckBy, ts(cy.AckUntil)}, []any{ts(hours(5)), "alice", ts(hours(29))})
		equal(t, "schedule's ack", ts(cy.Ack().Until), ts(hours(29)))
		dueBy(t, "snoozed cycle", cy, hours(5))
		evs := e.history(domain.HistoryFilter{Type: domain.EventAck})
		equal(t, "events", eventText(evs), []string{"ack/cli alpha @" + ts(hours(5))})
		if len(evs) == 1 {
			equal(t, "detail", evs[0].Detail, "snoozed via cli until "+ts(hours(29))+": later")
		}
	})

	t.Run("while it lasts a second snooze is refused; a plain acknowledgment replaces it", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"))
		if _, err := snooze(e, 5, 29, "alice"); err != nil {
			t.Fatal(err)
		}
		_, err := snooze(e, 6, 50, "bob")
		var already *domain.AlreadyAcknowledged
		if !errors.As(err, &already) {
			t.Fatalf("a second snooze = %v, want *domain.AlreadyAcknowledged", err)
		}
		equal(t, "refusal", err.Error(), "alpha: already snoozed by alice at "+ts(hours(5))+" until "+ts(hours(29)))
		e.ack("alpha", hours(7), "bob")
		cy := e.cycle("alpha")
		equal(t, "the cycle's ack", []any{ts(cy.AckAt), cy.AckBy, ts(cy.AckUntil)}, []any{ts(hours(7)), "bob", "never"})
		if _, err := snooze(e, 30, 40, "carol"); !errors.As(err, &already) {
			t.Errorf("a snooze after a plain acknowledgment = %v, want *domain.AlreadyAcknowledged", err)
		}
	})

	t.Run("once it ended the cycle can be snoozed or acknowledged again", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"))
		if _, err := snooze(e, 5, 29, "alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := snooze(e, 29, 53, "bob"); err != nil {
			t.Fatalf("a snooze at the first one's end: %v", err)
		}
		cy := e.cycle("alpha")
		equal(t, "the cycle's ack", []any{ts(cy.AckAt), cy.AckBy, ts(cy.AckUntil)}, []any{ts(hours(29)), "bob", ts(hours(53))})
		e.ack("alpha", hours(60), "carol")
		equal(t, "acknowledged after it by", e.cycle("alpha").AckBy, "carol")
	})

	t.Run("retracted like an acknowledgment", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"))
		a, err := snooze(e, 5, 29, "alice")
		if err != nil {
			t.Fatal(err)
		}
		x := e.retract(domain.RetractAck, "alpha", 0, domain.Retraction{At: hours(6), Reason: "wrong credential"})
		equal(t, "retracted", x.TargetID, a.ID)
		cy := e.cycle("alpha")
		equal(t, "the cycle's ack", []any{cy.AckBy, ts(cy.AckUntil)}, []any{"", "never"})
		dueBy(t, "unsnoozed cycle", cy, hours(6))
	})

	t.Run("metrics' urgent credentials carry its end; acknowledged only until then", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"))
		if _, err := snooze(e, 5, 29, "alice"); err != nil {
			t.Fatal(err)
		}
		var got []string
		if _, err := e.UrgentCredentials(e.ctx, days(1000), 10, func(u domain.UrgentCredential) error {
			got = append(got, fmt.Sprintf("%s %s %t %t", u.ID, ts(u.SnoozedUntil), u.AcknowledgedAt(hours(28)), u.AcknowledgedAt(hours(29))))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		equal(t, "urgent credentials", got, []string{"alpha " + ts(hours(29)) + " true false"})
	})
}
