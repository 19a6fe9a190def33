package domain

import (
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/schedule"
)

var day0 = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func at(h int) time.Time { return day0.Add(time.Duration(h) * time.Hour) }

func attempt(h int, status string) ReminderAttempt {
	return ReminderAttempt{Time: at(h), Stage: "7d", Channel: "ops", Status: status}
}

func TestLongestUndelivered(t *testing.T) {
	end := at(100)
	for _, tt := range []struct {
		name     string
		attempts []ReminderAttempt
		want     *Stretch
	}{
		{"nothing failed", []ReminderAttempt{attempt(1, StatusSent), attempt(2, StatusSkipped)}, nil},
		{"no attempt at all", nil, nil},
		{"a retry until the next send", []ReminderAttempt{attempt(1, StatusRetry), attempt(3, StatusSent)}, &Stretch{at(1), at(3)}},
		{"retries in a row count from the first", []ReminderAttempt{attempt(1, StatusRetry), attempt(2, StatusRetry), attempt(4, StatusSent)}, &Stretch{at(1), at(4)}},
		{"a send on another channel ends it", []ReminderAttempt{attempt(1, StatusFailed),
			{Time: at(2), Stage: "7d", Channel: "mail", Status: StatusSent}}, &Stretch{at(1), at(2)}},
		{"never delivered again: until the end", []ReminderAttempt{attempt(1, StatusSent), attempt(10, StatusFailed)}, &Stretch{at(10), end}},
		{"the longest of two", []ReminderAttempt{attempt(1, StatusRetry), attempt(2, StatusSent), attempt(5, StatusRetry), attempt(9, StatusSent),
			attempt(20, StatusRetry), attempt(22, StatusSent)}, &Stretch{at(5), at(9)}},
		{"of two equal, the first", []ReminderAttempt{attempt(1, StatusRetry), attempt(3, StatusSent), attempt(5, StatusRetry), attempt(7, StatusSent)},
			&Stretch{at(1), at(3)}},
		{"skipped and superseded neither start nor end one", []ReminderAttempt{attempt(1, StatusSkipped), attempt(2, StatusRetry),
			attempt(3, StatusSuperseded), attempt(4, StatusSkipped), attempt(6, StatusSent)}, &Stretch{at(2), at(6)}},
		{"an end before the failure gives an empty stretch", []ReminderAttempt{attempt(200, StatusRetry)}, &Stretch{at(200), at(200)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := LongestUndelivered(tt.attempts, end)
			switch {
			case got == nil && tt.want == nil:
			case got == nil || tt.want == nil || !got.From.Equal(tt.want.From) || !got.Until.Equal(tt.want.Until):
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestVerdict(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cred := Credential{ID: "a", RotatedAt: start, RotationPeriod: schedule.MustSpan("180d")}
	deadline := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	closed := func(t time.Time) *Rotation { return &Rotation{RotatedAt: t, Actor: "bob", Source: "cli"} }
	for _, tt := range []struct {
		name     string
		closed   *Rotation
		now      time.Time
		loc      *time.Location
		deadline time.Time
		outcome  string
		late     int
	}{
		{"closed a second before the deadline", closed(deadline.Add(-time.Second)), deadline.AddDate(0, 1, 0), time.UTC, deadline, OutcomeOnTime, 0},
		{"closed at the deadline: late, 0 days (deadline reached)", closed(deadline), deadline.AddDate(0, 1, 0), time.UTC, deadline, OutcomeLate, 0},
		{"closed 2 hours after: late, 0 days (deadline reached)", closed(deadline.Add(2 * time.Hour)), deadline.AddDate(0, 1, 0), time.UTC, deadline, OutcomeLate, 0},
		{"closed exactly a day after: 1 day", closed(deadline.Add(24 * time.Hour)), deadline.AddDate(0, 1, 0), time.UTC, deadline, OutcomeLate, 1},
		{"closed a day and a second after: 1 day", closed(deadline.Add(24*time.Hour + time.Second)), deadline.AddDate(0, 1, 0), time.UTC, deadline, OutcomeLate, 1},
		{"closed exactly 3 days after: 3 days", closed(deadline.Add(72 * time.Hour)), deadline.AddDate(0, 1, 0), time.UTC, deadline, OutcomeLate, 3},
		{"open, the deadline ahead", nil, deadline.Add(-time.Second), time.UTC, deadline, OutcomeOpen, 0},
		{"open at the deadline: overdue, 0 days (deadline reached)", nil, deadline, time.UTC, deadline, OutcomeOverdue, 0},
		{"overdue 5 days and an hour: 5, as status says -5", nil, deadline.Add(5*24*time.Hour + time.Hour), time.UTC, deadline, OutcomeOverdue, 5},
		{"a closing rotation after now still closes it", closed(deadline.Add(-time.Hour)), start, time.UTC, deadline, OutcomeOnTime, 0},
		// Calendar days in the zone: from midnight in Berlin (CET) to
		// midnight in Berlin (CEST), 22:00 UTC, not the 23:00 UTC that
		// 180 days of 24 hours would give.
		{"deadline in the configured zone", nil, start, berlin, time.Date(2026, 6, 29, 22, 0, 0, 0, time.UTC), OutcomeOpen, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := CycleRecord{Credential: cred, Start: start, Closed: tt.closed}
			if tt.loc != time.UTC {
				c.Start = time.Date(2026, 1, 1, 0, 0, 0, 0, tt.loc)
				c.Credential.RotatedAt = time.Time{}
			}
			v := c.Verdict(tt.now, tt.loc)
			if !v.Deadline.Equal(tt.deadline) || v.Outcome != tt.outcome || v.DaysLate != tt.late {
				t.Errorf("verdict %s %s, %d days late; want %s %s, %d", v.Deadline, v.Outcome, v.DaysLate, tt.deadline, tt.outcome, tt.late)
			}
		})
	}
	t.Run("days late are whole days as status counts them, calendar days in the cycle's zone", func(t *testing.T) {
		// Berlin moves to summer time on 2026-03-29: the calendar day after
		// a deadline at noon on the 28th ends 23 hours later.
		spring := time.Date(2026, 3, 28, 12, 0, 0, 0, berlin)
		for _, tt := range []struct {
			after time.Duration
			late  int
		}{{23*time.Hour - time.Second, 0}, {23 * time.Hour, 1}, {47 * time.Hour, 2}} {
			at := spring.Add(tt.after)
			c := CycleRecord{Credential: cred, Start: start, Deadline: spring, Zone: "Europe/Berlin", Closed: closed(at)}
			v := c.Verdict(at.AddDate(0, 1, 0), time.UTC)
			open := CycleRecord{Credential: cred, Start: start, Deadline: spring, Zone: "Europe/Berlin"}.Verdict(at, time.UTC)
			if v.Outcome != OutcomeLate || v.DaysLate != tt.late || open.Outcome != OutcomeOverdue || open.DaysLate != tt.late {
				t.Errorf("%v after: closed %s %d, open %s %d; want late and overdue, %d", tt.after, v.Outcome, v.DaysLate, open.Outcome, open.DaysLate, tt.late)
			}
			if rem := schedule.DaysRemaining(spring, at, berlin); v.DaysLate != max(0, -rem) {
				t.Errorf("%v after: days_late %d, status's days remaining %d", tt.after, v.DaysLate, rem)
			}
		}
	})
	t.Run("the explicit expires_at of the config's cycle", func(t *testing.T) {
		exp := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		c := CycleRecord{Credential: Credential{RotatedAt: start, ExpiresAt: exp, RotationPeriod: schedule.MustSpan("180d")}, Start: start}
		if v := c.Verdict(exp.Add(time.Hour), time.UTC); !v.Deadline.Equal(exp) || v.Outcome != OutcomeOverdue || v.DaysLate != 0 {
			t.Errorf("verdict %+v", v)
		}
		// A later cycle of the same credential uses the period.
		c.Start = exp
		if v := c.Verdict(exp, time.UTC); !v.Deadline.Equal(exp.AddDate(0, 0, 180)) {
			t.Errorf("later cycle's deadline %s", v.Deadline)
		}
	})
	t.Run("the undelivered stretch of an open cycle ends at now, of a closed one at its rotation", func(t *testing.T) {
		c := CycleRecord{Credential: cred, Start: start, Reminders: []ReminderAttempt{{Time: at(0), Status: StatusFailed}}}
		if v := c.Verdict(at(10), time.UTC); v.Undelivered == nil || !v.Undelivered.Until.Equal(at(10)) {
			t.Errorf("open: %+v", v.Undelivered)
		}
		c.Closed = closed(at(5))
		if v := c.Verdict(at(10), time.UTC); v.Undelivered == nil || !v.Undelivered.Until.Equal(at(5)) {
			t.Errorf("closed: %+v", v.Undelivered)
		}
	})
}
