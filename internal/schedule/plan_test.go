package schedule

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const hour = time.Hour

// ladder is the standard policy: 30d, 7d, 24h, then overdue every 24h.
func ladder() Policy {
	return Policy{Name: "standard", Stages: []Stage{
		{Name: "30d", Offset: MustSpan("30d"), Channels: []string{"email"}},
		{Name: "7d", Offset: MustSpan("7d"), Channels: []string{"email", "slack"}},
		{Name: "24h", Offset: MustSpan("24h"), Channels: []string{"slack"}},
		{Name: "overdue", Offset: MustSpan("0s"), After: true, Repeat: MustSpan("24h"), Channels: []string{"slack", "sns"}},
	}}
}

// ladderUnlessAck is the standard ladder whose 24h stage is
// unless_acknowledged.
func ladderUnlessAck() Policy {
	p := ladder()
	p.Stages[2].UnlessAcknowledged = true
	return p
}

// hourLadder is the standard ladder written with exact "h" spans only.
func hourLadder() Policy {
	return Policy{Name: "hours", Stages: []Stage{
		{Name: "720h", Offset: MustSpan("720h")},
		{Name: "168h", Offset: MustSpan("168h")},
		{Name: "24h", Offset: MustSpan("24h")},
		{Name: "overdue", Offset: MustSpan("0s"), After: true, Repeat: MustSpan("24h")},
	}}
}

// sentSet is the outbox as Plan sees it: a delivery exists for a key.
type sentSet map[Key]bool

func (s sentSet) has(k Key) bool { return s[k] }

func keys(ks ...string) sentSet {
	s := sentSet{}
	for _, k := range ks {
		var name string
		var seq int
		if i := strings.IndexByte(k, '#'); i >= 0 {
			name = k[:i]
			if _, err := fmt.Sscanf(k[i+1:], "%d", &seq); err != nil {
				panic(k)
			}
		} else {
			name = k
		}
		s[Key{name, seq}] = true
	}
	return s
}

// describe renders actions as "send 7d#0 @2026-06-08T12:00:00Z" (due in UTC)
// so that tables can state them exactly.
func describe(actions []Action) []string {
	out := []string{}
	for _, a := range actions {
		out = append(out, fmt.Sprintf("%s %s#%d @%s", a.Kind, a.Stage.Name, a.Seq, a.Due.UTC().Format(time.RFC3339Nano)))
	}
	return out
}

func act(kind, key string, due time.Time) string {
	if !strings.Contains(key, "#") {
		key += "#0"
	}
	return fmt.Sprintf("%s %s @%s", kind, key, due.UTC().Format(time.RFC3339Nano))
}

func TestStageThreshold(t *testing.T) {
	berlin := loadLoc(t, "Europe/Berlin")
	nov := time.Date(2026, 11, 10, 0, 0, 0, 0, berlin)
	oct26 := time.Date(2026, 10, 26, 0, 0, 0, 0, berlin)
	oct25 := time.Date(2026, 10, 25, 0, 0, 0, 0, berlin)
	tests := []struct {
		name     string
		stage    Stage
		deadline time.Time
		loc      *time.Location
		want     time.Time
	}{
		{"before 30d stays on local midnight", Stage{Offset: MustSpan("30d")}, nov, berlin,
			time.Date(2026, 10, 11, 0, 0, 0, 0, berlin)},
		{"before 30d in UTC is 720h", Stage{Offset: MustSpan("30d")}, nov, time.UTC,
			nov.Add(-720 * hour)},
		{"before 7d", Stage{Offset: MustSpan("7d")}, nov, berlin,
			time.Date(2026, 11, 3, 0, 0, 0, 0, berlin)},
		{"before 36h", Stage{Offset: MustSpan("36h")}, nov, berlin,
			time.Date(2026, 11, 8, 12, 0, 0, 0, berlin)},
		{"before 1d across the change is 25h", Stage{Offset: MustSpan("1d")}, oct26, berlin,
			oct25},
		{"before 24h across the change is exact", Stage{Offset: MustSpan("24h")}, oct26, berlin,
			time.Date(2026, 10, 25, 1, 0, 0, 0, berlin)},
		{"after 0s is the deadline", Stage{Offset: MustSpan("0s"), After: true}, nov, berlin, nov},
		{"before 0s is the deadline", Stage{Offset: MustSpan("0s")}, nov, berlin, nov},
		{"after 1d across the change", Stage{Offset: MustSpan("1d"), After: true}, oct25, berlin, oct26},
		{"after 24h across the change", Stage{Offset: MustSpan("24h"), After: true}, oct25, berlin,
			time.Date(2026, 10, 25, 23, 0, 0, 0, berlin)},
		{"after 1d12h", Stage{Offset: MustSpan("1d12h"), After: true}, nov, berlin,
			time.Date(2026, 11, 11, 12, 0, 0, 0, berlin)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.stage.Threshold(tt.deadline, tt.loc); !got.Equal(tt.want) {
				t.Errorf("Threshold = %v, want %v", got.In(tt.loc), tt.want.In(tt.loc))
			}
		})
	}
}

func TestSortStages(t *testing.T) {
	names := func(ss []Stage) []string {
		var out []string
		for _, s := range ss {
			out = append(out, s.Name)
		}
		return out
	}
	tests := []struct {
		name    string
		stages  []Stage
		want    []string // order after sorting, when no error
		wantErr []string // substrings of the error
	}{
		{
			name: "shuffled standard ladder",
			stages: []Stage{
				{Name: "overdue", Offset: MustSpan("0s"), After: true},
				{Name: "7d", Offset: MustSpan("7d")},
				{Name: "24h", Offset: MustSpan("24h")},
				{Name: "30d", Offset: MustSpan("30d")},
			},
			want: []string{"30d", "7d", "24h", "overdue"},
		},
		{
			name: "mixed units and several overdue stages",
			stages: []Stage{
				{Name: "after-3d", Offset: MustSpan("3d"), After: true},
				{Name: "after-1h", Offset: MustSpan("1h"), After: true},
				{Name: "36h", Offset: MustSpan("36h")},
				{Name: "1d", Offset: MustSpan("1d")},
				{Name: "2d", Offset: MustSpan("2d")},
				{Name: "1d13h", Offset: MustSpan("1d13h")},
				{Name: "at", Offset: MustSpan("0s")},
			},
			want: []string{"2d", "1d13h", "36h", "1d", "at", "after-1h", "after-3d"},
		},
		{
			name:   "already sorted",
			stages: ladder().Stages,
			want:   []string{"30d", "7d", "24h", "overdue"},
		},
		{
			name:    "24h and 1d are due at the same time",
			stages:  []Stage{{Name: "final", Offset: MustSpan("24h")}, {Name: "last-day", Offset: MustSpan("1d")}},
			wantErr: []string{`"final"`, `"last-day"`, "same time"},
		},
		{
			name: "before 0s and after 0s are both the deadline",
			stages: []Stage{
				{Name: "30d", Offset: MustSpan("30d")},
				{Name: "overdue", Offset: MustSpan("0s"), After: true},
				{Name: "deadline", Offset: MustSpan("0s")},
			},
			wantErr: []string{`"overdue"`, `"deadline"`},
		},
		{
			name:    "7d and 168h",
			stages:  []Stage{{Name: "week", Offset: MustSpan("7d")}, {Name: "a", Offset: MustSpan("30d")}, {Name: "hours", Offset: MustSpan("168h")}},
			wantErr: []string{`"week"`, `"hours"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ss := slices.Clone(tt.stages)
			err := SortStages(ss)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("SortStages(%v) = nil, want an error", names(tt.stages))
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %s", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("SortStages: %v", err)
			}
			if got := names(ss); !slices.Equal(got, tt.want) {
				t.Errorf("order = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestActive(t *testing.T) {
	p := ladder()
	d := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		now  time.Time
		want int
	}{
		{d.Add(-30*24*hour - time.Nanosecond), -1},
		{d.Add(-30 * 24 * hour), 0},
		{d.Add(-7 * 24 * hour), 1},
		{d.Add(-24*hour - time.Nanosecond), 1},
		{d.Add(-24 * hour), 2},
		{d.Add(-time.Nanosecond), 2},
		{d, 3},
		{d.Add(100 * 24 * hour), 3},
	} {
		if got := Active(p, d, tt.now, time.UTC); got != tt.want {
			t.Errorf("Active at %v = %d, want %d", tt.now, got, tt.want)
		}
	}
}

func TestPlan(t *testing.T) {
	deadline := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	const day = 24 * time.Hour
	t30 := deadline.Add(-30 * day)
	t7 := deadline.Add(-7 * day)
	t1 := deadline.Add(-day)
	cycle := Cycle{Start: deadline.Add(-180 * day), Deadline: deadline}
	alice := func(at time.Time) Ack { return Ack{At: at, By: "alice"} }
	allBefore := []string{"30d", "7d", "24h"}

	tests := []struct {
		name    string
		policy  Policy // default ladder()
		cycle   Cycle  // default cycle
		ack     Ack
		sent    []string
		now     time.Time
		want    []string
		reasons map[string]string // stage name -> substring of its Skip reason
	}{
		{name: "at the start of the cycle", now: cycle.Start},
		{name: "1ns before the 30d threshold", now: t30.Add(-time.Nanosecond)},
		{name: "exactly at the 30d threshold", now: t30,
			want: []string{act("send", "30d", t30)}},
		{name: "an hour after the 30d threshold, not sent yet", now: t30.Add(hour),
			want: []string{act("send", "30d", t30)}},
		{name: "30d already sent", sent: []string{"30d"}, now: t30.Add(hour)},
		{name: "30d already sent, a day before 7d", sent: []string{"30d"}, now: t7.Add(-day)},
		{name: "7d at its threshold", sent: []string{"30d"}, now: t7,
			want: []string{act("send", "7d", t7)}},
		{name: "24h at its threshold", sent: []string{"30d", "7d"}, now: t1,
			want: []string{act("send", "24h", t1)}},
		{name: "catch-up: 3 days before with nothing sent", now: deadline.Add(-3 * day),
			want:    []string{act("skip", "30d", t30), act("send", "7d", t7)},
			reasons: map[string]string{"30d": "missed"}},
		{name: "catch-up recorded: the skip counts as done", sent: []string{"30d", "7d"}, now: deadline.Add(-3 * day)},
		{name: "catch-up after a long outage straight to overdue", now: deadline.Add(2 * hour),
			want:    []string{act("skip", "30d", t30), act("skip", "7d", t7), act("skip", "24h", t1), act("send", "overdue", deadline)},
			reasons: map[string]string{"30d": "missed", "7d": "missed", "24h": "missed"}},
		{name: "catch-up: only the missed ones are skipped", sent: []string{"30d"}, now: deadline,
			want: []string{act("skip", "7d", t7), act("skip", "24h", t1), act("send", "overdue", deadline)}},
		{name: "overdue at deadline+0", sent: allBefore, now: deadline,
			want: []string{act("send", "overdue", deadline)}},
		{name: "overdue +23h, seq 0 sent", sent: append(allBefore, "overdue#0"), now: deadline.Add(23 * hour)},
		{name: "overdue 1ns before +24h, seq 0 sent", sent: append(allBefore, "overdue#0"), now: deadline.Add(day - time.Nanosecond)},
		{name: "overdue +24h", sent: append(allBefore, "overdue#0"), now: deadline.Add(day),
			want: []string{act("send", "overdue#1", deadline.Add(day))}},
		{name: "overdue +24h, seq 1 sent", sent: append(allBefore, "overdue#0", "overdue#1"), now: deadline.Add(day + hour)},
		{name: "downtime: +5d12h with seq 0 sent → only seq 5", sent: append(allBefore, "overdue#0"), now: deadline.Add(5*day + 12*hour),
			want: []string{act("send", "overdue#5", deadline.Add(5*day))}},
		{name: "ack stops repeats", ack: alice(deadline.Add(hour)), sent: append(allBefore, "overdue#0"), now: deadline.Add(48 * hour)},
		{name: "ack stops repeats long after", ack: alice(deadline.Add(hour)), sent: append(allBefore, "overdue#0"), now: deadline.Add(30 * day)},
		{name: "ack at exactly now counts", ack: alice(deadline.Add(48 * hour)), sent: append(allBefore, "overdue#0", "overdue#1"), now: deadline.Add(48 * hour)},
		// After downtime only overdue#5 went out; the ack must not bring
		// back overdue#0 (it did: the repeat reset to 0 once acknowledged).
		{name: "ack after a catch-up repeat sends nothing more", ack: alice(deadline.Add(5*day + 20*hour)),
			sent: append(allBefore, "overdue#5"), now: deadline.Add(6 * day)},
		{name: "ack while a repeat was missed: the missed one is not sent late", ack: alice(deadline.Add(4*day + hour)),
			sent: append(allBefore, "overdue#0", "overdue#1"), now: deadline.Add(5 * day)},
		{name: "ack after now does not count yet", ack: alice(deadline.Add(72 * hour)), sent: append(allBefore, "overdue#0", "overdue#1"), now: deadline.Add(48 * hour),
			want: []string{act("send", "overdue#2", deadline.Add(48*hour))}},
		{name: "ack after now does not skip unless_acknowledged", policy: ladderUnlessAck(), ack: alice(t1.Add(hour)), sent: []string{"30d", "7d"}, now: t1,
			want: []string{act("send", "24h", t1)}},
		{name: "a more urgent stage goes out after an ack", ack: alice(deadline.Add(-10 * day)), sent: []string{"30d"}, now: t7,
			want: []string{act("send", "7d", t7)}},
		{name: "overdue goes out once after an early ack", ack: alice(deadline.Add(-10 * day)), sent: allBefore, now: deadline.Add(3 * hour),
			want: []string{act("send", "overdue", deadline)}},
		{name: "but is not repeated after an early ack", ack: alice(deadline.Add(-10 * day)), sent: append(allBefore, "overdue#0"), now: deadline.Add(3 * day)},
		{name: "ack during downtime: overdue sent once, seq 0", ack: alice(deadline.Add(hour)), sent: allBefore, now: deadline.Add(5 * day),
			want: []string{act("send", "overdue", deadline)}},
		{name: "unless_acknowledged stage skipped when acked", policy: ladderUnlessAck(), ack: alice(t7.Add(hour)), sent: []string{"30d", "7d"}, now: t1,
			want:    []string{act("skip", "24h", t1)},
			reasons: map[string]string{"24h": "acknowledged by alice at " + t7.Add(hour).Format(time.RFC3339)}},
		{name: "unless_acknowledged skip recorded", policy: ladderUnlessAck(), ack: alice(t7.Add(hour)), sent: []string{"30d", "7d", "24h"}, now: t1.Add(hour)},
		{name: "unless_acknowledged stage sent when not acked", policy: ladderUnlessAck(), sent: []string{"30d", "7d"}, now: t1,
			want: []string{act("send", "24h", t1)}},
		{name: "after an unless_acknowledged skip the overdue stage still goes out", policy: ladderUnlessAck(), ack: alice(t7.Add(hour)), sent: []string{"30d", "7d", "24h"}, now: deadline,
			want: []string{act("send", "overdue", deadline)}},
		{name: "rotation: a new cycle with an empty outbox has nothing due",
			cycle: Cycle{Start: deadline.Add(2 * day), Deadline: deadline.Add(182 * day)}, now: deadline.Add(2 * day)},
		{name: "rotation: the new cycle's 30d stage comes on time",
			cycle: Cycle{Start: deadline.Add(2 * day), Deadline: deadline.Add(182 * day)}, now: deadline.Add(152 * day),
			want: []string{act("send", "30d", deadline.Add(152*day))}},
		{name: "short cycle started after the 30d stage was due",
			cycle: Cycle{Start: deadline.Add(-3 * day), Deadline: deadline}, now: deadline.Add(-3 * day),
			want:    []string{act("skip", "30d", t30), act("send", "7d", t7)},
			reasons: map[string]string{"30d": "the cycle started after this stage was due"}},
		{name: "short cycle: a stage due at the very start is missed, not pre-cycle",
			cycle: Cycle{Start: t30, Deadline: deadline}, now: deadline.Add(-3 * day),
			want:    []string{act("skip", "30d", t30), act("send", "7d", t7)},
			reasons: map[string]string{"30d": "missed"}},
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
			sent := keys(tt.sent...)
			got := Plan(p, c, tt.ack, sent.has, tt.now, time.UTC)
			want := tt.want
			if want == nil {
				want = []string{}
			}
			if !reflect.DeepEqual(describe(got), want) {
				t.Fatalf("Plan at %v\n got %q\nwant %q", tt.now, describe(got), want)
			}
			for _, a := range got {
				if a.Kind == Send && a.Reason != "" {
					t.Errorf("send %v has a reason %q", a.Key(), a.Reason)
				}
				if a.Kind == Skip {
					if a.Reason == "" {
						t.Errorf("skip %v has no reason", a.Key())
					}
					if a.Seq != 0 {
						t.Errorf("skip %v has seq %d, want 0", a.Key(), a.Seq)
					}
					if w, ok := tt.reasons[a.Stage.Name]; ok && !strings.Contains(a.Reason, w) {
						t.Errorf("skip %s reason %q does not contain %q", a.Stage.Name, a.Reason, w)
					}
				}
				if a.Key() != (Key{a.Stage.Name, a.Seq}) {
					t.Errorf("Key() = %v", a.Key())
				}
				if !slices.Equal(a.Stage.Channels, stageByName(p, a.Stage.Name).Channels) {
					t.Errorf("action for %s carries channels %v", a.Stage.Name, a.Stage.Channels)
				}
			}
			// Idempotence: the Plan's own output fed back as sent gives nothing new.
			for _, a := range got {
				sent[a.Key()] = true
			}
			if again := Plan(p, c, tt.ack, sent.has, tt.now, time.UTC); len(again) != 0 {
				t.Errorf("second tick at the same time: %q, want nothing", describe(again))
			}
		})
	}
}

func stageByName(p Policy, name string) Stage {
	for _, s := range p.Stages {
		if s.Name == name {
			return s
		}
	}
	return Stage{}
}

func TestKindString(t *testing.T) {
	if Send.String() != "send" || Skip.String() != "skip" {
		t.Errorf("Kind strings: %q %q", Send, Skip)
	}
}

// TestPlanSimulation drives Plan with ticks through a whole cycle, feeding
// each tick's actions back into the outbox, and checks the full history.
func TestPlanSimulation(t *testing.T) {
	deadline := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	const day = 24 * time.Hour
	cycle := Cycle{Start: deadline.Add(-180 * day), Deadline: deadline}

	run := func(ack Ack, ticks []time.Time) []string {
		sent := sentSet{}
		var log []string
		for _, now := range ticks {
			for range 2 { // every tick twice: a restart must not resend
				for _, a := range Plan(ladder(), cycle, ack, sent.has, now, time.UTC) {
					if sent[a.Key()] {
						t.Fatalf("tick %v: %v again", now, a.Key())
					}
					sent[a.Key()] = true
					log = append(log, fmt.Sprintf("%s %s#%d", a.Kind, a.Stage.Name, a.Seq))
				}
			}
		}
		return log
	}
	every := func(from, to time.Time, step time.Duration) []time.Time {
		var out []time.Time
		for at := from; !at.After(to); at = at.Add(step) {
			out = append(out, at)
		}
		return out
	}

	t.Run("hourly ticks, no ack", func(t *testing.T) {
		got := run(Ack{}, every(cycle.Start, deadline.Add(3*day+12*hour), hour))
		want := []string{"send 30d#0", "send 7d#0", "send 24h#0", "send overdue#0", "send overdue#1", "send overdue#2", "send overdue#3"}
		if !slices.Equal(got, want) {
			t.Errorf("history\n got %q\nwant %q", got, want)
		}
	})
	t.Run("ticks every 7h, ack at +30h", func(t *testing.T) {
		got := run(Ack{At: deadline.Add(30 * hour), By: "bob"}, every(cycle.Start, deadline.Add(10*day), 7*hour))
		want := []string{"send 30d#0", "send 7d#0", "send 24h#0", "send overdue#0", "send overdue#1"}
		if !slices.Equal(got, want) {
			t.Errorf("history\n got %q\nwant %q", got, want)
		}
	})
	t.Run("down from before 30d until 3 days before", func(t *testing.T) {
		ticks := append(every(cycle.Start, deadline.Add(-31*day), hour), every(deadline.Add(-3*day), deadline.Add(day), hour)...)
		got := run(Ack{}, ticks)
		want := []string{"skip 30d#0", "send 7d#0", "send 24h#0", "send overdue#0", "send overdue#1"}
		if !slices.Equal(got, want) {
			t.Errorf("history\n got %q\nwant %q", got, want)
		}
	})
	t.Run("down for a week after the deadline", func(t *testing.T) {
		ticks := append(every(cycle.Start, deadline.Add(hour), hour), every(deadline.Add(8*day+hour), deadline.Add(9*day+hour), hour)...)
		got := run(Ack{}, ticks)
		want := []string{"send 30d#0", "send 7d#0", "send 24h#0", "send overdue#0", "send overdue#8", "send overdue#9"}
		if !slices.Equal(got, want) {
			t.Errorf("history\n got %q\nwant %q", got, want)
		}
	})
}

func TestPlanTimeZones(t *testing.T) {
	tokyo := loadLoc(t, "Asia/Tokyo")
	berlin := loadLoc(t, "Europe/Berlin")

	t.Run("h spans: UTC and Tokyo decide the same", func(t *testing.T) {
		deadline := time.Date(2026, 11, 10, 0, 0, 0, 0, berlin)
		cycle := Cycle{Start: deadline.Add(-180 * 24 * hour), Deadline: deadline}
		for _, sent := range []sentSet{keys(), keys("720h"), keys("720h", "168h", "24h", "overdue#0")} {
			for now := deadline.Add(-31 * 24 * hour); now.Before(deadline.Add(4 * 24 * hour)); now = now.Add(5 * hour) {
				u := describe(Plan(hourLadder(), cycle, Ack{}, sent.has, now, time.UTC))
				j := describe(Plan(hourLadder(), cycle, Ack{}, sent.has, now, tokyo))
				b := describe(Plan(hourLadder(), cycle, Ack{}, sent.has, now, berlin))
				if !slices.Equal(u, j) || !slices.Equal(u, b) {
					t.Fatalf("at %v: UTC %q, Tokyo %q, Berlin %q", now, u, j, b)
				}
			}
		}
		// And one concrete answer so that "both empty" can't pass.
		now := deadline.Add(-720 * hour)
		want := []string{act("send", "720h", now)}
		if got := describe(Plan(hourLadder(), cycle, Ack{}, keys().has, now, tokyo)); !slices.Equal(got, want) {
			t.Errorf("Tokyo at 720h before: %q, want %q", got, want)
		}
	})

	t.Run("d spans stay on Berlin local midnight across the DST change", func(t *testing.T) {
		deadline := time.Date(2026, 11, 10, 0, 0, 0, 0, berlin)
		cycle := Cycle{Start: time.Date(2026, 5, 14, 0, 0, 0, 0, berlin), Deadline: deadline}
		due := time.Date(2026, 10, 11, 0, 0, 0, 0, berlin) // CEST, 721h before the deadline
		if _, off := due.Zone(); off != 2*3600 {
			t.Fatalf("fixture: %v is not CEST", due)
		}
		tests := []struct {
			name string
			now  time.Time
			loc  *time.Location
			want []string
		}{
			{"Berlin: 1ns before local midnight", due.Add(-time.Nanosecond), berlin, []string{}},
			{"Berlin: at local midnight", due, berlin, []string{act("send", "30d", due)}},
			{"Berlin: 720h before is past the threshold", deadline.Add(-720 * hour), berlin, []string{act("send", "30d", due)}},
			{"UTC: the same instant is not yet 30 days before", due, time.UTC, []string{}},
			{"UTC: 720h before", deadline.Add(-720 * hour), time.UTC, []string{act("send", "30d", deadline.Add(-720*hour))}},
		}
		for _, tt := range tests {
			got := describe(Plan(ladder(), cycle, Ack{}, keys().has, tt.now, tt.loc))
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
			}
		}
		for _, a := range Plan(ladder(), cycle, Ack{}, keys().has, due, berlin) {
			if h, m, s := a.Due.In(berlin).Clock(); h != 0 || m != 0 || s != 0 {
				t.Errorf("30d stage due at %v, want local midnight", a.Due.In(berlin))
			}
			if got := DaysRemaining(deadline, a.Due, berlin); got != 30 {
				t.Errorf("DaysRemaining at the 30d stage = %d, want 30", got)
			}
		}
	})

	t.Run("1d repeats stay on Berlin local midnight", func(t *testing.T) {
		deadline := time.Date(2026, 10, 24, 0, 0, 0, 0, berlin)
		p := Policy{Stages: []Stage{{Name: "overdue", After: true, Repeat: MustSpan("1d")}}}
		cycle := Cycle{Start: deadline.Add(-180 * 24 * hour), Deadline: deadline}
		sent := keys("overdue#0", "overdue#1")
		// 2026-10-25 23:30 CET is 48h30m after the deadline but before the
		// second local midnight (49h, because of the 25-hour day).
		if got := describe(Plan(p, cycle, Ack{}, sent.has, time.Date(2026, 10, 25, 23, 30, 0, 0, berlin), berlin)); len(got) != 0 {
			t.Errorf("at 23:30 CET: %q, want nothing", got)
		}
		at := time.Date(2026, 10, 26, 0, 0, 0, 0, berlin)
		want := []string{act("send", "overdue#2", at)}
		if got := describe(Plan(p, cycle, Ack{}, sent.has, at, berlin)); !slices.Equal(got, want) {
			t.Errorf("at local midnight: %q, want %q", got, want)
		}
	})
}

func TestUpcoming(t *testing.T) {
	deadline := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	const day = 24 * time.Hour
	t30 := deadline.Add(-30 * day)
	t7 := deadline.Add(-7 * day)
	t1 := deadline.Add(-day)
	cycle := Cycle{Start: deadline.Add(-180 * day), Deadline: deadline}
	alice := Ack{At: t30.Add(hour), By: "alice"}

	tests := []struct {
		name       string
		policy     Policy
		ack        Ack
		sent       []string
		now, until time.Time
		maxRepeats int
		want       []string
	}{
		{name: "fresh cycle", now: cycle.Start, until: deadline.Add(3*day + 12*hour), maxRepeats: 10,
			want: []string{act("send", "30d", t30), act("send", "7d", t7), act("send", "24h", t1),
				act("send", "overdue", deadline), act("send", "overdue#1", deadline.Add(day)),
				act("send", "overdue#2", deadline.Add(2*day)), act("send", "overdue#3", deadline.Add(3*day))}},
		{name: "horizon exactly at a repeat includes it", now: cycle.Start, until: deadline.Add(2 * day), maxRepeats: 10,
			want: []string{act("send", "30d", t30), act("send", "7d", t7), act("send", "24h", t1),
				act("send", "overdue", deadline), act("send", "overdue#1", deadline.Add(day)),
				act("send", "overdue#2", deadline.Add(2*day))}},
		{name: "capped by maxRepeats", now: cycle.Start, until: deadline.Add(30 * day), maxRepeats: 2,
			want: []string{act("send", "30d", t30), act("send", "7d", t7), act("send", "24h", t1),
				act("send", "overdue", deadline), act("send", "overdue#1", deadline.Add(day)),
				act("send", "overdue#2", deadline.Add(2*day))}},
		{name: "maxRepeats 0 lists no repeats", now: cycle.Start, until: deadline.Add(30 * day), maxRepeats: 0,
			want: []string{act("send", "30d", t30), act("send", "7d", t7), act("send", "24h", t1), act("send", "overdue", deadline)}},
		{name: "horizon exactly at 7d", now: cycle.Start, until: t7, maxRepeats: 5,
			want: []string{act("send", "30d", t30), act("send", "7d", t7)}},
		{name: "horizon 1ns before 7d", now: cycle.Start, until: t7.Add(-time.Nanosecond), maxRepeats: 5,
			want: []string{act("send", "30d", t30)}},
		{name: "horizon before anything", now: cycle.Start, until: t30.Add(-time.Nanosecond), maxRepeats: 5,
			want: []string{}},
		{name: "after an ack: no repeats", ack: alice, sent: []string{"30d"}, now: t30.Add(2 * hour), until: deadline.Add(5 * day), maxRepeats: 10,
			want: []string{act("send", "7d", t7), act("send", "24h", t1), act("send", "overdue", deadline)}},
		{name: "after an ack: no unless_acknowledged stages", policy: ladderUnlessAck(), ack: alice, sent: []string{"30d"}, now: t30.Add(2 * hour), until: deadline.Add(5 * day), maxRepeats: 10,
			want: []string{act("send", "7d", t7), act("send", "overdue", deadline)}},
		{name: "unless_acknowledged listed without an ack", policy: ladderUnlessAck(), sent: []string{"30d"}, now: t30.Add(2 * hour), until: deadline.Add(day), maxRepeats: 10,
			want: []string{act("send", "7d", t7), act("send", "24h", t1), act("send", "overdue", deadline), act("send", "overdue#1", deadline.Add(day))}},
		{name: "an ack in the future is not assumed", ack: Ack{At: deadline.Add(10 * day), By: "alice"}, sent: []string{"30d"}, now: t30.Add(2 * hour), until: deadline.Add(day), maxRepeats: 10,
			want: []string{act("send", "7d", t7), act("send", "24h", t1), act("send", "overdue", deadline), act("send", "overdue#1", deadline.Add(day))}},
		{name: "a stage due now and unsent is listed at its due time", now: t30.Add(3 * hour), until: t1, maxRepeats: 5,
			want: []string{act("send", "30d", t30), act("send", "7d", t7), act("send", "24h", t1)}},
		{name: "due exactly now", sent: []string{"30d"}, now: t7, until: t1, maxRepeats: 5,
			want: []string{act("send", "7d", t7), act("send", "24h", t1)}},
		{name: "due now and already sent is not listed", sent: []string{"30d", "7d"}, now: t7.Add(hour), until: t1, maxRepeats: 5,
			want: []string{act("send", "24h", t1)}},
		{name: "catch-up: skipped stages are not listed", now: deadline.Add(-3 * day), until: deadline, maxRepeats: 5,
			want: []string{act("send", "7d", t7), act("send", "24h", t1), act("send", "overdue", deadline)}},
		{name: "overdue: the unsent current repeat, then the next ones", sent: append([]string{"30d", "7d", "24h"}, "overdue#0", "overdue#1"),
			now: deadline.Add(2*day + 12*hour), until: deadline.Add(5 * day), maxRepeats: 10,
			want: []string{act("send", "overdue#2", deadline.Add(2*day)), act("send", "overdue#3", deadline.Add(3*day)),
				act("send", "overdue#4", deadline.Add(4*day)), act("send", "overdue#5", deadline.Add(5*day))}},
		{name: "overdue: current repeat sent, cap counts future repeats", sent: []string{"30d", "7d", "24h", "overdue#0", "overdue#1", "overdue#2"},
			now: deadline.Add(2*day + 12*hour), until: deadline.Add(30 * day), maxRepeats: 2,
			want: []string{act("send", "overdue#3", deadline.Add(3*day)), act("send", "overdue#4", deadline.Add(4*day))}},
		{name: "overdue acked: nothing more", ack: Ack{At: deadline.Add(hour), By: "alice"}, sent: []string{"30d", "7d", "24h", "overdue#0"},
			now: deadline.Add(2 * day), until: deadline.Add(30 * day), maxRepeats: 10,
			want: []string{}},
		{name: "a repeating stage before the last repeats until the next stage",
			policy: Policy{Stages: []Stage{
				{Name: "7d", Offset: MustSpan("7d"), Repeat: MustSpan("2d")},
				{Name: "24h", Offset: MustSpan("24h")},
			}},
			now: cycle.Start, until: deadline.Add(10 * day), maxRepeats: 10,
			want: []string{act("send", "7d", t7), act("send", "7d#1", t7.Add(2*day)), act("send", "7d#2", t7.Add(4*day)),
				act("send", "24h", t1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.policy
			if p.Stages == nil {
				p = ladder()
			}
			got := Upcoming(p, cycle, tt.ack, keys(tt.sent...).has, tt.now, tt.until, time.UTC, tt.maxRepeats)
			want := tt.want
			if want == nil {
				want = []string{}
			}
			if !reflect.DeepEqual(describe(got), want) {
				t.Fatalf("Upcoming\n got %q\nwant %q", describe(got), want)
			}
			if !slices.IsSortedFunc(got, func(a, b Action) int { return a.Due.Compare(b.Due) }) {
				t.Errorf("not in time order: %q", describe(got))
			}
		})
	}
}

// TestUpcomingMatchesPlan checks that what Upcoming announces for a fresh
// cycle is what ticking Plan at each announced time actually sends.
func TestUpcomingMatchesPlan(t *testing.T) {
	berlin := loadLoc(t, "Europe/Berlin")
	deadline := time.Date(2026, 11, 10, 0, 0, 0, 0, berlin)
	cycle := Cycle{Start: time.Date(2026, 5, 14, 0, 0, 0, 0, berlin), Deadline: deadline}
	p := ladder()
	p.Stages[3].Repeat = MustSpan("1d")
	until := deadline.Add(5 * 24 * hour)
	plan := Upcoming(p, cycle, Ack{}, keys().has, cycle.Start, until, berlin, 100)
	sent := sentSet{}
	var ticked []Action
	for _, u := range plan {
		for _, a := range Plan(p, cycle, Ack{}, sent.has, u.Due, berlin) {
			sent[a.Key()] = true
			ticked = append(ticked, a)
		}
	}
	if !reflect.DeepEqual(describe(plan), describe(ticked)) {
		t.Errorf("Upcoming %q\nPlan ticks %q", describe(plan), describe(ticked))
	}
	if len(plan) != 4+5 {
		t.Errorf("Upcoming listed %d sends, want 9: %q", len(plan), describe(plan))
	}
	for _, a := range plan {
		if h, m, _ := a.Due.In(berlin).Clock(); h != 0 || m != 0 {
			t.Errorf("%v due at %v, want local midnight", a.Key(), a.Due.In(berlin))
		}
	}
}

// TestWindowMoreCountsTheRepeats: at each stage's first send, More is how
// many sends of that stage the walk lists after it when nothing caps the
// repeats, across DST in Berlin, from a fresh cycle and from one overdue
// since days (whose first send is the repeat due now); NextStage then
// goes on with the next stage's first send.
func TestWindowMoreCountsTheRepeats(t *testing.T) {
	berlin := loadLoc(t, "Europe/Berlin")
	deadline := time.Date(2026, 10, 20, 0, 0, 0, 0, berlin)
	cycle := Cycle{Start: time.Date(2026, 4, 23, 0, 0, 0, 0, berlin), Deadline: deadline}
	for _, repeat := range []string{"1d", "24h", "7h"} {
		p := ladder()
		p.Stages[2].Repeat = MustSpan("5h") // 24h before, repeating until overdue
		p.Stages[3].Repeat = MustSpan(repeat)
		for _, now := range []time.Time{cycle.Start, deadline.Add(100 * hour)} {
			until := deadline.Add(20 * 24 * hour)
			w := Window{Policy: &p, Deadline: deadline, Now: now, Until: until, Loc: berlin, MaxRepeats: 1 << 20}
			var steps []Step
			for st, ok := w.First(cycle, Ack{}, keys().has); ok; st, ok = w.Next(st) {
				steps = append(steps, st)
			}
			var stages []int32
			for i := 0; i < len(steps); {
				st := steps[i]
				n := 0
				for n = 1; i+n < len(steps) && steps[i+n].Stage == st.Stage; n++ {
				}
				if got := w.More(st); got != n-1 {
					t.Errorf("repeat %s, now %s: stage %d: More %d, want %d", repeat, now, st.Stage, got, n-1)
				}
				stages = append(stages, st.Stage)
				next, ok := w.NextStage(st)
				if i += n; i < len(steps) && (!ok || next != steps[i]) {
					t.Errorf("repeat %s, now %s: NextStage after stage %d = %+v, want %+v", repeat, now, st.Stage, next, steps[i])
				}
			}
			if want := map[bool]int{true: 4, false: 1}[now.Equal(cycle.Start)]; len(stages) != want {
				t.Errorf("repeat %s, now %s: stages %v, want %d", repeat, now, stages, want)
			}
		}
	}
}
