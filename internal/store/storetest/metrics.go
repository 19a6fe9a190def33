package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// metricsFleet syncs, at t0: alpha (team-a, default) due in 29 days and
// acknowledged, beta (team-a, default) overdue since 2 days, gamma
// (team-b, slow) due in 31 days, epsilon (team-b, policy gone) due in 4
// days, and delta (team-b, default) removed from the config: inactive.
func metricsFleet(t *testing.T, open Opener) *env {
	e := newEnv(t, open)
	rotatedOn := func(id, owner, policy string, at time.Time) domain.Credential {
		return with(cred(id), func(c *domain.Credential) { c.Owner, c.Policy, c.RotatedAt = owner, policy, at })
	}
	alpha := rotatedOn("alpha", "team-a", "default", rotated) // deadline 2026-06-30
	beta := rotatedOn("beta", "team-a", "default", rotated.AddDate(0, 0, -31))
	gamma := rotatedOn("gamma", "team-b", "slow", rotated.AddDate(0, 0, 2))
	delta := rotatedOn("delta", "team-b", "default", rotated)
	epsilon := rotatedOn("epsilon", "team-b", "gone", rotated.AddDate(0, 0, -25))
	e.sync(file, t0, alpha, beta, gamma, delta, epsilon)
	e.sync(file, t0, alpha, beta, gamma, epsilon)
	e.ack("alpha", t0, "alice")
	return e
}

func testCredentialCounts(t *testing.T, open Opener) {
	e := metricsFleet(t, open)
	q := domain.CountsQuery{Now: t0, DueBy: map[string]time.Time{"default": days(30), "slow": days(7)}}
	var got []string
	err := e.CredentialCounts(e.ctx, q, func(c domain.CredentialCount) error {
		got = append(got, fmt.Sprintf("%s %s %s %d next=%s", c.Owner, c.Policy, c.State, c.Count, ts(c.NextDeadline)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "counts by owner, policy and state", got, []string{
		"team-a default due 1 next=" + ts(days(29)),
		"team-a default overdue 1 next=" + ts(days(-2)),
		"team-b default inactive 1 next=never",
		"team-b gone ok 1 next=" + ts(days(4)), // a policy without a due moment: ok until overdue
		"team-b slow ok 1 next=" + ts(days(31)),
	})

	t.Run("no policy has a due moment: only ok, overdue and inactive", func(t *testing.T) {
		got = nil
		err := e.CredentialCounts(e.ctx, domain.CountsQuery{Now: t0}, func(c domain.CredentialCount) error {
			got = append(got, fmt.Sprintf("%s %s %s %d", c.Owner, c.Policy, c.State, c.Count))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "counts", got, []string{"team-a default ok 1", "team-a default overdue 1", "team-b default inactive 1", "team-b gone ok 1", "team-b slow ok 1"})
	})
}

func testUrgentCredentials(t *testing.T, open Opener) {
	e := metricsFleet(t, open)
	tests := []struct {
		name  string
		until time.Time
		limit int
		want  []string
		total int
	}{
		{"the window, soonest first; inactive ones left out", days(30), 10,
			[]string{"beta " + ts(days(-2)) + " false", "epsilon " + ts(days(4)) + " false", "alpha " + ts(days(29)) + " true"}, 3},
		{"the cap cuts the latest; the total counts them", days(30), 2,
			[]string{"beta " + ts(days(-2)) + " false", "epsilon " + ts(days(4)) + " false"}, 3},
		{"a deadline at the window's end is in it", days(31), 10,
			[]string{"beta " + ts(days(-2)) + " false", "epsilon " + ts(days(4)) + " false", "alpha " + ts(days(29)) + " true", "gamma " + ts(days(31)) + " false"}, 4},
		{"no limit: nothing read", days(30), 0, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			total, err := e.UrgentCredentials(e.ctx, tc.until, tc.limit, func(u domain.UrgentCredential) error {
				got = append(got, fmt.Sprintf("%s %s %t", u.ID, ts(u.Deadline), u.Acknowledged))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "credentials", got, tc.want)
			equal(t, "total", total, tc.total)
		})
	}
}

// testWriteGeneration: every committed write that may change what a view
// reads moves the store's WriteGeneration (a kept /metrics answer is then
// read again); leases and claims, which no view reads, do not; another
// handle's writes move only its own.
func testWriteGeneration(t *testing.T, open Opener) {
	e := metricsFleet(t, open)
	other := e.handle()
	const ttl = time.Minute
	tests := []struct {
		name  string
		write func() error
		moves bool
	}{
		{"an acknowledgment", func() error {
			_, err := e.RecordAck(e.ctx, domain.Ack{CredentialID: "beta", At: t0, Actor: "bob", Source: "cli"})
			return err
		}, true},
		{"a rotation", func() error {
			return e.RecordRotation(e.ctx, domain.Rotation{CredentialID: "gamma", RotatedAt: t0, Source: "cli", Actor: "operator"}, t0)
		}, true},
		{"a retraction", func() error {
			_, err := e.Retract(e.ctx, domain.Retraction{CredentialID: "beta", Kind: domain.RetractAck, At: t0, Actor: "bob", Reason: "mistake"})
			return err
		}, true},
		{"a lease taken", func() error { _, _, err := e.AcquireLease(e.ctx, "dispatcher", "a", t0, ttl); return err }, false},
		{"a lease released", func() error { return e.ReleaseLease(e.ctx, "dispatcher", "a") }, false},
		{"a claim", func() error { _, err := e.ClaimDeliveries(e.ctx, "a", "ops", t0, t0.Add(ttl), 10); return err }, false},
		{"another handle's acknowledgment", func() error {
			_, err := other.RecordAck(e.ctx, domain.Ack{CredentialID: "epsilon", At: t0, Actor: "carol", Source: "cli"})
			return err
		}, false},
	}
	for _, tc := range tests {
		before := e.WriteGeneration()
		if err := tc.write(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if moved := e.WriteGeneration() != before; moved != tc.moves {
			t.Errorf("%s: the write generation moved = %v, want %v", tc.name, moved, tc.moves)
		}
	}
}
