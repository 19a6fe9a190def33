package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// reportText is a cycle record as compared: credential, start, the closing
// rotation, every reminder event and every acknowledgment.
func reportText(cs []domain.CycleRecord) []string {
	out := []string{}
	for _, c := range cs {
		s := c.ID + " @" + ts(c.Start)
		if c.Closed != nil {
			s += fmt.Sprintf(" closed %s by %s/%s", ts(c.Closed.RotatedAt), c.Closed.Actor, c.Closed.Source)
		}
		for _, r := range c.Reminders {
			s += fmt.Sprintf(" | %s %s/%s %s", ts(r.Time), r.Stage, r.Channel, r.Status)
		}
		for _, a := range c.Acks {
			s += fmt.Sprintf(" | ack %s %s/%s", ts(a.Time), a.Actor, a.Source)
		}
		out = append(out, s)
	}
	return out
}

func (e *env) report(f domain.ReportFilter) []domain.CycleRecord {
	e.t.Helper()
	var out []domain.CycleRecord
	if err := e.ReportCycles(e.ctx, f, func(c domain.CycleRecord) error {
		out = append(out, c)
		return nil
	}); err != nil {
		e.t.Fatalf("ReportCycles(%+v): %v", f, err)
	}
	return out
}

func testReportCycles(t *testing.T, open Opener) {
	// alpha: a cycle with a failed then a sent attempt, acknowledged,
	// closed by a rotation at day 10; a second, open cycle. beta: one open
	// cycle with nothing. gamma: removed from the config, still reported.
	seed := func(t *testing.T) *env {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"), cred("beta"), cred("gamma"))
		d := e.enqueue("alpha", hours(1), pending("30d", 0, "slack", hours(1)))
		e.settle("alpha", hours(1), days(20))
		cl := claim(t, e.Store, "me", "slack", hours(1), hours(2), 10)
		if len(cl) != 1 {
			t.Fatalf("claimed %d, want 1", len(cl))
		}
		retry := outcome(d[0], domain.StatusRetry, 1, hours(1))
		retry.NextAttemptAt = hours(2)
		e.outcomes(e.Store, "me", retry)
		claim(t, e.Store, "me", "slack", hours(2), hours(3), 10)
		e.outcomes(e.Store, "me", outcome(d[0], domain.StatusSent, 2, hours(2)))
		e.ack("alpha", hours(3), "alice")
		e.rotate("alpha", days(10), days(10))
		e.sync(file, days(11), cred("alpha"), cred("beta"))
		return e
	}
	alpha1 := "alpha @" + ts(rotated) + " closed " + ts(days(10)) + " by operator/cli" +
		" | " + ts(hours(1)) + " 30d/slack retry | " + ts(hours(2)) + " 30d/slack sent | ack " + ts(hours(3)) + " alice/cli"
	alpha2 := "alpha @" + ts(days(10))
	beta := "beta @" + ts(rotated)
	gamma := "gamma @" + ts(rotated)

	t.Run("every cycle of every credential, by credential and start, with its attempts and acknowledgments", func(t *testing.T) {
		e := seed(t)
		got := e.report(domain.ReportFilter{})
		equal(t, "cycles", reportText(got), []string{alpha1, alpha2, beta, gamma})
		if len(got) == 4 {
			equal(t, "active", []bool{got[0].Active, got[3].Active}, []bool{true, false})
			equal(t, "credential as synced", credText(got[2].Credential), credText(with(cred("beta"), func(c *domain.Credential) { c.File = file })))
			if got[0].RotationID == got[1].RotationID || got[0].Closed == nil || got[0].Closed.ID != got[1].RotationID {
				t.Errorf("the first cycle is not closed by the rotation that starts the second: %+v / %+v", got[0], got[1])
			}
		}
	})

	t.Run("the window and the credential narrow the cycles", func(t *testing.T) {
		e := seed(t)
		for _, tc := range []struct {
			name string
			f    domain.ReportFilter
			want []string
		}{
			{"one credential", domain.ReportFilter{CredentialID: "alpha"}, []string{alpha1, alpha2}},
			{"an unknown credential", domain.ReportFilter{CredentialID: "nope"}, []string{}},
			{"since the rotation: the closed cycle ended then", domain.ReportFilter{Since: days(10)}, []string{alpha2, beta, gamma}},
			{"since a second before it", domain.ReportFilter{Since: days(10).Add(-time.Second)}, []string{alpha1, alpha2, beta, gamma}},
			{"a fraction before it still overlaps", domain.ReportFilter{Since: days(10).Add(-time.Millisecond)}, []string{alpha1, alpha2, beta, gamma}},
			{"until the rotation: the new cycle starts then", domain.ReportFilter{Until: days(10)}, []string{alpha1, beta, gamma}},
			{"until a fraction after it", domain.ReportFilter{Until: days(10).Add(time.Millisecond)}, []string{alpha1, alpha2, beta, gamma}},
			{"a window before everything", domain.ReportFilter{Until: rotated}, []string{}},
			{"one credential in a window", domain.ReportFilter{CredentialID: "alpha", Since: days(11), Until: days(12)}, []string{alpha2}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				equal(t, "cycles", reportText(e.report(tc.f)), tc.want)
			})
		}
	})

	t.Run("an error from the callback stops the walk and is returned", func(t *testing.T) {
		e := seed(t)
		stop := errors.New("stop")
		n := 0
		err := e.ReportCycles(e.ctx, domain.ReportFilter{}, func(domain.CycleRecord) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("ReportCycles returned %v after %d calls, want the callback's error after 1", err, n)
		}
	})

	t.Run("an empty database has no cycles", func(t *testing.T) {
		e := newEnv(t, open)
		equal(t, "cycles", reportText(e.report(domain.ReportFilter{})), []string{})
	})
}
