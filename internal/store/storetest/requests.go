package storetest

import (
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

func (e *env) request(id, outcome string, called bool, at time.Time) {
	e.t.Helper()
	if err := e.RecordRotationRequest(e.ctx, domain.RotationRequest{CredentialID: id, At: at, Outcome: outcome, Called: called, Actor: "bob",
		Detail: "SP-API: " + outcome}, at); err != nil {
		e.t.Fatalf("RecordRotationRequest(%s %s): %v", id, outcome, err)
	}
}

func testRecordRotationRequest(t *testing.T, open Opener) {
	t.Run("the last call per application counts calls only; a pending request lasts until the rotation", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, spAPI("alpha", clientA), spAPI("beta", clientB))
		last := func(client string) time.Time {
			t.Helper()
			at, err := e.LastRotationCall(e.ctx, client)
			if err != nil {
				t.Fatal(err)
			}
			return at
		}
		pending := func() map[string]time.Time {
			t.Helper()
			p, err := e.PendingRotationRequests(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		equalTime(t, "never called", last(clientA), time.Time{})
		e.request("alpha", domain.RequestRefused, true, hours(1))
		e.request("alpha", domain.RequestFailed, false, hours(2)) // the token endpoint refused: no call
		equalTime(t, "last call", last(clientA), hours(1))
		equalTime(t, "other application", last(clientB), time.Time{})
		equal(t, "pending before acceptance", len(pending()), 0)

		e.request("alpha", domain.RequestAccepted, true, hours(3))
		equalTime(t, "last call after acceptance", last(clientA), hours(3))
		equalTime(t, "pending", pending()["alpha"], hours(3))
		evs := eventsOf(e.history(domain.HistoryFilter{CredentialID: "alpha"}), func(ev domain.Event) bool { return ev.Type == domain.EventRotationRequest })
		equal(t, "events", eventText(evs), eventText([]domain.Event{
			{Time: hours(1), Type: domain.EventRotationRequest, CredentialID: "alpha", Status: domain.RequestRefused, Actor: "bob", Detail: "SP-API: refused"},
			{Time: hours(2), Type: domain.EventRotationRequest, CredentialID: "alpha", Status: domain.RequestFailed, Actor: "bob", Detail: "SP-API: failed"},
			{Time: hours(3), Type: domain.EventRotationRequest, CredentialID: "alpha", Status: domain.RequestAccepted, Actor: "bob", Detail: "SP-API: requested"},
		}))

		e.rotate("alpha", hours(4), hours(4)) // what the new-secret notification does
		equal(t, "pending after the rotation", len(pending()), 0)
		equalTime(t, "the rate limit survives the rotation", last(clientA), hours(3))
	})
}
