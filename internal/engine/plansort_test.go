package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// sortFleet is a synced fleet of n credentials rotated on many days, on
// two policies (one repeating while overdue), some acknowledged: its
// plan's order is not the order its rows are stored in.
func sortFleet(t *testing.T, n int, now time.Time) *Engine {
	t.Helper()
	var b strings.Builder
	b.WriteString(`database: notifier.db
timezone: Europe/Berlin
policies:
  standard:
    - {before: 30d, channels: [console]}
    - {before: 7d, channels: [console]}
    - {after: 0s, repeat: 24h, channels: [console]}
  short:
    - {before: 3d, channels: [console]}
    - {after: 0s, repeat: 12h, channels: [console]}
channels:
  console: {type: stdout}
credentials:
`)
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		policy := "standard"
		if i%5 == 0 {
			policy = "short"
		}
		// Ids out of step with their dates: the file's order is no
		// order of the plan.
		fmt.Fprintf(&b, "  - {id: c%05d, name: \"Credential %d\", owner: team-%d, policy: %s, rotation_period: 180d, rotated_at: %s}\n",
			(i*7919)%n, i, i%3, policy, start.AddDate(0, 0, (i*37)%200).Format(time.DateOnly))
	}
	e := configEngine(t, b.String(), now, nil)
	if err := e.Sync(t.Context(), now); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"c00003", "c00100", "c01000"} {
		if err := e.Acknowledge(t.Context(), Ack{Credential: id, At: now, By: "alice", Source: "cli"}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func planLine(u Upcoming) string {
	return fmt.Sprintf("%s %s %s #%d days %d more %d every %s", u.At.Format(time.RFC3339), u.Credential, u.Stage, u.Seq, u.DaysRemaining, u.More, u.Every)
}

// tempRuns lists the sorted plan's runs in dir: the files this process
// holds open there (Linux's /proc/self/fd), which are no longer in dir's
// listing (see namedRuns).
func tempRuns(t *testing.T, dir string) []string {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var runs []string
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(target, filepath.Join(dir, "notifier-plan-")) {
			runs = append(runs, target)
		}
	}
	return runs
}

// namedRuns lists the runs dir shows by name: none, ever. Each run is
// removed from the directory as soon as it is made and read through the
// open file, so a plan killed (SIGPIPE from `plan | head`, SIGKILL)
// leaves nothing behind.
func namedRuns(t *testing.T, dir string) []string {
	t.Helper()
	runs, err := filepath.Glob(filepath.Join(dir, "notifier-plan-*"))
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

// TestPlanSortedEqualsNextActionPath: a plan of the whole fleet (a
// table's rows, and json's, which list every repeat)
// read in stored order, sorted in runs spilled to temporary files (a
// tiny run size: a small fleet makes many) and merged, prints the rows
// the next-action path prints, in its order; the runs are in the
// temporary directory while it merges and gone after it, whether it
// ended, failed or was cancelled.
func TestPlanSortedEqualsNextActionPath(t *testing.T) {
	now := time.Date(2026, 9, 20, 9, 0, 0, 0, time.UTC)
	e := sortFleet(t, 4000, now)
	horizon := schedule.Span{Days: 365}
	type plan struct {
		f    domain.CredentialFilter
		once bool // a table's rows; json and jsonl list every repeat
	}
	for _, p := range []plan{{f: domain.CredentialFilter{}, once: true}, {f: domain.CredentialFilter{Owner: "team-1"}, once: true}, {f: domain.CredentialFilter{Policy: "short"}, once: true}, {f: domain.CredentialFilter{Credential: "c00*"}, once: true},
		{f: domain.CredentialFilter{}}, {f: domain.CredentialFilter{Policy: "short"}}} {
		f := p.f
		var want []string
		if err := e.planStreamed(t.Context(), now, horizon, f, p.once, func(u Upcoming) error {
			want = append(want, planLine(u))
			return nil
		}, nil); err != nil {
			t.Fatal(err)
		}
		if len(want) <= planHead+300 {
			t.Fatalf("filter %+v: the next-action path plans %d rows; want more than its head of %d", f, len(want), planHead)
		}
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		defer func(n int) { planRunBytes = n }(planRunBytes)
		planRunBytes = 4 << 10
		var got []string
		runs := 0
		if err := e.PlanEach(t.Context(), now, horizon, f, true, p.once, func(u Upcoming) error {
			if got = append(got, planLine(u)); len(got) == planHead+1 {
				runs = len(tempRuns(t, tmp))
				if named := namedRuns(t, tmp); len(named) != 0 {
					t.Errorf("filter %+v once %t: %d runs named in the temporary directory while merging, %s first; want none (a killed plan would leave them)", f, p.once, len(named), named[0])
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			i := 0
			for i < min(len(got), len(want)) && got[i] == want[i] {
				i++
			}
			t.Fatalf("filter %+v once %t: the sorted plan has %d rows, the next-action path %d; first difference at row %d:\nsorted      %q\nnext action %q",
				f, p.once, len(got), len(want), i, got[min(i, len(got)-1)], want[min(i, len(want)-1)])
		}
		if runs < 3 {
			t.Errorf("filter %+v once %t: %d runs in the temporary directory while merging; want several (run size %d bytes)", f, p.once, runs, planRunBytes)
		}
		if left := append(tempRuns(t, tmp), namedRuns(t, tmp)...); len(left) != 0 {
			t.Errorf("filter %+v: runs left after the plan: %v", f, left)
		}
	}

	// A failure of the output, and a cancelled context, while merging.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	boom := errors.New("stdout closed")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	for _, c := range []struct {
		name string
		ctx  context.Context
		at   func() error
		want error
	}{
		{"output fails", t.Context(), func() error { return boom }, boom},
		{"cancelled", ctx, func() error { cancel(); return nil }, context.Canceled},
	} {
		n, runs := 0, 0
		err := e.PlanEach(c.ctx, now, horizon, domain.CredentialFilter{}, true, true, func(Upcoming) error {
			if n++; n == planHead+10 {
				runs = len(tempRuns(t, tmp))
				return c.at()
			}
			return nil
		})
		if !errors.Is(err, c.want) {
			t.Errorf("%s: PlanEach returned %v after %d rows; want %v", c.name, err, n, c.want)
		}
		if runs < 3 {
			t.Errorf("%s: %d runs while merging; want several", c.name, runs)
		}
		if left := append(tempRuns(t, tmp), namedRuns(t, tmp)...); len(left) != 0 {
			t.Errorf("%s: runs left after the plan stopped: %v", c.name, left)
		}
	}
}
