package schedule

import (
	"testing"
	"time"
)

// Tests that pin down behaviour mutation testing (scripts/mutation) found
// unasserted.

// The error for two stages due at the same time names them in the order the
// policy lists them, whatever sorting does with ties: the operator reads it
// next to the file.
func TestSortStagesNamesTiedStagesInWrittenOrder(t *testing.T) {
	tests := []struct {
		stages []Stage
		want   string
	}{
		{
			stages: []Stage{{Name: "final", Offset: MustSpan("24h")}, {Name: "last-day", Offset: MustSpan("1d")}},
			want:   `stages "final" and "last-day" are due at the same time`,
		},
		{
			stages: []Stage{{Name: "last-day", Offset: MustSpan("1d")}, {Name: "final", Offset: MustSpan("24h")}},
			want:   `stages "last-day" and "final" are due at the same time`,
		},
		{
			stages: []Stage{
				{Name: "overdue", Offset: MustSpan("0s"), After: true},
				{Name: "30d", Offset: MustSpan("30d")},
				{Name: "at-deadline", Offset: MustSpan("0s")},
			},
			want: `stages "overdue" and "at-deadline" are due at the same time`,
		},
	}
	for _, tt := range tests {
		err := SortStages(tt.stages)
		if err == nil || err.Error() != tt.want {
			t.Errorf("SortStages: %v, want %q", err, tt.want)
		}
	}
}

// "0d" is zero days, a valid span, alone or in front of a clock part.
func TestParseSpanZeroDays(t *testing.T) {
	for in, want := range map[string]Span{
		"0d":    {},
		"0d12h": {Clock: 12 * time.Hour},
		"0d0s":  {},
	} {
		got, err := ParseSpan(in)
		if err != nil || got != want {
			t.Errorf("ParseSpan(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
}

// A repeat due at the very instant of the acknowledgment is not one "due
// before the acknowledgment came": the cycle is acknowledged at that
// instant. After downtime in which nothing went out, the acknowledged
// overdue stage sends repeat 0, not the repeat due as alice acknowledged.
func TestPlanRepeatDueAtTheAcknowledgmentIsNotSent(t *testing.T) {
	deadline := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	cycle := Cycle{Start: deadline.Add(-180 * day), Deadline: deadline}
	ack := Ack{At: deadline.Add(24 * time.Hour), By: "alice"} // overdue#1 is due then
	now := deadline.Add(30 * time.Hour)
	got := describe(Plan(ladder(), cycle, ack, keys("30d", "7d", "24h").has, now, time.UTC))
	want := []string{act("send", "overdue#0", deadline)}
	if len(got) != 1 || got[0] != want[0] {
		t.Errorf("Plan = %v, want %v", got, want)
	}

	// The same, with an acknowledgment one second later: repeat 1 was due
	// before it, and is the one that goes out.
	ack.At = ack.At.Add(time.Second)
	got = describe(Plan(ladder(), cycle, ack, keys("30d", "7d", "24h").has, now, time.UTC))
	want = []string{act("send", "overdue#1", deadline.Add(24*time.Hour))}
	if len(got) != 1 || got[0] != want[0] {
		t.Errorf("Plan with the ack 1s later = %v, want %v", got, want)
	}
}

// In a zone without DST a calendar day is 24 hours, so the estimate that
// DaysRemaining and DaysOverdue start their search from, the duration in
// days rounded up, is already the answer: the loops after it only correct
// for DST. The table states the rounding at each edge.
func TestCeilDaysIsTheAnswerWithoutDST(t *testing.T) {
	deadline := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		left time.Duration // deadline - now
		want int
	}{
		{0, 0},
		{time.Nanosecond, 1},
		{time.Hour, 1},
		{24 * time.Hour, 1},
		{24*time.Hour + time.Nanosecond, 2},
		{36 * time.Hour, 2},
		{48 * time.Hour, 2},
		{30 * 24 * time.Hour, 30},
		{-time.Hour, 0},
		{-24 * time.Hour, -1},
		{-25 * time.Hour, -1},
	} {
		if got := ceilDays(deadline.Add(-tt.left), deadline); got != tt.want {
			t.Errorf("ceilDays(%v) = %d, want %d", tt.left, got, tt.want)
		}
		if got := DaysRemaining(deadline, deadline.Add(-tt.left), time.UTC); got != tt.want {
			t.Errorf("DaysRemaining with %v left = %d, want %d", tt.left, got, tt.want)
		}
	}
}
