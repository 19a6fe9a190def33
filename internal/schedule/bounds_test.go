package schedule

import (
	"math"
	"testing"
	"time"
)

// promptly runs f and fails the test if it has not returned within a
// minute: a hang detector for inputs that used to spin forever, not a
// measure of speed (f takes microseconds).
func promptly(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	timer := time.NewTimer(time.Minute)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		t.Fatalf("%s did not return within a minute: unbounded work", what)
	}
}

// huge is the rotation period that made `notifier status` spin: 2^48 days.
var huge = Span{Days: 281474976710656}

func TestSpanAddSaturates(t *testing.T) {
	from := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		sp   Span
		from time.Time
		n    int
		want time.Time
	}{
		{"2^48 days", huge, from, 1, latest},
		{"2^48 days back", huge, from, -1, earliest},
		{"the largest int of days", Span{Days: math.MaxInt}, from, 1, latest},
		{"the largest int of days, times -1", Span{Days: math.MaxInt}, from, -1, earliest},
		{"100 years, 2^40 times", MaxSpan, from, 1 << 40, latest},
		{"a minute, 2^40 times", Span{Clock: time.Minute}, from, 1 << 40, latest},
		{"a minute, -2^40 times", Span{Clock: time.Minute}, from, -(1 << 40), earliest},
		{"the longest Duration, the largest int times", Span{Clock: math.MaxInt64}, from, math.MaxInt, latest},
		{"the longest Duration, the smallest int times", Span{Clock: math.MaxInt64}, from, math.MinInt, earliest},
		{"180d from 10 days before MaxTime", Span{Days: 180}, MaxTime.AddDate(0, 0, -10), 1, latest},
		{"1h from MaxTime", Span{Clock: time.Hour}, MaxTime, 1, latest},
		{"2h from MaxTime", Span{Clock: 2 * time.Hour}, MaxTime, 1, latest},
		// Exact past a Duration's 292 years: 4 * 2^62 ns is 18446744073.709551616 s.
		{"4 * 2^62 ns, exact", Span{Clock: 1 << 62}, from, 4, time.Unix(from.Unix()+18446744073, 709551616)},
		{"a second, 2^34 times, exact", Span{Clock: time.Second}, from, 1 << 34, time.Unix(from.Unix()+1<<34, 0)},
		{"a second, -1.5e9 times, exact", Span{Clock: time.Second}, from, -1_500_000_000, time.Unix(from.Unix()-1_500_000_000, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got time.Time
			promptly(t, "Add", func() { got = tt.sp.Add(tt.from, tt.n, time.UTC) })
			if !got.Equal(tt.want) {
				t.Errorf("%+v.Add(%v, %d) = %v, want %v", tt.sp, tt.from, tt.n, got, tt.want)
			}
		})
	}
}

func TestSpanApproxSaturates(t *testing.T) {
	for _, tt := range []struct {
		sp   Span
		want time.Duration
	}{
		{huge, math.MaxInt64},
		{Span{Days: 106751, Clock: 24 * time.Hour}, math.MaxInt64}, // 106752 days do not fit
		{Span{Days: 106751}, 106751 * day},
		{Span{Days: math.MinInt}, math.MinInt64},
		{MaxSpan, 36500 * day},
	} {
		if got := tt.sp.Approx(); got != tt.want {
			t.Errorf("%+v.Approx() = %d, want %d", tt.sp, got, tt.want)
		}
	}
}

func TestSpanTooLong(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"36500d", false},
		{"876000h", false}, // 36500 days of 24 hours
		{"36499d24h", false},
		{"36500d1ns", true},
		{"36501d", true},
		{"876000h1s", true},
		{"281474976710656d", true},
		{"9223372036854775807d", true},
		{"2562047h47m16.854775807s", true}, // the longest Duration
		{"180d", false},
	} {
		if got := MustSpan(tt.in).TooLong(); got != tt.want {
			t.Errorf("%s.TooLong() = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// Count is exact and bounded however many steps lie between from and now:
// a minute's repeats across eight thousand years, a period of 2^48 days.
func TestSpanCountFarApart(t *testing.T) {
	berlin := loadLoc(t, "Europe/Berlin")
	lastDay := time.Date(9999, 12, 30, 0, 0, 0, 0, berlin)
	tests := []struct {
		name     string
		sp       Span
		loc      *time.Location
		from     time.Time
		now      time.Time
		want     int
		definite bool // want is the largest n with from+n*sp <= now
	}{
		{"minutes from MinTime to MaxTime", Span{Clock: time.Minute}, time.UTC, MinTime, MaxTime,
			int((MaxTime.Unix() - MinTime.Unix()) / 60), true},
		{"seconds from MinTime to MaxTime", Span{Clock: time.Second}, time.UTC, MinTime, MaxTime,
			int(MaxTime.Unix() - MinTime.Unix()), true},
		{"calendar days in Berlin", Span{Days: 1}, berlin, time.Date(1970, 1, 1, 0, 0, 0, 0, berlin), lastDay,
			int((time.Date(9999, 12, 30, 0, 0, 0, 0, time.UTC).Unix() - MinTime.Unix()) / 86400), true},
		{"calendar days in Berlin, 1ns before", Span{Days: 1}, berlin, time.Date(1970, 1, 1, 0, 0, 0, 0, berlin), lastDay.Add(-time.Nanosecond),
			int((time.Date(9999, 12, 30, 0, 0, 0, 0, time.UTC).Unix()-MinTime.Unix())/86400) - 1, true},
		{"2^48 days, never reached", huge, time.UTC, MinTime, MaxTime.Add(-time.Second), 0, true},
		{"2^48 days, at MaxTime", huge, time.UTC, MinTime, MaxTime, 0, true},
		// Add saturates just past MaxTime, so every n reaches a now past
		// that: Count stops at its bound instead of counting forever.
		{"nanoseconds: the bound", Span{Clock: 1}, time.UTC, MinTime, MaxTime, maxCount, false},
		{"2^48 days, past MaxTime", huge, time.UTC, MinTime, latest, maxCount, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got int
			promptly(t, "Count", func() { got = tt.sp.Count(tt.from, tt.now, tt.loc) })
			if got != tt.want {
				t.Fatalf("Count = %d, want %d", got, tt.want)
			}
			if !tt.definite {
				return
			}
			if tt.sp.Add(tt.from, got, tt.loc).After(tt.now) {
				t.Errorf("from + %d steps is after now", got)
			}
			if !tt.sp.Add(tt.from, got+1, tt.loc).After(tt.now) {
				t.Errorf("from + %d steps is not after now: Count is not the largest", got+1)
			}
		})
	}
}

// A deadline 2^48 days out (a rotation period an older version stored)
// saturates at MaxTime; the days to it are counted at once.
func TestDaysRemainingFarDeadlines(t *testing.T) {
	berlin := loadLoc(t, "Europe/Berlin")
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	days := func(from, to time.Time) int { return int((to.Unix() - from.Unix()) / 86400) } // whole days apart
	far := time.Unix(1<<40, 0)                                                             // year 36812
	tests := []struct {
		name          string
		deadline, now time.Time
		loc           *time.Location
		remaining     int
		overdue       int
	}{
		{"2^48 days out", huge.Add(now, 1, time.UTC), now, time.UTC, days(now, latest) + 1, 0},
		{"2^48 days out in Berlin", huge.Add(now, 1, berlin), now, berlin, days(now, latest), 0}, // 02:00 local both
		{"MaxTime from MinTime", MaxTime, MinTime, time.UTC, days(MinTime, MaxTime), 0},
		{"MinTime from MaxTime", MinTime, MaxTime, time.UTC, -days(MinTime, MaxTime), days(MinTime, MaxTime)},
		{"year 1 from MaxTime", earliest, MaxTime, time.UTC, -days(earliest, MaxTime), days(earliest, MaxTime)},
		{"the zero time from year 36812", time.Time{}, far, time.UTC, -days(time.Time{}, far), days(time.Time{}, far)}, // overdue is minus remaining
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rem, over int
			promptly(t, "DaysRemaining and DaysOverdue", func() {
				rem = DaysRemaining(tt.deadline, tt.now, tt.loc)
				over = DaysOverdue(tt.deadline, tt.now, tt.loc)
			})
			if rem != tt.remaining || over != tt.overdue {
				t.Errorf("DaysRemaining = %d, DaysOverdue = %d; want %d, %d", rem, over, tt.remaining, tt.overdue)
			}
		})
	}
}

// Plan, Next and Upcoming on a ladder with a 2^48-day period stay bounded.
func TestScheduleWithHugePeriod(t *testing.T) {
	p := Policy{Name: "p", Stages: []Stage{
		{Name: "30d", Offset: Span{Days: 30}, Channels: []string{"c"}},
		{Name: "overdue", After: true, Repeat: Span{Clock: time.Minute}, Channels: []string{"c"}},
	}}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := Cycle{Start: start, Deadline: huge.Add(start, 1, time.UTC)}
	none := func(Key) bool { return false }
	for _, now := range []time.Time{start, MaxTime.AddDate(0, 0, -40), MaxTime, MaxTime.Add(time.Hour)} {
		promptly(t, "Plan, Next and Upcoming", func() {
			Plan(p, c, Ack{}, none, now, time.UTC)
			Next(p, c, Ack{}, none, now, time.UTC)
			Upcoming(p, c, Ack{}, none, now, MaxTime, time.UTC, 30)
		})
	}
}
