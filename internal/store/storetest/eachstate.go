package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// eachState is the ids EachState streams for q, in order.
func (e *env) eachState(q domain.StateQuery) []string {
	e.t.Helper()
	got := []string{}
	err := e.EachState(e.ctx, q, func(s domain.CredentialState) error {
		got = append(got, s.ID)
		return nil
	})
	if err != nil {
		e.t.Fatalf("EachState(%+v): %v", q, err)
	}
	return got
}

func testEachState(t *testing.T, open Opener) {
	t.Run("each filter and a combination are applied in the query", func(t *testing.T) {
		// alpha and beta: policy default, deadline 2026-06-30; gamma:
		// policy strict, owner team-alpha, 30d: deadline 2026-01-31;
		// delta removed from the config (inactive); ids with LIKE's
		// and GLOB's metacharacters, and ids a naive translation of
		// them would match.
		short := func(c *domain.Credential) {
			c.RotationPeriod, c.Policy, c.Owner = schedule.MustSpan("30d"), "strict", "team-alpha"
		}
		odd := []string{"a%b", "axxb", "a_b", "azb", "[x]1", "x1", `a\b`}
		creds := []domain.Credential{cred("alpha"), cred("beta"), with(cred("gamma"), short), cred("delta")}
		for _, id := range odd {
			creds = append(creds, cred(id))
		}
		e := newEnv(t, open)
		e.sync(file, t0, creds...)
		e.sync(file, hours(1), append(creds[:3:3], creds[4:]...)...)
		all := e.eachState(domain.StateQuery{})
		equal(t, "everything, in id order", len(all), len(creds))
		for _, c := range []struct {
			name string
			q    domain.StateQuery
			want []string
		}{
			{"owner", domain.StateQuery{Owner: "team-alpha"}, []string{"alpha", "gamma"}},
			{"policy", domain.StateQuery{Policy: "strict"}, []string{"gamma"}},
			{"policies", domain.StateQuery{Policies: []string{"strict", "no-such"}}, []string{"gamma"}},
			{"policies: none", domain.StateQuery{Policies: []string{}}, []string{}},
			{"policies and owner", domain.StateQuery{Policies: []string{"strict", "default"}, Owner: "team-alpha"}, []string{"alpha", "gamma"}},
			{"inactive", domain.StateQuery{Inactive: true}, []string{"delta"}},
			{"active", domain.StateQuery{Active: true, Owner: "team-delta"}, []string{}},
			{"deadline by", domain.StateQuery{DeadlineBy: t0}, []string{"gamma"}},
			{"deadline after", domain.StateQuery{DeadlineAfter: t0, Like: "%a"}, []string{"alpha", "beta", "delta"}},
			{"deadline between", domain.StateQuery{DeadlineAfter: rotated, DeadlineBy: days(20)}, []string{"gamma"}},
			{"glob with %", domain.StateQuery{Like: domain.GlobLike("a%b")}, []string{"a%b"}},
			{"glob with _", domain.StateQuery{Like: domain.GlobLike("a_b")}, []string{"a_b"}},
			{"glob with a literal [", domain.StateQuery{Like: domain.GlobLike(`\[x]*`)}, []string{"[x]1"}},
			{"glob with a backslash", domain.StateQuery{Like: domain.GlobLike(`a\\b`)}, []string{`a\b`}},
			{"glob with *", domain.StateQuery{Like: domain.GlobLike("a*b")}, []string{`a\b`, "a%b", "a_b", "axxb", "azb"}},
			{"limit", domain.StateQuery{Limit: 3}, all[:3]},                        // the first three in the database's order
			{"after", domain.StateQuery{After: all[len(all)-3]}, all[len(all)-2:]}, // keyset: the ids after one
			{"pages of one row", domain.StateQuery{Page: 1, Owner: "team-alpha"}, []string{"alpha", "gamma"}},
			{"after, with a limit and a filter", domain.StateQuery{After: "alpha", Owner: "team-alpha", Limit: 1}, []string{"gamma"}},
			{"combined", domain.StateQuery{Owner: "team-alpha", Policy: "default", Active: true, DeadlineAfter: t0, Like: domain.GlobLike("al*")},
				[]string{"alpha"}},
		} {
			equal(t, c.name, sorted(e.eachState(c.q)), sorted(c.want))
		}
	})

	t.Run("a page asked larger than any holds no more than a page", func(t *testing.T) {
		// status --state overdue --limit 100000000 asks pages of the
		// limit: room for 100M rows (64 GB) was made before a row was
		// read, and the process died out of memory.
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"), cred("beta"))
		for _, q := range []domain.StateQuery{{Page: 1 << 36}, {Page: 1 << 36, Active: true, DeadlineBy: days(10000)}} {
			equal(t, fmt.Sprintf("pages of %d", q.Page), e.eachState(q), []string{"alpha", "beta"})
		}
	})

	t.Run("probes and a pending request come with each credential", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, spAPI("alpha", clientA), spAPI("beta", clientB))
		e.probe("alpha", domain.ProbeOK, hours(1))
		e.probe("alpha", domain.ProbeFailed, hours(2))
		e.request("beta", domain.RequestAccepted, true, hours(3))
		var got []any
		err := e.EachState(e.ctx, domain.StateQuery{}, func(s domain.CredentialState) error {
			got = append(got, s.ID, ts(s.Probe.Last), ts(s.Probe.Verified), s.Probe.LastOutcome, ts(s.RotationRequested))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "states", got, []any{"alpha", ts(hours(2)), ts(hours(1)), domain.ProbeFailed, "never",
			"beta", "never", "never", "", ts(hours(3))})
	})

	t.Run("each row is the credential's state as States reads it", func(t *testing.T) {
		// alpha: a sent, a failed and a pending reminder, acknowledged
		// by alice; beta: bob's acknowledgment retracted,
		// then carol's; gamma: its policy changed in the open cycle (new
		// terms); delta: removed from the config; sp: two probes.
		e := newEnv(t, open)
		strict := func(c *domain.Credential) { c.Policy = "strict" }
		creds := []domain.Credential{cred("alpha"), cred("beta"), cred("gamma"), cred("delta"), spAPI("sp", clientA)}
		e.sync(file, t0, creds...)
		e.sync(file, hours(1), cred("alpha"), cred("beta"), with(cred("gamma"), strict), spAPI("sp", clientA))
		ds := e.enqueue("alpha", hours(1), pending("60d", 0, "slack", t0), pending("60d", 0, "email", t0), pending("60d", 0, "sns", t0))
		claim(t, e.Store, "w1", "slack", hours(1), hours(2), 10)
		claim(t, e.Store, "w1", "email", hours(1), hours(2), 10)
		e.outcomes(e.Store, "w1", outcome(ds[0], domain.StatusSent, 1, hours(1).Add(2*time.Minute)),
			outcome(ds[1], domain.StatusFailed, 5, hours(1).Add(time.Minute)))
		e.ack("alpha", hours(2), "alice")
		e.ack("beta", hours(2), "bob")
		e.retract(domain.RetractAck, "beta", 0, domain.Retraction{At: hours(3)})
		e.ack("beta", hours(4), "carol")
		e.probe("sp", domain.ProbeOK, hours(1))
		e.probe("sp", domain.ProbeRejected, hours(2))

		want, err := e.States(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []domain.CredentialState
		var probes, waiting []any
		if err := e.EachState(e.ctx, domain.StateQuery{}, func(s domain.CredentialState) error {
			probes = append(probes, s.ID, ts(s.Probe.Last), ts(s.Probe.Verified), s.Probe.LastOutcome)
			if s.Waiting.Channel != "" {
				waiting = append(waiting, s.ID, s.Waiting.Channel, ts(s.Waiting.At))
			}
			s.Probe, s.RotationRequested, s.Waiting = domain.ProbeTimes{}, time.Time{}, domain.Waiting{} // States has none
			got = append(got, s)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		equal(t, "EachState and States", got, want)
		// alpha's sns delivery was never tried: it waits for its first
		// attempt since it was planned (slack was sent, email failed).
		equal(t, "the deliveries waiting for a first attempt", waiting, []any{"alpha", "sns", ts(hours(1))}) // planned at 01:00
		type row struct {
			ID, Policy, AckBy, LastStage string
			Active                       bool
			Failed, Pending              int
		}
		var rows []row
		for _, s := range got {
			rows = append(rows, row{s.ID, s.Policy, s.AckBy, s.LastStage, s.Active, s.Failed, s.Pending})
		}
		equal(t, "the states", rows, []row{
			{"alpha", "default", "alice", "60d", true, 1, 1},
			{"beta", "default", "carol", "", true, 0, 0},
			{"delta", "default", "", "", false, 0, 0},
			{"gamma", "strict", "", "", true, 0, 0},
			{"sp", "default", "", "", true, 0, 0},
		})
		equal(t, "probes", probes, []any{"alpha", "never", "never", "", "beta", "never", "never", "", "delta", "never", "never", "",
			"gamma", "never", "never", "", "sp", ts(hours(2)), ts(hours(1)), domain.ProbeRejected})
	})

	t.Run("pages follow one another in id order, and the limit holds across them", func(t *testing.T) {
		e := newEnv(t, open)
		var creds []domain.Credential
		for i := range 2100 {
			creds = append(creds, cred(fmt.Sprintf("c%05d", i)))
		}
		e.sync(file, t0, creds...)
		got := e.eachState(domain.StateQuery{})
		equal(t, "count", len(got), len(creds))
		for i, id := range got {
			if id != creds[i].ID {
				t.Fatalf("row %d is %s, want %s", i, id, creds[i].ID)
			}
		}
		equal(t, "limit across pages", e.eachState(domain.StateQuery{Limit: 1500}), got[:1500])
	})

	t.Run("a cycle that starts after a moment is found", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"))
		e.rotate("alpha", hours(4), hours(4))
		for _, c := range []struct {
			at   string
			want bool
		}{{"before the rotation", true}, {"at the rotation", false}} {
			at := hours(3)
			if !c.want {
				at = hours(4)
			}
			got, err := e.CycleStartsAfter(e.ctx, at)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, c.at, got, c.want)
		}
	})

	t.Run("the rotations notifier saw after a moment: read and counted", func(t *testing.T) {
		// alpha rotated at hours(10), beta at hours(2); gamma's rotation
		// retracted; delta never rotated; eps added at hours(20) with a
		// rotation at hours(15) (its first: not one notifier saw); zeta
		// rotated at hours(12), then removed from the config (inactive).
		e := newEnv(t, open)
		creds := []domain.Credential{cred("alpha"), cred("beta"), cred("delta"), cred("gamma"), cred("zeta")}
		e.sync(file, t0, creds...)
		e.rotate("alpha", hours(10), hours(10))
		e.rotate("beta", hours(2), hours(10))
		e.rotate("gamma", hours(5), hours(10))
		e.retract(domain.RetractRotation, "gamma", 0, domain.Retraction{At: hours(11)})
		e.rotate("zeta", hours(12), hours(12))
		eps := with(cred("eps"), func(c *domain.Credential) { c.RotatedAt = hours(15) })
		e.sync(file, hours(20), append(creds[:4:4], eps)...)
		seen := map[string]bool{}
		if err := e.EachState(e.ctx, domain.StateQuery{}, func(s domain.CredentialState) error { seen[s.ID] = s.RotationSeen; return nil }); err != nil {
			t.Fatal(err)
		}
		equal(t, "rotations seen", seen, map[string]bool{"alpha": true, "beta": true, "delta": false, "eps": false, "gamma": false, "zeta": true})
		for _, c := range []struct {
			after            time.Time
			want, byDeadline []string // beta's deadline is sooner (rotated sooner)
		}{{hours(3), []string{"alpha"}, []string{"alpha"}}, {hours(1), []string{"alpha", "beta"}, []string{"beta", "alpha"}}, {hours(10), []string{}, []string{}}} {
			equal(t, "after "+ts(c.after), e.eachState(domain.StateQuery{Active: true, RotatedAfter: c.after}), c.want)
			equal(t, "by deadline after "+ts(c.after), e.eachState(domain.StateQuery{Active: true, RotatedAfter: c.after, ByDeadline: true}), c.byDeadline)
			n, err := e.CountRotated(e.ctx, c.after, hours(24))
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "count after "+ts(c.after), n, len(c.want))
		}
		n, err := e.CountRotated(e.ctx, hours(1), hours(9))
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "count from hours(1) to hours(9)", n, 1)
	})
}
