package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

func (e *env) probe(id, outcome string, at time.Time, channels ...string) int {
	e.t.Helper()
	n, err := e.RecordProbe(e.ctx, domain.Probe{CredentialID: id, At: at, Outcome: outcome, Detail: "LWA token endpoint: " + outcome,
		Channels: func(string) []string { return channels }}, at)
	if err != nil {
		e.t.Fatalf("RecordProbe(%s %s): %v", id, outcome, err)
	}
	return n
}

func testRecordProbe(t *testing.T, open Opener) {
	t.Run("ok is the time last verified; failed is no rejection and verifies nothing", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, spAPI("alpha", clientA), cred("beta"))
		equal(t, "alerts", e.probe("alpha", domain.ProbeOK, hours(1), "pager"), 0)
		equal(t, "alerts", e.probe("alpha", domain.ProbeFailed, hours(2), "pager"), 0)
		last, err := e.LastProbes(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "probes", []any{len(last), ts(last["alpha"].Last), last["alpha"].LastOutcome, ts(last["alpha"].Verified)},
			[]any{1, ts(hours(2)), domain.ProbeFailed, ts(hours(1))})
		equal(t, "deliveries", len(e.deliveries("alpha")), 0)
		equal(t, "events", len(eventsOf(e.history(domain.HistoryFilter{CredentialID: "alpha"}), ofType(domain.EventProbe, domain.ProbeRejected))), 0)
	})

	t.Run("a rejection is an event and an alert due now on the given channels, one per rejected probe", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, spAPI("alpha", clientA))
		e.settle("alpha", hours(1), days(100))
		before := time.Now().UTC().Truncate(time.Second)
		equal(t, "alerts", e.probe("alpha", domain.ProbeRejected, hours(2), "pager", "email"), 2)
		ds := e.deliveries("alpha")
		createdNow(t, "alert", ds, before)
		var got []string
		for _, d := range ds {
			got = append(got, deliveryText(d))
		}
		equal(t, "deliveries", sorted(got), sorted([]string{
			deliveryText(domain.Delivery{Stage: domain.StageRejected, Seq: 0, Channel: "pager", Status: domain.StatusPending, Due: hours(2), NextAttemptAt: hours(2)}),
			deliveryText(domain.Delivery{Stage: domain.StageRejected, Seq: 0, Channel: "email", Status: domain.StatusPending, Due: hours(2), NextAttemptAt: hours(2)}),
		}))
		claimed := claim(t, e.Store, "w", "pager", hours(2), hours(3), 10)
		if len(claimed) != 1 || claimed[0].Stage != domain.StageRejected {
			t.Errorf("claimed %+v; want the alert, due now", claimed)
		}
		equal(t, "second rejection", e.probe("alpha", domain.ProbeRejected, hours(26), "pager"), 1)
		evs := eventsOf(e.history(domain.HistoryFilter{CredentialID: "alpha"}), ofType(domain.EventProbe, domain.ProbeRejected))
		if len(evs) != 2 || evs[0].Detail != "Amazon rejects this secret now: LWA token endpoint: rejected" {
			t.Errorf("events: %v", eventText(evs))
		}
	})

	t.Run("refused: an unknown or inactive credential", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, spAPI("alpha", clientA))
		e.sync("other.yaml", t0, cred("gone"))
		if _, err := e.RetireFile(e.ctx, "other.yaml", hours(1)); err != nil {
			t.Fatal(err)
		}
		for id, want := range map[string]error{"nobody": domain.ErrUnknownCredential, "gone": domain.ErrInactive} {
			if _, err := e.RecordProbe(e.ctx, domain.Probe{CredentialID: id, At: hours(2), Outcome: domain.ProbeOK}, hours(2)); !errors.Is(err, want) {
				t.Errorf("%s: err = %v, want %v", id, err, want)
			}
		}
	})
}
