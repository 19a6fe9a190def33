package schedule

import (
	"testing"
	"time"
)

func TestDaysRemaining(t *testing.T) {
	berlin := loadLoc(t, "Europe/Berlin")
	ny := loadLoc(t, "America/New_York")

	deadline := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	thr30 := deadline.Add(-30 * 24 * time.Hour) // "before: 30d" in UTC

	// Fall: 30 calendar days before 2026-11-10 00:00 Berlin is
	// 2026-10-11 00:00 CEST, 721 real hours earlier.
	fallDeadline := time.Date(2026, 11, 10, 0, 0, 0, 0, berlin)
	fallThr := time.Date(2026, 10, 11, 0, 0, 0, 0, berlin)
	if d := fallDeadline.Sub(fallThr); d != 721*time.Hour {
		t.Fatalf("fall fixture: %v between threshold and deadline, want 721h", d)
	}
	// Spring: 30 calendar days before 2026-04-10 00:00 Berlin is
	// 2026-03-11 00:00 CET, 719 real hours earlier.
	springDeadline := time.Date(2026, 4, 10, 0, 0, 0, 0, berlin)
	springThr := time.Date(2026, 3, 11, 0, 0, 0, 0, berlin)
	if d := springDeadline.Sub(springThr); d != 719*time.Hour {
		t.Fatalf("spring fixture: %v between threshold and deadline, want 719h", d)
	}
	// New York fall: 7 calendar days before 2026-11-05 09:00 is 169h.
	nyDeadline := time.Date(2026, 11, 5, 9, 0, 0, 0, ny)
	nyThr := time.Date(2026, 10, 29, 9, 0, 0, 0, ny)

	tests := []struct {
		name     string
		deadline time.Time
		now      time.Time
		loc      *time.Location
		want     int
	}{
		{"at the 30d threshold", deadline, thr30, time.UTC, 30},
		{"1s after the 30d threshold", deadline, thr30.Add(time.Second), time.UTC, 30},
		{"1s before the 30d threshold", deadline, thr30.Add(-time.Second), time.UTC, 31},
		{"29d23h59m59s before", deadline, deadline.Add(-(30*24*time.Hour - time.Second)), time.UTC, 30},
		{"29 days before", deadline, deadline.Add(-29 * 24 * time.Hour), time.UTC, 29},
		{"24h before", deadline, deadline.Add(-24 * time.Hour), time.UTC, 1},
		{"24h+1ns before", deadline, deadline.Add(-24*time.Hour - time.Nanosecond), time.UTC, 2},
		{"1ns before", deadline, deadline.Add(-time.Nanosecond), time.UTC, 1},
		{"at the deadline", deadline, deadline, time.UTC, 0},
		{"1h after", deadline, deadline.Add(time.Hour), time.UTC, 0},
		{"23h59m after", deadline, deadline.Add(23*time.Hour + 59*time.Minute), time.UTC, 0},
		{"24h-1ns after", deadline, deadline.Add(24*time.Hour - time.Nanosecond), time.UTC, 0},
		{"exactly 24h after", deadline, deadline.Add(24 * time.Hour), time.UTC, -1},
		{"25h after", deadline, deadline.Add(25 * time.Hour), time.UTC, -1},
		{"49h after", deadline, deadline.Add(49 * time.Hour), time.UTC, -2},

		{"fall DST: at the 30d threshold (721h)", fallDeadline, fallThr, berlin, 30},
		{"fall DST: 1s after the threshold", fallDeadline, fallThr.Add(time.Second), berlin, 30},
		{"fall DST: 1s before the threshold", fallDeadline, fallThr.Add(-time.Second), berlin, 31},
		{"fall DST: 720h before is after the threshold", fallDeadline, fallDeadline.Add(-720 * time.Hour), berlin, 30},
		{"fall DST: in UTC the same instant is 721h = 31 days", fallDeadline, fallThr, time.UTC, 31},

		{"spring DST: at the 30d threshold (719h)", springDeadline, springThr, berlin, 30},
		{"spring DST: 1s after the threshold", springDeadline, springThr.Add(time.Second), berlin, 30},
		{"spring DST: 1s before the threshold", springDeadline, springThr.Add(-time.Second), berlin, 31},
		{"spring DST: 720h before is before the threshold", springDeadline, springDeadline.Add(-720 * time.Hour), berlin, 31},

		{"new york fall: at the 7d threshold (169h)", nyDeadline, nyThr, ny, 7},
		{"new york fall: 1s before the 7d threshold", nyDeadline, nyThr.Add(-time.Second), ny, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DaysRemaining(tt.deadline, tt.now, tt.loc); got != tt.want {
				t.Errorf("DaysRemaining(%v, %v) = %d, want %d", tt.deadline.In(tt.loc), tt.now.In(tt.loc), got, tt.want)
			}
		})
	}
}

func TestDaysRemainingMatchesStageThreshold(t *testing.T) {
	// Whatever the zone and DST, a "before: Nd" stage says N at its threshold.
	for _, zone := range []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"} {
		loc := loadLoc(t, zone)
		for _, deadline := range []time.Time{
			time.Date(2026, 11, 10, 0, 0, 0, 0, loc),
			time.Date(2026, 4, 10, 0, 0, 0, 0, loc),
			time.Date(2026, 3, 20, 9, 30, 0, 0, loc),
			time.Date(2026, 11, 3, 17, 0, 0, 0, loc),
		} {
			for _, n := range []int{1, 7, 30, 180} {
				st := Stage{Name: "s", Offset: Span{Days: n}}
				thr := st.Threshold(deadline, loc)
				if got := DaysRemaining(deadline, thr, loc); got != n {
					t.Errorf("%s: deadline %v, %dd threshold %v: DaysRemaining = %d, want %d", zone, deadline, n, thr, got, n)
				}
				if got := DaysRemaining(deadline, thr.Add(-time.Nanosecond), loc); got != n+1 {
					t.Errorf("%s: deadline %v, 1ns before the %dd threshold: DaysRemaining = %d, want %d", zone, deadline, n, got, n+1)
				}
			}
		}
	}
}

func TestDaysOverdue(t *testing.T) {
	deadline := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		now  time.Time
		want int
	}{
		{"30 days before", deadline.Add(-30 * 24 * time.Hour), 0},
		{"1ns before", deadline.Add(-time.Nanosecond), 0},
		{"at the deadline", deadline, 0},
		// One rule for days (issue 16): minus DaysRemaining, so the first
		// day after the deadline is "deadline reached" (0), not 1.
		{"1ns after", deadline.Add(time.Nanosecond), 0},
		{"1h after", deadline.Add(time.Hour), 0},
		{"24h after", deadline.Add(24 * time.Hour), 1},
		{"24h+1ns after", deadline.Add(24*time.Hour + time.Nanosecond), 1},
		{"48h after", deadline.Add(48 * time.Hour), 2},
		{"48h+1ns after", deadline.Add(48*time.Hour + time.Nanosecond), 2},
		{"10 days after", deadline.Add(10 * 24 * time.Hour), 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DaysOverdue(deadline, tt.now, time.UTC); got != tt.want {
				t.Errorf("DaysOverdue at %v = %d, want %d", tt.now, got, tt.want)
			}
		})
	}

	// Across the Berlin fall change the first day after the deadline is
	// 25 real hours: a whole day overdue only after them.
	berlin := loadLoc(t, "Europe/Berlin")
	bd := time.Date(2026, 10, 25, 0, 0, 0, 0, berlin)
	for _, tt := range []struct {
		now  time.Time
		want int
	}{
		{bd.Add(24*time.Hour + time.Nanosecond), 0},
		{bd.Add(25 * time.Hour), 1},
		{bd.Add(25*time.Hour + time.Nanosecond), 1},
	} {
		if got := DaysOverdue(bd, tt.now, berlin); got != tt.want {
			t.Errorf("Berlin: DaysOverdue(%v, %v) = %d, want %d", bd, tt.now.In(berlin), got, tt.want)
		}
	}

	// Across the spring change the first day after the deadline is 23
	// real hours: 23h after 2026-03-28 12:00 CET is a whole day overdue.
	sd := time.Date(2026, 3, 28, 12, 0, 0, 0, berlin)
	for _, tt := range []struct {
		now  time.Time
		want int
	}{
		{sd.Add(22 * time.Hour), 0},
		{sd.Add(23 * time.Hour), 1},
		{sd.Add(23*time.Hour + time.Nanosecond), 1},
		{sd.Add(23*time.Hour + 30*time.Minute), 1},
		{sd.Add(47 * time.Hour), 2},
		{sd.Add(47*time.Hour + time.Nanosecond), 2},
	} {
		if got := DaysOverdue(sd, tt.now, berlin); got != tt.want {
			t.Errorf("Berlin spring: DaysOverdue(%v, %v) = %d, want %d", sd, tt.now.In(berlin), got, tt.want)
		}
	}
}

func TestFinal(t *testing.T) {
	deadline := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		now  time.Time
		want bool
	}{
		{"48h before", deadline.Add(-48 * time.Hour), false},
		{"24h+1ns before", deadline.Add(-24*time.Hour - time.Nanosecond), false},
		{"exactly 24h before", deadline.Add(-24 * time.Hour), true},
		{"1h before", deadline.Add(-time.Hour), true},
		{"1ns before", deadline.Add(-time.Nanosecond), true},
		{"at the deadline", deadline, false},
		{"1h after", deadline.Add(time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Final(deadline, tt.now); got != tt.want {
				t.Errorf("Final at %v = %v, want %v", tt.now, got, tt.want)
			}
		})
	}
}

// One rule for days everywhere (issue 16): a message's "overdue by N
// days" is the -N days remaining that status and plan show, in every zone
// and across DST changes, at whole days and at fractions of one.
func TestDaysOverdueIsMinusDaysRemaining(t *testing.T) {
	berlin := loadLoc(t, "Europe/Berlin")
	utcDeadline := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	fall := time.Date(2026, 10, 25, 0, 0, 0, 0, berlin)       // 25 real hours to the next midnight
	spring := time.Date(2026, 3, 28, 12, 0, 0, 0, berlin)     // 23 real hours to the next noon
	fallBefore := time.Date(2026, 10, 20, 9, 0, 0, 0, berlin) // the change lies between deadline and now
	tests := []struct {
		name      string
		deadline  time.Time
		after     time.Duration
		loc       *time.Location
		remaining int // what status and plan say
	}{
		{"at the deadline", utcDeadline, 0, time.UTC, 0},
		{"1ns after", utcDeadline, time.Nanosecond, time.UTC, 0},
		{"12h after", utcDeadline, 12 * time.Hour, time.UTC, 0},
		{"24h after", utcDeadline, 24 * time.Hour, time.UTC, -1},
		{"24h+1ns after", utcDeadline, 24*time.Hour + time.Nanosecond, time.UTC, -1},
		{"8 days and a half after", utcDeadline, 8*24*time.Hour + 12*time.Hour, time.UTC, -8},
		{"9 days after", utcDeadline, 9 * 24 * time.Hour, time.UTC, -9},
		{"Berlin fall: 24h after", fall, 24 * time.Hour, berlin, 0},
		{"Berlin fall: 25h after", fall, 25 * time.Hour, berlin, -1},
		{"Berlin fall: 30h after", fall, 30 * time.Hour, berlin, -1},
		{"Berlin spring: 23h after", spring, 23 * time.Hour, berlin, -1},
		{"Berlin spring: 22h after", spring, 22 * time.Hour, berlin, 0},
		{"Berlin spring: 47h after", spring, 47 * time.Hour, berlin, -2},
		{"Berlin spring: 46h30m after", spring, 46*time.Hour + 30*time.Minute, berlin, -1},
		{"Berlin: a change in between, 8 days 1h after", fallBefore, 8*24*time.Hour + time.Hour, berlin, -8},
		{"Berlin: a change in between, 8 days after", fallBefore, 8 * 24 * time.Hour, berlin, -7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.deadline.Add(tt.after)
			rem := DaysRemaining(tt.deadline, now, tt.loc)
			over := DaysOverdue(tt.deadline, now, tt.loc)
			if rem != tt.remaining || over != -tt.remaining {
				t.Errorf("%v after the deadline: DaysRemaining = %d, DaysOverdue = %d; want %d, %d", tt.after, rem, over, tt.remaining, -tt.remaining)
			}
		})
	}
	// Before the deadline nothing is overdue.
	if got := DaysOverdue(utcDeadline, utcDeadline.Add(-time.Hour), time.UTC); got != 0 {
		t.Errorf("1h before the deadline: DaysOverdue = %d, want 0", got)
	}
}
