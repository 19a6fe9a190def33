package schedule

import (
	"reflect"
	"testing"
	"time"
)

// TestPlanSnooze: while a snooze lasts repeats stop; when it ends the latest
// repeat missed during it goes out once, due at the end, and the repeats
// resume on the stage's rhythm (from its threshold); a more urgent stage
// still goes out during a snooze, and one marked unless_acknowledged waits
// for the end.
func TestPlanSnooze(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	d := time.Date(2026, 12, 1, 9, 0, 0, 0, berlin)
	c := Cycle{Start: d.AddDate(0, 0, -180), Deadline: d}
	over := Ack{At: d.Add(25 * hour), By: "alice", Until: d.Add(100 * hour)}
	early := Ack{At: d.AddDate(0, 0, -8), By: "bob", Until: d.Add(-12 * hour)}
	all := keys("30d", "7d", "24h")
	with := func(s sentSet, ks ...string) sentSet {
		out := keys(ks...)
		for k := range s {
			out[k] = true
		}
		return out
	}
	cases := []struct {
		name   string
		policy Policy
		ack    Ack
		sent   sentSet
		now    time.Time
		want   []string
	}{
		{"snoozed: the repeat due during it does not go out", ladder(), over, with(all, "overdue#0", "overdue#1"), d.Add(50 * hour), []string{}},
		{"just before the end", ladder(), over, with(all, "overdue#0", "overdue#1"), d.Add(100*hour - time.Nanosecond), []string{}},
		{"at the end: one repeat, due at the end", ladder(), over, with(all, "overdue#0", "overdue#1"), d.Add(100 * hour),
			[]string{act("send", "overdue#4", d.Add(100*hour))}},
		{"then the rhythm from the threshold", ladder(), over, with(all, "overdue#0", "overdue#1", "overdue#4"), d.Add(120 * hour),
			[]string{act("send", "overdue#5", d.Add(120*hour))}},
		{"nothing between the end's repeat and the next", ladder(), over, with(all, "overdue#0", "overdue#1", "overdue#4"), d.Add(119 * hour), []string{}},
		{"down across the end: only the latest repeat", ladder(), over, with(all, "overdue#0", "overdue#1"), d.Add(130 * hour),
			[]string{act("send", "overdue#5", d.Add(120*hour))}},
		{"a more urgent stage goes out during a snooze", ladder(), early, keys("30d"), d.AddDate(0, 0, -7),
			[]string{act("send", "7d", d.AddDate(0, 0, -7))}},
		{"and the next one too", ladder(), early, keys("30d", "7d"), d.Add(-24 * hour),
			[]string{act("send", "24h", d.Add(-24*hour))}},
		{"unless_acknowledged waits for the end", ladderUnlessAck(), early, keys("30d", "7d"), d.Add(-24 * hour), []string{}},
		{"unless_acknowledged goes out at the end", ladderUnlessAck(), early, keys("30d", "7d"), d.Add(-12 * hour),
			[]string{act("send", "24h", d.Add(-12*hour))}},
		{"a plain ack keeps today's meaning", ladderUnlessAck(), Ack{At: early.At, By: "bob"}, keys("30d", "7d"), d.Add(-12 * hour),
			[]string{"skip 24h#0 @" + d.Add(-24*hour).UTC().Format(time.RFC3339Nano)}},
		{"a snooze with no repeat missed sends nothing at its end", ladder(), Ack{At: d.Add(25 * hour), By: "alice", Until: d.Add(30 * hour)},
			with(all, "overdue#0", "overdue#1"), d.Add(30 * hour), []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := describe(Plan(tc.policy, c, tc.ack, tc.sent.has, tc.now, berlin))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Plan at %s = %q, want %q", showTime(tc.now, berlin), got, tc.want)
			}
		})
	}
}

// TestAcknowledgedSnooze: a snooze is in force from its start until (not
// including) its end; a plain acknowledgment from its start on.
func TestAcknowledgedSnooze(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	snooze := Ack{At: at, By: "alice", Until: at.Add(24 * hour)}
	for _, tc := range []struct {
		ack  Ack
		now  time.Time
		want bool
	}{
		{snooze, at.Add(-time.Nanosecond), false},
		{snooze, at, true},
		{snooze, at.Add(24*hour - time.Nanosecond), true},
		{snooze, at.Add(24 * hour), false},
		{Ack{At: at, By: "bob"}, at.AddDate(1, 0, 0), true},
	} {
		if got := tc.ack.Acknowledged(tc.now); got != tc.want {
			t.Errorf("%+v.Acknowledged(%s) = %v, want %v", tc.ack, tc.now, got, tc.want)
		}
	}
}

// TestNextSnooze: Next wakes at a snooze's end when a repeat is due then.
func TestNextSnooze(t *testing.T) {
	d := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	c := Cycle{Start: d.AddDate(0, 0, -180), Deadline: d}
	ack := Ack{At: d.Add(25 * hour), By: "alice", Until: d.Add(100 * hour)}
	sent := keys("30d", "7d", "24h", "overdue#0", "overdue#1")
	if got := Next(ladder(), c, ack, sent.has, d.Add(50*hour), time.UTC); !got.Equal(d.Add(100 * hour)) {
		t.Errorf("Next during the snooze = %s, want its end %s", showTime(got, time.UTC), showTime(d.Add(100*hour), time.UTC))
	}
}

// TestNextThreshold: "until the next stage" is the next stage's threshold
// after the moment; none after the last stage.
func TestNextThreshold(t *testing.T) {
	d := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		at        time.Time
		want      time.Time
		wantStage string
	}{
		{d.AddDate(0, 0, -40), d.AddDate(0, 0, -30), "30d"},
		{d.AddDate(0, 0, -8), d.AddDate(0, 0, -7), "7d"},
		{d.AddDate(0, 0, -7), d.Add(-24 * hour), "24h"},
		{d.Add(-hour), d, "overdue"},
		{d, time.Time{}, ""},
	} {
		got, stage := NextThreshold(ladder(), d, tc.at, time.UTC)
		if !got.Equal(tc.want) || stage != tc.wantStage {
			t.Errorf("NextThreshold at %s = %s %q, want %s %q", tc.at, got, stage, tc.want, tc.wantStage)
		}
	}
}
