package schedule

import (
	"fmt"
	"hash/fnv"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// record plays one tick: Plan at now, its actions written to the outbox.
func record(p Policy, c Cycle, ack Ack, sent sentSet, now time.Time, loc *time.Location) []Action {
	actions := Plan(p, c, ack, sent.has, now, loc)
	for _, a := range actions {
		sent[a.Key()] = true
	}
	return actions
}

// showTime renders a time in loc for failure messages; the zero time is "never".
func showTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "never (zero)"
	}
	return t.In(loc).Format(time.RFC3339Nano)
}

func TestNext(t *testing.T) {
	deadline := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	const day = 24 * time.Hour
	t30 := deadline.Add(-30 * day)
	t7 := deadline.Add(-7 * day)
	t1 := deadline.Add(-day)
	cycle := Cycle{Start: deadline.Add(-180 * day), Deadline: deadline}
	alice := func(at time.Time) Ack { return Ack{At: at, By: "alice"} }
	allBefore := []string{"30d", "7d", "24h"}
	never := time.Time{}

	// once is the standard ladder whose overdue stage does not repeat.
	once := ladder()
	once.Stages[3].Repeat = Span{}
	// middle is the standard ladder whose 7d stage repeats every 5 days.
	middle := ladder()
	middle.Stages[1].Repeat = MustSpan("5d")
	// lastUnless ends with an unless_acknowledged repeating overdue stage.
	lastUnless := ladder()
	lastUnless.Stages[3].UnlessAcknowledged = true

	berlin := loadLoc(t, "Europe/Berlin")
	ny := loadLoc(t, "America/New_York")
	lordHowe := loadLoc(t, "Australia/Lord_Howe")
	overdueEvery := func(repeat string) Policy {
		return Policy{Name: "overdue-" + repeat, Stages: []Stage{
			{Name: "overdue", Offset: MustSpan("0s"), After: true, Repeat: MustSpan(repeat)},
		}}
	}
	around := func(deadline time.Time) Cycle { return Cycle{Start: deadline.AddDate(0, 0, -180), Deadline: deadline} }

	// Fixtures across DST changes, checked below so that the table says
	// what it means.
	berlinFall := time.Date(2026, 10, 24, 0, 0, 0, 0, berlin)  // +1d is the 25-hour 2026-10-25
	berlinSpring := time.Date(2026, 3, 28, 0, 0, 0, 0, berlin) // +1d is the 23-hour 2026-03-29
	nyFall := time.Date(2026, 10, 31, 9, 0, 0, 0, ny)          // 2026-11-01 has 25 hours
	nySpring := time.Date(2026, 3, 7, 9, 0, 0, 0, ny)          // 2026-03-08 has 23 hours
	lhEnd := time.Date(2026, 4, 4, 9, 0, 0, 0, lordHowe)       // 2026-04-05 has 24h30m
	berlinNov := time.Date(2026, 11, 10, 0, 0, 0, 0, berlin)   // 30 days before is 721h
	for _, fx := range []struct {
		name     string
		from, to time.Time
		want     time.Duration
	}{
		{"Berlin fall day", time.Date(2026, 10, 25, 0, 0, 0, 0, berlin), time.Date(2026, 10, 26, 0, 0, 0, 0, berlin), 25 * hour},
		{"Berlin spring day", time.Date(2026, 3, 29, 0, 0, 0, 0, berlin), time.Date(2026, 3, 30, 0, 0, 0, 0, berlin), 23 * hour},
		{"New York fall day", nyFall, nyFall.AddDate(0, 0, 1), 25 * hour},
		{"New York spring day", nySpring, nySpring.AddDate(0, 0, 1), 23 * hour},
		{"Lord Howe DST end", lhEnd, lhEnd.AddDate(0, 0, 1), 24*hour + 30*time.Minute},
		{"Berlin 30 days before November 10", time.Date(2026, 10, 11, 0, 0, 0, 0, berlin), berlinNov, 721 * hour},
	} {
		if d := fx.to.Sub(fx.from); d != fx.want {
			t.Fatalf("fixture %s: %v, want %v", fx.name, d, fx.want)
		}
	}

	// inverted has stages whose thresholds swap across the Berlin spring
	// change: "1d30m" sorts first (24h30m), but one calendar day before
	// 2026-03-30 00:00 is only 23 hours, so it comes 30 minutes after "24h".
	inverted := Policy{Name: "inverted", Stages: []Stage{
		{Name: "1d30m", Offset: MustSpan("1d30m")},
		{Name: "24h", Offset: MustSpan("24h")},
	}}
	invDeadline := time.Date(2026, 3, 30, 0, 0, 0, 0, berlin)
	inv24h := time.Date(2026, 3, 28, 23, 0, 0, 0, berlin)
	if got := inverted.Stages[0].Threshold(invDeadline, berlin); !got.Equal(inv24h.Add(30 * time.Minute)) {
		t.Fatalf("fixture: 1d30m threshold %v, want 30 minutes after the 24h one", got.In(berlin))
	}

	tests := []struct {
		name   string
		policy Policy         // default ladder()
		cycle  Cycle          // default cycle
		loc    *time.Location // default UTC
		ack    Ack
		sent   []string // the outbox before the tick at now
		now    time.Time
		want   time.Time // zero: nothing ever again
	}{
		// Thresholds.
		{name: "at the start of the cycle", now: cycle.Start, want: t30},
		{name: "1ns before the 30d threshold", now: t30.Add(-time.Nanosecond), want: t30},
		{name: "exactly at the 30d threshold, its send not yet recorded", now: t30, want: t7},
		{name: "between 30d and 7d", sent: []string{"30d"}, now: t30.Add(hour), want: t7},
		{name: "1ns before 7d", sent: []string{"30d"}, now: t7.Add(-time.Nanosecond), want: t7},
		{name: "exactly at 7d, already sent", sent: []string{"30d", "7d"}, now: t7, want: t1},
		{name: "between 24h and the deadline", sent: allBefore, now: t1.Add(hour), want: deadline},
		{name: "a new cycle after a rotation", cycle: Cycle{Start: deadline.Add(2 * day), Deadline: deadline.Add(182 * day)},
			now: deadline.Add(2 * day), want: deadline.Add(152 * day)},
		{name: "no stages", policy: Policy{Name: "empty", Stages: []Stage{}}, now: t1, want: never},

		// Repeats of the last stage.
		{name: "at the deadline: overdue#0 now, #1 next", sent: allBefore, now: deadline, want: deadline.Add(day)},
		{name: "overdue +23h", sent: append(allBefore, "overdue#0"), now: deadline.Add(23 * hour), want: deadline.Add(day)},
		{name: "exactly at a repeat", sent: append(allBefore, "overdue#0"), now: deadline.Add(day), want: deadline.Add(2 * day)},
		{name: "a later repeat already in the outbox is passed over", sent: append(allBefore, "overdue#0", "overdue#1", "overdue#2"),
			now: deadline.Add(hour), want: deadline.Add(3 * day)},

		// Catch-up after downtime.
		{name: "catch-up: 30d skipped and 7d sent now, 24h next", now: deadline.Add(-3 * day), want: t1},
		{name: "catch-up straight to overdue", now: deadline.Add(2 * hour), want: deadline.Add(day)},
		{name: "downtime: only overdue#5 goes out at +5d12h, #6 next", sent: append(allBefore, "overdue#0"),
			now: deadline.Add(5*day + 12*hour), want: deadline.Add(6 * day)},

		// Acknowledgment.
		{name: "ack stops the last stage's repeats: nothing more", ack: alice(deadline.Add(hour)), sent: append(allBefore, "overdue#0"),
			now: deadline.Add(2 * hour), want: never},
		{name: "ack exactly now stops the repeat", ack: alice(deadline.Add(2 * day)), sent: append(allBefore, "overdue#0", "overdue#1"),
			now: deadline.Add(2 * day), want: never},
		{name: "a future ack taking effect at the next repeat stops it", ack: alice(deadline.Add(3 * day)),
			sent: append(allBefore, "overdue#0", "overdue#1"), now: deadline.Add(2 * day), want: never},
		{name: "a future ack after the next repeat: that repeat still goes out", ack: alice(deadline.Add(3*day + 12*hour)),
			sent: append(allBefore, "overdue#0", "overdue#1"), now: deadline.Add(2 * day), want: deadline.Add(3 * day)},
		{name: "an early ack: the overdue stage still goes out once", ack: alice(t30.Add(hour)), sent: allBefore,
			now: t1.Add(hour), want: deadline},
		{name: "an early ack: nothing after overdue#0", ack: alice(t30.Add(hour)), sent: append(allBefore, "overdue#0"),
			now: deadline.Add(hour), want: never},
		{name: "a middle stage repeats until the next threshold", policy: middle, sent: []string{"30d", "7d"},
			now: t7.Add(hour), want: t7.Add(5 * day)},
		{name: "a middle stage's next repeat is after the next threshold", policy: middle, sent: []string{"30d", "7d", "7d#1"},
			now: t7.Add(5*day + hour), want: t1},
		{name: "ack stops a middle stage's repeats: the next threshold", policy: middle, ack: alice(t7.Add(hour)),
			sent: []string{"30d", "7d"}, now: t7.Add(2 * hour), want: t1},
		// Only overdue#5 went out after the downtime; the ack stops the
		// repeats and must not bring back overdue#0.
		{name: "an ack after a catch-up repeat: nothing more", ack: alice(deadline.Add(5*day + 20*hour)),
			sent: append(allBefore, "overdue#5"), now: deadline.Add(5*day + 13*hour), want: never},

		// unless_acknowledged.
		{name: "unless_acknowledged and acked: the skip is recorded at the threshold", policy: ladderUnlessAck(),
			ack: alice(t7.Add(hour)), sent: []string{"30d", "7d"}, now: t7.Add(2 * hour), want: t1},
		{name: "unless_acknowledged skip recorded: the more urgent stage still comes", policy: ladderUnlessAck(),
			ack: alice(t7.Add(hour)), sent: allBefore, now: t1.Add(hour), want: deadline},
		{name: "unless_acknowledged not acked: sent at its threshold", policy: ladderUnlessAck(),
			sent: []string{"30d", "7d"}, now: t7.Add(2 * hour), want: t1},
		{name: "unless_acknowledged acked in the future: still sent at its threshold", policy: ladderUnlessAck(),
			ack: alice(t1.Add(hour)), sent: []string{"30d", "7d"}, now: t7.Add(2 * hour), want: t1},
		{name: "an acked unless_acknowledged last stage: its skip at the deadline", policy: lastUnless,
			ack: alice(t7.Add(hour)), sent: allBefore, now: t1.Add(hour), want: deadline},
		{name: "an acked unless_acknowledged last stage, skip recorded: nothing more", policy: lastUnless,
			ack: alice(t7.Add(hour)), sent: append(allBefore, "overdue"), now: deadline.Add(hour), want: never},

		// The last stage without repeat.
		{name: "the last stage without repeat goes out now: nothing more", policy: once, sent: allBefore, now: deadline, want: never},
		{name: "the last stage without repeat already sent", policy: once, sent: append(allBefore, "overdue"),
			now: deadline.Add(40 * day), want: never},

		// Calendar days across DST changes.
		{name: "Berlin: the 30d threshold is local midnight, 721h before", loc: berlin, cycle: around(berlinNov),
			now: time.Date(2026, 10, 10, 12, 0, 0, 0, berlin), want: time.Date(2026, 10, 11, 0, 0, 0, 0, berlin)},
		{name: "UTC: the same cycle's 30d threshold is 720h before", cycle: around(berlinNov),
			now: time.Date(2026, 10, 10, 12, 0, 0, 0, berlin), want: berlinNov.Add(-720 * hour)},
		{name: "Berlin fall, 1d repeat: 25h to the next local midnight", loc: berlin, policy: overdueEvery("1d"), cycle: around(berlinFall),
			sent: []string{"overdue#0", "overdue#1"}, now: time.Date(2026, 10, 25, 1, 0, 0, 0, berlin), want: time.Date(2026, 10, 26, 0, 0, 0, 0, berlin)},
		{name: "Berlin fall, 24h repeat: exact hours", loc: berlin, policy: overdueEvery("24h"), cycle: around(berlinFall),
			sent: []string{"overdue#0", "overdue#1"}, now: time.Date(2026, 10, 25, 1, 0, 0, 0, berlin), want: time.Date(2026, 10, 25, 23, 0, 0, 0, berlin)},
		{name: "Berlin spring, 1d repeat: 23h to the next local midnight", loc: berlin, policy: overdueEvery("1d"), cycle: around(berlinSpring),
			sent: []string{"overdue#0", "overdue#1"}, now: time.Date(2026, 3, 29, 1, 0, 0, 0, berlin), want: time.Date(2026, 3, 30, 0, 0, 0, 0, berlin)},
		{name: "Berlin spring, 24h repeat: exact hours", loc: berlin, policy: overdueEvery("24h"), cycle: around(berlinSpring),
			sent: []string{"overdue#0", "overdue#1"}, now: time.Date(2026, 3, 29, 1, 0, 0, 0, berlin), want: time.Date(2026, 3, 30, 1, 0, 0, 0, berlin)},
		{name: "New York fall, 1d repeat: same wall clock", loc: ny, policy: overdueEvery("1d"), cycle: around(nyFall),
			sent: []string{"overdue#0"}, now: nyFall.Add(hour), want: time.Date(2026, 11, 1, 9, 0, 0, 0, ny)},
		{name: "New York fall, 24h repeat: an hour earlier on the wall clock", loc: ny, policy: overdueEvery("24h"), cycle: around(nyFall),
			sent: []string{"overdue#0"}, now: nyFall.Add(hour), want: time.Date(2026, 11, 1, 8, 0, 0, 0, ny)},
		{name: "New York spring, 1d repeat: same wall clock", loc: ny, policy: overdueEvery("1d"), cycle: around(nySpring),
			sent: []string{"overdue#0"}, now: nySpring.Add(hour), want: time.Date(2026, 3, 8, 9, 0, 0, 0, ny)},
		{name: "New York spring, 36h repeat: exact hours", loc: ny, policy: overdueEvery("36h"), cycle: around(nySpring),
			sent: []string{"overdue#0"}, now: nySpring.Add(hour), want: time.Date(2026, 3, 8, 22, 0, 0, 0, ny)},
		{name: "New York spring, 1d12h repeat: a calendar day then 12h", loc: ny, policy: overdueEvery("1d12h"), cycle: around(nySpring),
			sent: []string{"overdue#0"}, now: nySpring.Add(hour), want: time.Date(2026, 3, 8, 21, 0, 0, 0, ny)},
		{name: "Lord Howe, 1d repeat across the 30-minute change", loc: lordHowe, policy: overdueEvery("1d"), cycle: around(lhEnd),
			sent: []string{"overdue#0"}, now: lhEnd.Add(hour), want: time.Date(2026, 4, 5, 9, 0, 0, 0, lordHowe)},
		{name: "Lord Howe, 24h repeat across the 30-minute change", loc: lordHowe, policy: overdueEvery("24h"), cycle: around(lhEnd),
			sent: []string{"overdue#0"}, now: lhEnd.Add(hour), want: time.Date(2026, 4, 5, 8, 30, 0, 0, lordHowe)},
		{name: "thresholds swapped by DST: the first to pass", loc: berlin, policy: inverted, cycle: around(invDeadline),
			now: inv24h.Add(-hour), want: inv24h},
		{name: "thresholds swapped by DST: the later, less urgent one does nothing", loc: berlin, policy: inverted, cycle: around(invDeadline),
			now: inv24h, want: never},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.policy
			if p.Stages == nil {
				p = ladder()
			}
			c := tt.cycle
			if c.Deadline.IsZero() {
				c = cycle
			}
			loc := tt.loc
			if loc == nil {
				loc = time.UTC
			}
			sent := keys(tt.sent...)
			got := Next(p, c, tt.ack, sent.has, tt.now, loc)
			if !got.Equal(tt.want) {
				t.Fatalf("Next at %s = %s, want %s", showTime(tt.now, loc), showTime(got, loc), showTime(tt.want, loc))
			}
			// The tick at now records its actions; Next is the same then.
			now := record(p, c, tt.ack, sent, tt.now, loc)
			if again := Next(p, c, tt.ack, sent.has, tt.now, loc); !again.Equal(got) {
				t.Errorf("after recording %q Next = %s, want %s", describe(now), showTime(again, loc), showTime(got, loc))
			}
			if got.IsZero() {
				return
			}
			// Tight: Plan does something at Next, and nothing 1ns before.
			if a := Plan(p, c, tt.ack, sent.has, got, loc); len(a) == 0 {
				t.Errorf("Plan at Next (%s) does nothing", showTime(got, loc))
			}
			if before := got.Add(-time.Nanosecond); before.After(tt.now) {
				if a := Plan(p, c, tt.ack, sent.has, before, loc); len(a) != 0 {
					t.Errorf("Plan 1ns before Next does %q", describe(a))
				}
			}
		})
	}
}

// TestNextPassesOverManyRecordedRepeats: an outbox that already holds the
// next repeats (a `tick --at` in the future did that) is walked over, and
// beyond maxNextSteps Next gives up with an early but safe moment.
func TestNextPassesOverManyRecordedRepeats(t *testing.T) {
	deadline := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	c := Cycle{Start: deadline.AddDate(0, 0, -180), Deadline: deadline}
	p := Policy{Stages: []Stage{{Name: "overdue", After: true, Repeat: MustSpan("1h")}}}

	sent := sentSet{}
	for seq := range 500 {
		sent[Key{"overdue", seq}] = true
	}
	if got, want := Next(p, c, Ack{}, sent.has, deadline, time.UTC), deadline.Add(500*hour); !got.Equal(want) {
		t.Errorf("with repeats 0..499 recorded: Next = %v, want %v", got, want)
	}

	all := func(Key) bool { return true }
	got := Next(p, c, Ack{}, all, deadline, time.UTC)
	if want := deadline.Add(maxNextSteps * hour); !got.Equal(want) {
		t.Errorf("with every repeat recorded: Next = %v, want the step bound %v", got, want)
	}
	if a := Plan(p, c, Ack{}, all, got, time.UTC); len(a) != 0 {
		t.Errorf("Plan at the step bound does %q", describe(a))
	}
}

// TestNextDrivesPlan runs the same cycles twice: once ticking every 30
// minutes (every threshold and repeat here falls on a half hour in UTC,
// Lord Howe included), once waking only at the moments Next returns. Both
// must record exactly the same history.
func TestNextDrivesPlan(t *testing.T) {
	const day = 24 * time.Hour
	unless := ladderUnlessAck()
	unless.Name = "unless-ack"
	daily := ladder()
	daily.Name = "daily"
	daily.Stages[3].Repeat = MustSpan("1d")
	middle := ladder()
	middle.Name = "middle"
	middle.Stages[1].Repeat = MustSpan("1d12h")
	middle.Stages[3].Repeat = MustSpan("36h")
	policies := []Policy{ladder(), unless, hourLadder(), daily, middle}

	type zoneCase struct {
		zone      string
		deadlines []time.Time
	}
	var zones []zoneCase
	for _, z := range []struct {
		name  string
		dates [][3]int // year, month, day of deadlines near DST changes
	}{
		{"UTC", [][3]int{{2026, 6, 15}}},
		{"Europe/Berlin", [][3]int{{2026, 3, 31}, {2026, 10, 27}}},
		{"America/New_York", [][3]int{{2026, 3, 10}, {2026, 11, 3}}},
		{"Australia/Lord_Howe", [][3]int{{2026, 4, 7}, {2026, 10, 6}}},
	} {
		loc := loadLoc(t, z.name)
		zc := zoneCase{zone: z.name}
		for _, d := range z.dates {
			zc.deadlines = append(zc.deadlines, time.Date(d[0], time.Month(d[1]), d[2], 9, 0, 0, 0, loc))
		}
		zones = append(zones, zc)
	}

	history := func(a Action) string {
		return fmt.Sprintf("%s %s#%d due %s (%s)", a.Kind, a.Stage.Name, a.Seq, a.Due.UTC().Format(time.RFC3339), a.Reason)
	}
	for _, zc := range zones {
		loc := loadLoc(t, zc.zone)
		for _, deadline := range zc.deadlines {
			c := Cycle{Start: deadline.Add(-40 * day), Deadline: deadline}
			end := deadline.Add(8 * day)
			acks := []Ack{{}, {At: deadline.Add(-6 * day), By: "early"}, {At: deadline.Add(30*hour + 30*time.Minute), By: "late"}}
			for _, p := range policies {
				for _, ack := range acks {
					name := fmt.Sprintf("%s/%s/%s/ack=%s", zc.zone, deadline.Format("2006-01-02"), p.Name, ack.By)
					var ticked, woken []string
					sent := sentSet{}
					for now := c.Start.Truncate(30 * time.Minute); !now.After(end); now = now.Add(30 * time.Minute) {
						for _, a := range record(p, c, ack, sent, now, loc) {
							ticked = append(ticked, history(a))
						}
					}
					sent = sentSet{}
					wakes := 0
					for now := c.Start; !now.IsZero() && !now.After(end); wakes++ {
						actions := record(p, c, ack, sent, now, loc)
						if wakes > 0 && len(actions) == 0 {
							t.Errorf("%s: woken at %v for nothing", name, now.In(loc))
						}
						for _, a := range actions {
							woken = append(woken, history(a))
						}
						next := Next(p, c, ack, sent.has, now, loc)
						if !next.IsZero() && !next.After(now) {
							t.Fatalf("%s: Next at %v = %v, not after now", name, now, next)
						}
						now = next
					}
					if !slices.Equal(ticked, woken) {
						t.Errorf("%s:\nticking every 30m: %q\nwoken by Next:     %q", name, ticked, woken)
					}
					if len(ticked) < 3 {
						t.Errorf("%s: only %d actions, the fixture is too short", name, len(ticked))
					}
				}
			}
		}
	}
}

// nextZones are the zones the property test and the fuzz target draw from:
// no DST, the European and the American rules, and a 30-minute change.
var nextZones = func() []*time.Location {
	var out []*time.Location
	for _, name := range []string{"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			panic(err)
		}
		out = append(out, loc)
	}
	return out
}()

// dstDates are local dates of DST changes in nextZones (2026), so that
// deadlines and thresholds often land next to one.
var dstDates = [][3]int{
	{2026, 3, 8}, {2026, 11, 1}, // New York
	{2026, 3, 29}, {2026, 10, 25}, // Berlin
	{2026, 4, 5}, {2026, 10, 4}, // Lord Howe
}

// nextCase is one situation for the property test and the fuzz target.
type nextCase struct {
	loc     *time.Location
	policy  Policy
	cycle   Cycle
	ack     Ack
	history []time.Time // earlier ticks, whose actions are in the outbox
	extra   []Key       // deliveries recorded otherwise (a tick --at a later time)
	now     time.Time
}

func (c nextCase) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "zone %s\n", c.loc)
	for _, s := range c.policy.Stages {
		dir := "before"
		if s.After {
			dir = "after"
		}
		fmt.Fprintf(&b, "stage %s: %s %s, repeat %s, unless_acknowledged %v\n", s.Name, dir, s.Offset, s.Repeat, s.UnlessAcknowledged)
	}
	fmt.Fprintf(&b, "cycle %s → deadline %s\n", showTime(c.cycle.Start, c.loc), showTime(c.cycle.Deadline, c.loc))
	fmt.Fprintf(&b, "ack %s until %s\n", showTime(c.ack.At, c.loc), showTime(c.ack.Until, c.loc))
	for _, h := range c.history {
		fmt.Fprintf(&b, "earlier tick %s\n", showTime(h, c.loc))
	}
	for _, k := range c.extra {
		fmt.Fprintf(&b, "also recorded %s#%d\n", k.Stage, k.Seq)
	}
	fmt.Fprintf(&b, "now %s", showTime(c.now, c.loc))
	return b.String()
}

// byteSource reads decisions from fuzz input; past its end every byte is 0.
type byteSource struct {
	data []byte
	i    int
}

func (s *byteSource) byte() byte {
	if s.i >= len(s.data) {
		return 0
	}
	b := s.data[s.i]
	s.i++
	return b
}

func (s *byteSource) intn(n int) int { return int(s.byte()) % n }

// span draws a span of up to maxDays days and maxHours hours, sometimes
// with 30 minutes more (Lord Howe's change is 30 minutes).
func (s *byteSource) span(maxDays, maxHours int) Span {
	kind := s.byte()
	var sp Span
	if kind&1 != 0 {
		sp.Days = s.intn(maxDays + 1)
	}
	if kind&2 != 0 {
		sp.Clock = time.Duration(s.intn(maxHours+1)) * time.Hour
	}
	if kind&4 != 0 {
		sp.Clock += 30 * time.Minute
	}
	return sp
}

// jitter moves t by nothing, 1ns, minutes, hours or days, either way.
func (s *byteSource) jitter(t time.Time) time.Time {
	b := s.byte()
	sign := time.Duration(1)
	if b&1 != 0 {
		sign = -1
	}
	switch (b >> 1) % 5 {
	case 0:
		return t
	case 1:
		return t.Add(sign * time.Nanosecond)
	case 2:
		return t.Add(sign * time.Duration(1+s.intn(59)) * time.Minute)
	case 3:
		return t.Add(sign * time.Duration(1+s.intn(47)) * time.Hour)
	default:
		return t.Add(sign * time.Duration(1+s.intn(240)) * time.Hour)
	}
}

// decodeNextCase turns bytes into a case: a ladder of 1 to 5 stages
// (offsets in days, hours and half hours, before or after the deadline,
// some repeating, some unless_acknowledged), a cycle in 2026–2027 often next
// to a DST change, an ack (none, before now, after now, anywhere; sometimes a
// snooze ending near a threshold or repeat), earlier
// ticks and now, the times drawn near the thresholds and repeats. It reports
// false for a ladder SortStages refuses.
func decodeNextCase(data []byte) (nextCase, bool) {
	s := &byteSource{data: data}
	var c nextCase
	c.loc = nextZones[s.intn(len(nextZones))]

	var date time.Time
	if s.byte()&1 == 0 {
		date = time.Date(2026, 1, 1+(int(s.byte())<<8|int(s.byte()))%730, 0, 0, 0, 0, c.loc)
	} else {
		d := dstDates[s.intn(len(dstDates))]
		date = time.Date(d[0], time.Month(d[1]), d[2]+s.intn(7)-3, 0, 0, 0, 0, c.loc)
	}
	minute := []int{0, 0, 0, 30, 15, 59}[s.intn(6)]
	deadline := time.Date(date.Year(), date.Month(), date.Day(), s.intn(24), minute, 0, 0, c.loc)
	start := deadline.AddDate(0, 0, -180)
	if s.intn(4) == 0 {
		start = deadline.Add(-time.Duration(s.intn(60*24)) * time.Hour) // a short cycle
	}
	c.cycle = Cycle{Start: start, Deadline: deadline}

	n := 1 + s.intn(5)
	stages := make([]Stage, 0, n)
	for i := range n {
		flags := s.byte()
		st := Stage{Name: fmt.Sprintf("s%d", i), After: flags&1 != 0, UnlessAcknowledged: flags&2 != 0}
		st.Offset = s.span(40, 48)
		if flags&4 != 0 {
			st.Repeat = s.span(3, 36)
			if st.Repeat.IsZero() {
				st.Repeat = Span{Clock: time.Hour}
			}
		}
		stages = append(stages, st)
	}
	if SortStages(stages) != nil {
		return nextCase{}, false
	}
	c.policy = Policy{Name: "random", Stages: stages}

	// Times are drawn near these moments.
	refs := []time.Time{start, deadline}
	for _, st := range stages {
		thr := st.Threshold(deadline, c.loc)
		refs = append(refs, thr)
		if !st.Repeat.IsZero() {
			for k := 1; k <= 3; k++ {
				refs = append(refs, st.Repeat.Add(thr, k, c.loc))
			}
		}
	}
	pick := func() time.Time { return s.jitter(refs[s.intn(len(refs))]) }

	c.now = pick()
	for range s.intn(4) {
		if h := pick(); !h.After(c.now) {
			c.history = append(c.history, h)
		}
	}
	slices.SortFunc(c.history, time.Time.Compare)
	switch s.intn(4) {
	case 1: // before now (or exactly now)
		c.ack = Ack{At: c.now.Add(-c.now.Sub(s.jitter(c.now)).Abs()), By: "before"}
	case 2: // after now
		c.ack = Ack{At: c.now.Add(c.now.Sub(s.jitter(c.now)).Abs() + time.Nanosecond), By: "after"}
	case 3: // near some threshold or repeat
		c.ack = Ack{At: pick(), By: "near"}
	}
	if s.intn(8) == 0 {
		for range 1 + s.intn(3) {
			c.extra = append(c.extra, Key{stages[s.intn(len(stages))].Name, s.intn(6)})
		}
	}
	// A snooze (drawn last, so that older inputs decode as before): the
	// ack ends near a threshold or repeat, or a span after it.
	if !c.ack.At.IsZero() && s.intn(3) == 1 {
		c.ack.Until = pick()
		if !c.ack.Until.After(c.ack.At) {
			c.ack.Until = c.ack.At.Add(time.Duration(1+s.intn(96)) * time.Hour)
		}
	}
	return c, true
}

// nextSamples are moments strictly between from and to at which Plan could
// change its mind: every threshold, the ack, the first repeats of every
// stage after from, each also 1ns earlier; plus count random moments.
func nextSamples(c nextCase, from, to time.Time, rng *rand.Rand, count int) []time.Time {
	var out []time.Time
	add := func(t time.Time) {
		for _, t := range []time.Time{t, t.Add(-time.Nanosecond)} {
			if t.After(from) && t.Before(to) {
				out = append(out, t)
			}
		}
	}
	add(c.ack.At)
	add(c.ack.Until)
	add(to)
	add(from.Add(2 * time.Nanosecond))
	for _, st := range c.policy.Stages {
		thr := st.Threshold(c.cycle.Deadline, c.loc)
		add(thr)
		if st.Repeat.IsZero() {
			continue
		}
		k := 1
		if !thr.After(from) {
			k = st.Repeat.Count(thr, from, c.loc) + 1
		}
		for i := range 4 {
			add(st.Repeat.Add(thr, k+i, c.loc))
		}
	}
	if span := to.Sub(from); span > 1 {
		for range count {
			out = append(out, from.Add(1+time.Duration(rng.Int64N(int64(span-1)))))
		}
	}
	return out
}

// checkNext simulates an engine that records Plan's actions and then sleeps
// until Next, three times from c.now, and checks at each step that (a) Next
// is zero or after now, and the same whether or not the tick's actions were
// already recorded; (b) Plan has nothing to do strictly between now and
// Next (up to a horizon 400 days past the deadline when Next is zero); (c)
// Plan has something to do at Next.
func checkNext(c nextCase, rng *rand.Rand, samples int) error {
	p, cyc, ack, loc := c.policy, c.cycle, c.ack, c.loc
	sent := sentSet{}
	for _, h := range c.history {
		record(p, cyc, ack, sent, h, loc)
	}
	for _, k := range c.extra {
		sent[k] = true
	}
	now := c.now
	for step := range 3 {
		before := maps.Clone(sent)
		did := record(p, cyc, ack, sent, now, loc)
		n := Next(p, cyc, ack, before.has, now, loc)
		fail := func(format string, args ...any) error {
			return fmt.Errorf("step %d: at %s Plan did %q and Next = %s: %s\ncase:\n%v",
				step, showTime(now, loc), describe(did), showTime(n, loc), fmt.Sprintf(format, args...), c)
		}
		if again := Next(p, cyc, ack, sent.has, now, loc); !again.Equal(n) {
			return fail("once recorded, Next = %s", showTime(again, loc))
		}
		if !n.IsZero() && !n.After(now) {
			return fail("(a) not after now")
		}
		end := n
		if n.IsZero() {
			end = cyc.Deadline
			if now.After(end) {
				end = now
			}
			end = end.AddDate(0, 0, 400)
		}
		for _, at := range nextSamples(c, now, end, rng, samples) {
			if a := Plan(p, cyc, ack, sent.has, at, loc); len(a) != 0 {
				return fail("(b) Plan at %s, before Next, does %q", showTime(at, loc), describe(a))
			}
		}
		if n.IsZero() {
			return nil
		}
		if a := Plan(p, cyc, ack, sent.has, n, loc); len(a) == 0 {
			return fail("(c) Plan at Next does nothing")
		}
		now = n
	}
	return nil
}

// sampleRNG seeds the random sample times from the case's bytes, so that a
// failure reproduces from the bytes alone.
func sampleRNG(data []byte) *rand.Rand {
	h := fnv.New64a()
	h.Write(data)
	return rand.New(rand.NewPCG(h.Sum64(), 0x6e657874))
}

// TestNextProperties checks Next against Plan on random cases drawn from a
// fixed seed. A failure prints the case and the bytes that reproduce it
// (add them to FuzzNext's seeds or to testdata/fuzz/FuzzNext).
func TestNextProperties(t *testing.T) {
	const iterations = 20000
	rng := rand.New(rand.NewPCG(20260615, 180))
	data := make([]byte, 64)
	valid := 0
	for i := range iterations {
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		c, ok := decodeNextCase(data)
		if !ok {
			continue
		}
		valid++
		if err := checkNext(c, sampleRNG(data), 16); err != nil {
			t.Fatalf("case %d: %v\nto reproduce, save as testdata/fuzz/FuzzNext/case%d and run go test -run FuzzNext:\ngo test fuzz v1\n[]byte(%+q)", i, err, i, data)
		}
	}
	if valid < iterations/2 {
		t.Errorf("only %d of %d random ladders were valid", valid, iterations)
	}
}

func FuzzNext(f *testing.F) {
	// The seeds are random bytes picked for what they decode to.
	f.Add([]byte{}) // UTC, one stage at the deadline, already recorded
	// Berlin, days-based repeats, earlier ticks, an ack after Next.
	f.Add([]byte("\xe9\x7f\xccH\xb6Kz\b\xca\xe1xV[\x97\xd1V\xe5@a%\xcd6\xe0\xf5\x83M\xbf\xeb\x95I\x9e\xdf\xdd\fc\u026f\x00\u0103"))
	// New York, five stages, a delivery recorded by other means.
	f.Add([]byte("\n7\x00\u02ec2\xe3T\xb7\x8dA\xc3\f=;\x87\x94\xc1[\xe7\x18\x91\xd9\xf6\xc6]\r'\a\xfd\xa6\xd9\xd6v+\f\fZ \xda"))
	// New York, a short cycle started after its first stage was due.
	f.Add([]byte("\x1e\u04f5|\u0665\x98\xde0\xaer\xa1\xa4J\xe6\x02\x18\xe3\x93G_+\xec\xfb\xacnP\xbc{6d@\x93\x84\xf7kcM\xb5\x11"))
	// Lord Howe, half-hour repeats caught up, an ack 1ns after now at
	// which Plan sends seq 0 again.
	f.Add([]byte("\x83H\xefI\x00\x9eW\xfa\xa5\xcc,)\x18\x04\x19\x06\x85V\xab~\xbe\x8bcObK\xf0\xf0\xca\xec\xf8&m\xfd<y\x8b<\xdf\x7f"))
	// UTC, acknowledged, a repeating last stage: nothing ever again.
	f.Add([]byte("\x90up\xd2.)\xdc\xe3}\xe7\xbb(5z\x1e^L\x1e4\xbdC\xf9\x00\x03\xac\xe3Q\x96\x8d\x12\xce\x02\x06\xa4\x1d\xec'\x96\\\xfa"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, ok := decodeNextCase(data)
		if !ok {
			t.Skip("SortStages refuses the ladder")
		}
		if err := checkNext(c, sampleRNG(data), 64); err != nil {
			t.Fatal(err)
		}
	})
}

func BenchmarkNext(b *testing.B) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		b.Fatal(err)
	}
	deadline := time.Date(2026, 11, 10, 0, 0, 0, 0, berlin)
	c := Cycle{Start: deadline.AddDate(0, 0, -180), Deadline: deadline}
	p := ladder()
	sent := keys("30d", "7d", "24h", "overdue#0", "overdue#1")
	now := deadline.Add(30 * hour)
	for b.Loop() {
		Next(p, c, Ack{}, sent.has, now, berlin)
	}
}
