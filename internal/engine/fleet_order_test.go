package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
)

// TestStateFiltersAndDeadlineOrderMatchTheStatus: for every state filter
// (any, ok, due, overdue, retired) and both orders (id; deadline, then
// id), the pages the store reads (by index: the credentials' stored
// deadline) list exactly the credentials whose status has that state,
// in the order the status view sorted in Go gives, after every kind of
// write that changes a current cycle or its deadline: the first sync, a
// new credential synced, a deadline changed in the config, a rotation
// recorded, that rotation retracted, a credential retired. The fleet has
// two policies, ties of deadlines, and acknowledged and snoozed cycles.
func TestStateFiltersAndDeadlineOrderMatchTheStatus(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	var creds []string
	for i := range 24 {
		policy := []string{"standard", "short"}[i%2]
		rotated := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 5*(i/2)) // pairs share a deadline
		creds = append(creds, fmt.Sprintf("  - {id: c%02d, owner: team-%d, policy: %s, rotation_period: 90d, rotated_at: %s}\n", i, i%3, policy, rotated.Format("2006-01-02")))
	}
	write := func() *config.Config {
		t.Helper()
		text := "database: notifier.db\ntimezone: UTC\npolicies:\n" +
			"  standard:\n    - {before: 30d, channels: [console]}\n    - {before: 7d, channels: [console]}\n    - {after: 0s, repeat: 24h, channels: [console]}\n" +
			"  short:\n    - {before: 3d, channels: [console]}\n    - {after: 0s, channels: [console]}\n" +
			"channels:\n  console: {type: stdout}\ncredentials:\n" + strings.Join(creds, "")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(path, config.At(now), nil, registry.Default())
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	cfg := write()
	st, err := sqlite.Open(t.Context(), cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e, err := New(st, cfg, WithStdout(&strings.Builder{}), WithWallClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	sync := func() {
		t.Helper()
		if err := e.SetConfig(write()); err != nil {
			t.Fatal(err)
		}
		if err := e.Sync(t.Context(), now); err != nil {
			t.Fatal(err)
		}
	}
	sync()
	for _, a := range []Ack{{Credential: "c16", At: now, By: "alice", Source: "cli"}, {Credential: "c18", At: now, By: "bob", Source: "cli", Until: now.AddDate(0, 0, 2)}} {
		if err := e.Acknowledge(t.Context(), a); err != nil {
			t.Fatal(err)
		}
	}

	check := func(after string) {
		t.Helper()
		all, err := e.Status(t.Context(), now)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, s := range all {
			seen[s.State] = true
		}
		for _, state := range []string{"", StateOK, StateDue, StateOverdue, StateInactive} {
			var want []CredentialStatus
			for _, s := range all {
				if state == "" || s.State == state {
					want = append(want, s)
				}
			}
			if state != "" && state != StateInactive && len(want) == 0 {
				t.Fatalf("after %s: no credential is %s: the fleet does not test it", after, state)
			}
			for _, byDeadline := range []bool{false, true} {
				if byDeadline {
					slices.SortStableFunc(want, func(a, b CredentialStatus) int {
						if c := a.Deadline.Compare(b.Deadline); c != 0 {
							return c
						}
						return strings.Compare(a.ID, b.ID)
					})
				} else {
					slices.SortStableFunc(want, func(a, b CredentialStatus) int { return strings.Compare(a.ID, b.ID) })
				}
				var got []string
				f := domain.CredentialFilter{State: state, ByDeadline: byDeadline, Limit: 4}
				for pages := 0; ; pages++ {
					var page []CredentialStatus
					if err := e.EachStatus(t.Context(), now, f, func(s CredentialStatus) error { page = append(page, s); return nil }); err != nil {
						t.Fatal(err)
					}
					for _, s := range page {
						got = append(got, s.ID+" "+s.State)
					}
					if len(page) < 4 || pages > 20 {
						break
					}
					f.After, f.AfterDeadline = page[3].ID, page[3].Deadline
				}
				var wantIDs []string
				for _, s := range want {
					wantIDs = append(wantIDs, s.ID+" "+s.State)
				}
				if strings.Join(got, ",") != strings.Join(wantIDs, ",") {
					t.Errorf("after %s, state %q, by deadline %v, pages of 4:\n got %s\nwant %s", after, state, byDeadline, strings.Join(got, ","), strings.Join(wantIDs, ","))
				}
			}
		}
	}
	check("the first sync")

	creds = append(creds, "  - {id: c24, owner: team-0, policy: short, rotation_period: 90d, rotated_at: 2026-08-24}\n")
	sync()
	check("a new credential synced")

	creds[2] = strings.Replace(creds[2], "rotation_period: 90d", "rotation_period: 200d", 1) // overdue → ok
	sync()
	check("a deadline changed in the config")

	rotated := now.Add(-time.Hour)
	if err := e.Rotate(t.Context(), Rotation{Credential: "c04", At: rotated, By: "alice", Source: "cli"}); err != nil {
		t.Fatal(err)
	}
	check("a rotation recorded")

	if _, err := e.Retract(t.Context(), domain.Retraction{CredentialID: "c04", Kind: domain.RetractRotation, TargetAt: rotated, At: now, Actor: "alice", Reason: "mistake"}); err != nil {
		t.Fatal(err)
	}
	check("the rotation retracted")

	creds = slices.Delete(creds, 6, 7) // c06
	sync()
	check("a credential retired")
}
