package storetest

import (
	"errors"
	"testing"

	"github.com/notifier-dev/notifier/internal/domain"
)

// testHistoryFilters: --credential is a glob judged exactly (case, classes,
// LIKE's own % and _ matching themselves), --owner and --limit cut in the
// query, every filter combines, and EachEvent hands events over one at a
// time: an error from the callback stops the walk and is returned.
func testHistoryFilters(t *testing.T, open Opener) {
	e := newEnv(t, open)
	ids := []string{"alpha", "alpine", "al%pha", "al_ha", "Alps", "beta"}
	var creds []domain.Credential
	for _, id := range ids {
		creds = append(creds, cred(id))
	}
	e.sync(file, t0, creds...)
	e.ack("alpine", hours(2), "alice")
	added := func(ids ...string) []string {
		var out []string
		for _, id := range ids {
			out = append(out, "credential/added "+id+" @"+ts(t0))
		}
		return sorted(out)
	}
	typ := domain.EventCredential
	cases := []struct {
		name   string
		filter domain.HistoryFilter
		want   []string
	}{
		{"a prefix glob, case kept", domain.HistoryFilter{Type: typ, Credential: "al*"}, added("alpha", "alpine", "al%pha", "al_ha")},
		{"an exact id", domain.HistoryFilter{Type: typ, Credential: "alpha"}, added("alpha")},
		{"an id with % matches itself only", domain.HistoryFilter{Type: typ, Credential: "al%pha"}, added("al%pha")},
		{"% in a glob is literal", domain.HistoryFilter{Type: typ, Credential: "al%*"}, added("al%pha")},
		{"_ in a glob is literal", domain.HistoryFilter{Type: typ, Credential: "al_*"}, added("al_ha")},
		{"? is one character", domain.HistoryFilter{Type: typ, Credential: "?lps"}, added("Alps")},
		{"a class", domain.HistoryFilter{Type: typ, Credential: "[AB]*"}, added("Alps")},
		{"an escaped wildcard", domain.HistoryFilter{Type: typ, Credential: `al\*`}, nil},
		{"an owner", domain.HistoryFilter{Type: typ, Owner: "team-beta"}, added("beta")},
		{"an owner and a glob", domain.HistoryFilter{Type: typ, Owner: "team-alpine", Credential: "al*"}, added("alpine")},
		{"an owner the glob excludes", domain.HistoryFilter{Type: typ, Owner: "team-beta", Credential: "al*"}, nil},
		{"glob, type and time", domain.HistoryFilter{Credential: "alp*", Type: domain.EventAck, Since: hours(1)},
			[]string{"ack/cli alpine @" + ts(hours(2))}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			equal(t, "history", sorted(eventText(e.history(tc.filter))), sorted(tc.want))
		})
	}
	t.Run("a limit keeps the earliest matches", func(t *testing.T) {
		all := eventText(e.history(domain.HistoryFilter{Credential: "al*"}))
		if len(all) < 5 {
			t.Fatalf("history of al*: %v, want the 4 credentials' events and the ack", all)
		}
		for _, n := range []int{1, 3} {
			equal(t, "history of al* with a limit", eventText(e.history(domain.HistoryFilter{Credential: "al*", Limit: n})), all[:n])
		}
		equal(t, "history of alpine with a limit", eventText(e.history(domain.HistoryFilter{Credential: "alpine", Owner: "team-alpine", Limit: 2})),
			eventText(e.history(domain.HistoryFilter{CredentialID: "alpine"}))[:2])
	})
	t.Run("the callback's error stops the walk", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := e.EachEvent(e.ctx, domain.HistoryFilter{}, func(domain.Event) error {
			n++
			return stop
		})
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("EachEvent with a failing callback: %v after %d calls, want stop after 1", err, n)
		}
	})
}
