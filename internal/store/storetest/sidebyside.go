package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// testSideBySide: the long reads of the views (the fleet's states, the
// whole history, the plan's fleet), which run in pages on several
// readers side by side, give what the one-reader reads give: every row
// once, in order, with its joins, across many pages, and the history's
// many events at one moment (a sync's) cut between pages.
func testSideBySide(t *testing.T, open Opener) {
	e := newEnv(t, open)
	const n = 1234 // several pages of each read
	creds := make([]domain.Credential, n)
	for i := range creds {
		creds[i] = cred(fmt.Sprintf("c%05d", i))
		if i%7 == 0 {
			creds[i].Policy = "strict"
		}
	}
	e.sync(file, t0, creds...)
	// An hour on, a tenth renamed (an event each, all at one moment),
	// and a few with reminders, an acknowledgment, a rotation, across
	// the pages.
	renamed := append([]domain.Credential(nil), creds...)
	for i := 0; i < n; i += 10 {
		renamed[i].Name += " (renamed)"
	}
	e.sync(file, hours(1), renamed...)
	for _, i := range []int{3, 150, 640, 1101, 1233} {
		id := creds[i].ID
		e.enqueue(id, hours(2), pending("60d", 0, "slack", hours(2)), pending("60d", 0, "email", hours(2)))
		if i%2 == 1 {
			e.ack(id, hours(3), "alice")
		}
	}
	e.rotate(creds[700].ID, hours(4), hours(4))

	t.Run("EachState", func(t *testing.T) {
		for _, q := range []domain.StateQuery{{}, {Policy: "strict"}, {Active: true}} {
			side := e.states(q)
			q.Page = 10 * n // one reader, one page
			one := e.states(q)
			equal(t, fmt.Sprintf("%d states of %+v", len(one), q), side, one)
			if q.Policy == "" && len(side) != n {
				t.Errorf("%d states, want %d", len(side), n)
			}
		}
	})
	t.Run("EachEvent", func(t *testing.T) {
		for _, f := range []domain.HistoryFilter{
			{},
			{Since: hours(1)},                  // from the renames' moment
			{Until: hours(1).Add(time.Second)}, // up to it
			{Since: t0.Add(time.Second), Until: hours(3)}, // the sync's moment left out
		} {
			side := e.history(f)
			f.Limit = 1 << 30 // one reader, one query
			one := e.history(f)
			equal(t, fmt.Sprintf("%d events of %+v", len(one), f), side, one)
			if len(side) == 0 {
				t.Errorf("no events for %+v", f)
			}
		}
		if all := e.history(domain.HistoryFilter{}); len(all) < 2*n {
			t.Errorf("%d events, want at least %d", len(all), 2*n)
		}
	})
}

// states is every state EachState streams for q, in order.
func (e *env) states(q domain.StateQuery) []domain.CredentialState {
	e.t.Helper()
	var got []domain.CredentialState
	if err := e.EachState(e.ctx, q, func(s domain.CredentialState) error {
		got = append(got, s)
		return nil
	}); err != nil {
		e.t.Fatalf("EachState(%+v): %v", q, err)
	}
	return got
}
