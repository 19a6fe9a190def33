package schedule

import (
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the DST tests must not depend on the host's zoneinfo
)

// loadLoc loads a named zone or fails the test.
func loadLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}

func TestParseSpanAccepts(t *testing.T) {
	tests := []struct {
		in    string
		days  int
		clock time.Duration
		str   string // canonical String()
	}{
		{"180d", 180, 0, "180d"},
		{"36h", 0, 36 * time.Hour, "36h0m0s"},
		{"1d12h", 1, 12 * time.Hour, "1d12h0m0s"},
		{"30m", 0, 30 * time.Minute, "30m0s"},
		{"0s", 0, 0, "0s"},
		{"90s", 0, 90 * time.Second, "1m30s"},
		{"7d", 7, 0, "7d"},
		{"24h", 0, 24 * time.Hour, "24h0m0s"},
		{"2d1ns", 2, time.Nanosecond, "2d1ns"},
		{" 30d ", 30, 0, "30d"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			sp, err := ParseSpan(tt.in)
			if err != nil {
				t.Fatalf("ParseSpan(%q): unexpected error %v", tt.in, err)
			}
			if sp.Days != tt.days || sp.Clock != tt.clock {
				t.Fatalf("ParseSpan(%q) = {Days:%d Clock:%v}, want {Days:%d Clock:%v}", tt.in, sp.Days, sp.Clock, tt.days, tt.clock)
			}
			if got := sp.String(); got != tt.str {
				t.Errorf("ParseSpan(%q).String() = %q, want %q", tt.in, got, tt.str)
			}
			back, err := ParseSpan(sp.String())
			if err != nil {
				t.Fatalf("ParseSpan(%q) (round trip): %v", sp.String(), err)
			}
			if back != sp {
				t.Errorf("round trip of %q: got %+v, want %+v", tt.in, back, sp)
			}
			if got := MustSpan(tt.in); got != sp {
				t.Errorf("MustSpan(%q) = %+v, want %+v", tt.in, got, sp)
			}
		})
	}
}

func TestParseSpanRefuses(t *testing.T) {
	for _, in := range []string{
		"18Od", // letter O typed for a zero
		"-1d",
		"1.5d",
		"",
		"d",
		"10x",
		"-5h",
		"+1d",
		"1d-5h",
		"1d+5h",
		"1dd",
		"5h1d",
		"   ",
	} {
		t.Run(strconv.Quote(in), func(t *testing.T) {
			sp, err := ParseSpan(in)
			if err == nil {
				t.Fatalf("ParseSpan(%q) = %+v, want an error", in, sp)
			}
			if !strings.Contains(err.Error(), strconv.Quote(in)) {
				t.Errorf("ParseSpan(%q) error %q does not quote the input", in, err)
			}
			if sp != (Span{}) {
				t.Errorf("ParseSpan(%q) returned %+v with the error, want the zero Span", in, sp)
			}
		})
	}
}

func TestMustSpanPanics(t *testing.T) {
	defer func() {
		r := recover()
		if r == nil {
			t.Fatal("MustSpan(\"1.5d\") did not panic")
		}
		if err, ok := r.(error); !ok || !strings.Contains(err.Error(), `"1.5d"`) {
			t.Errorf("MustSpan panicked with %v, want an error quoting the input", r)
		}
	}()
	MustSpan("1.5d")
}

func TestSpanStringRoundTrip(t *testing.T) {
	for _, sp := range []Span{
		{},
		{Days: 180},
		{Clock: 36 * time.Hour},
		{Days: 1, Clock: 12 * time.Hour},
		{Clock: 90 * time.Second},
		{Days: 3, Clock: time.Nanosecond},
		{Clock: 1500 * time.Millisecond},
	} {
		got, err := ParseSpan(sp.String())
		if err != nil {
			t.Errorf("ParseSpan(%q): %v", sp.String(), err)
			continue
		}
		if got != sp {
			t.Errorf("ParseSpan(%+v.String() = %q) = %+v", sp, sp.String(), got)
		}
	}
}

func TestSpanIsZeroAndApprox(t *testing.T) {
	tests := []struct {
		sp     Span
		zero   bool
		approx time.Duration
	}{
		{Span{}, true, 0},
		{MustSpan("0s"), true, 0},
		{MustSpan("1d"), false, 24 * time.Hour},
		{MustSpan("1d12h"), false, 36 * time.Hour},
		{MustSpan("30m"), false, 30 * time.Minute},
	}
	for _, tt := range tests {
		if got := tt.sp.IsZero(); got != tt.zero {
			t.Errorf("%v.IsZero() = %v, want %v", tt.sp, got, tt.zero)
		}
		if got := tt.sp.Approx(); got != tt.approx {
			t.Errorf("%v.Approx() = %v, want %v", tt.sp, got, tt.approx)
		}
	}
}

func TestSpanAddAcrossDST(t *testing.T) {
	berlin := loadLoc(t, "Europe/Berlin")
	ny := loadLoc(t, "America/New_York")
	tests := []struct {
		name string
		loc  *time.Location
		from time.Time
		span string
		n    int
		want time.Time     // wall clock in loc
		real time.Duration // want.Sub(from)
	}{
		// Berlin: DST ends 2026-10-25 (a 25h day), starts 2026-03-29 (a 23h day).
		{"berlin fall 1d", berlin, time.Date(2026, 10, 25, 0, 0, 0, 0, berlin), "1d", 1,
			time.Date(2026, 10, 26, 0, 0, 0, 0, berlin), 25 * time.Hour},
		{"berlin fall 24h", berlin, time.Date(2026, 10, 25, 0, 0, 0, 0, berlin), "24h", 1,
			time.Date(2026, 10, 25, 23, 0, 0, 0, berlin), 24 * time.Hour},
		{"berlin spring 1d", berlin, time.Date(2026, 3, 29, 0, 0, 0, 0, berlin), "1d", 1,
			time.Date(2026, 3, 30, 0, 0, 0, 0, berlin), 23 * time.Hour},
		{"berlin spring 24h", berlin, time.Date(2026, 3, 29, 0, 0, 0, 0, berlin), "24h", 1,
			time.Date(2026, 3, 30, 1, 0, 0, 0, berlin), 24 * time.Hour},
		{"berlin fall 1d backwards", berlin, time.Date(2026, 10, 26, 0, 0, 0, 0, berlin), "1d", -1,
			time.Date(2026, 10, 25, 0, 0, 0, 0, berlin), -25 * time.Hour},
		{"berlin 30d before a November deadline", berlin, time.Date(2026, 11, 10, 0, 0, 0, 0, berlin), "30d", -1,
			time.Date(2026, 10, 11, 0, 0, 0, 0, berlin), -721 * time.Hour},
		{"berlin 30d before an April deadline", berlin, time.Date(2026, 4, 10, 0, 0, 0, 0, berlin), "30d", -1,
			time.Date(2026, 3, 11, 0, 0, 0, 0, berlin), -719 * time.Hour},
		{"berlin 1d12h twice: 2 days then 24h", berlin, time.Date(2026, 10, 24, 0, 0, 0, 0, berlin), "1d12h", 2,
			time.Date(2026, 10, 27, 0, 0, 0, 0, berlin), 73 * time.Hour},
		{"berlin 7 days across the fall change", berlin, time.Date(2026, 10, 20, 0, 0, 0, 0, berlin), "1d", 7,
			time.Date(2026, 10, 27, 0, 0, 0, 0, berlin), 7*24*time.Hour + time.Hour},
		// New York: DST ends 2026-11-01, starts 2026-03-08.
		{"new york fall 1d", ny, time.Date(2026, 11, 1, 0, 0, 0, 0, ny), "1d", 1,
			time.Date(2026, 11, 2, 0, 0, 0, 0, ny), 25 * time.Hour},
		{"new york fall 24h", ny, time.Date(2026, 11, 1, 0, 0, 0, 0, ny), "24h", 1,
			time.Date(2026, 11, 1, 23, 0, 0, 0, ny), 24 * time.Hour},
		{"new york spring 1d", ny, time.Date(2026, 3, 8, 0, 0, 0, 0, ny), "1d", 1,
			time.Date(2026, 3, 9, 0, 0, 0, 0, ny), 23 * time.Hour},
		{"new york spring 24h", ny, time.Date(2026, 3, 8, 0, 0, 0, 0, ny), "24h", 1,
			time.Date(2026, 3, 9, 1, 0, 0, 0, ny), 24 * time.Hour},
		// The day part is computed in loc even when from is given in UTC.
		{"berlin 1d from a UTC instant", berlin, time.Date(2026, 10, 24, 22, 0, 0, 0, time.UTC), "1d", 1,
			time.Date(2026, 10, 26, 0, 0, 0, 0, berlin), 25 * time.Hour},
		{"zero n", berlin, time.Date(2026, 10, 25, 0, 0, 0, 0, berlin), "1d12h", 0,
			time.Date(2026, 10, 25, 0, 0, 0, 0, berlin), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MustSpan(tt.span).Add(tt.from, tt.n, tt.loc)
			if !got.Equal(tt.want) {
				t.Errorf("%s.Add(%v, %d) = %v, want %v", tt.span, tt.from, tt.n, got.In(tt.loc), tt.want)
			}
			if d := got.Sub(tt.from); d != tt.real {
				t.Errorf("%s.Add(%v, %d) moved by %v, want %v", tt.span, tt.from, tt.n, d, tt.real)
			}
		})
	}
}

func TestSpanCount(t *testing.T) {
	berlin := loadLoc(t, "Europe/Berlin")
	ny := loadLoc(t, "America/New_York")
	fall := time.Date(2026, 10, 25, 0, 0, 0, 0, berlin)  // a 25h day follows
	spring := time.Date(2026, 3, 29, 0, 0, 0, 0, berlin) // a 23h day follows
	utc := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		loc  *time.Location
		span string
		from time.Time
		now  time.Time
		want int
	}{
		{"before from", berlin, "1d", fall, fall.Add(-time.Nanosecond), -1},
		{"at from", berlin, "1d", fall, fall, 0},
		{"fall 1d: 24h is not yet a day", berlin, "1d", fall, fall.Add(24 * time.Hour), 0},
		{"fall 1d: 1ns before local midnight", berlin, "1d", fall, fall.Add(25*time.Hour - time.Nanosecond), 0},
		{"fall 1d: exactly at local midnight", berlin, "1d", fall, fall.Add(25 * time.Hour), 1},
		{"fall 24h: exactly 24h", berlin, "24h", fall, fall.Add(24 * time.Hour), 1},
		{"fall 24h: 1ns before 24h", berlin, "24h", fall, fall.Add(24*time.Hour - time.Nanosecond), 0},
		{"spring 1d: exactly at local midnight (23h)", berlin, "1d", spring, spring.Add(23 * time.Hour), 1},
		{"spring 1d: 1ns before", berlin, "1d", spring, spring.Add(23*time.Hour - time.Nanosecond), 0},
		{"spring 24h: 23h is not enough", berlin, "24h", spring, spring.Add(23 * time.Hour), 0},
		{"berlin ten days across the fall change", berlin, "1d",
			time.Date(2026, 10, 20, 0, 0, 0, 0, berlin), time.Date(2026, 10, 30, 0, 0, 0, 0, berlin), 10},
		{"berlin ten days across the fall change, 1ns before", berlin, "1d",
			time.Date(2026, 10, 20, 0, 0, 0, 0, berlin), time.Date(2026, 10, 30, 0, 0, 0, 0, berlin).Add(-time.Nanosecond), 9},
		{"new york 14 days across spring (335h)", ny, "1d",
			time.Date(2026, 3, 1, 0, 0, 0, 0, ny), time.Date(2026, 3, 15, 0, 0, 0, 0, ny), 14},
		{"new york 14 days across spring, 1ns before", ny, "1d",
			time.Date(2026, 3, 1, 0, 0, 0, 0, ny), time.Date(2026, 3, 15, 0, 0, 0, 0, ny).Add(-time.Nanosecond), 13},
		{"new york 14 days across fall (337h)", ny, "1d",
			time.Date(2026, 10, 25, 0, 0, 0, 0, ny), time.Date(2026, 11, 8, 0, 0, 0, 0, ny), 14},
		{"new york 14 days across fall, 1ns before", ny, "1d",
			time.Date(2026, 10, 25, 0, 0, 0, 0, ny), time.Date(2026, 11, 8, 0, 0, 0, 0, ny).Add(-time.Nanosecond), 13},
		{"new york fall 24h steps", ny, "24h",
			time.Date(2026, 10, 25, 0, 0, 0, 0, ny), time.Date(2026, 11, 8, 0, 0, 0, 0, ny), 14},
		{"new york spring 24h steps, 335h", ny, "24h",
			time.Date(2026, 3, 1, 0, 0, 0, 0, ny), time.Date(2026, 3, 15, 0, 0, 0, 0, ny), 13},
		{"1d12h: exactly at 3 steps", time.UTC, "1d12h", utc, utc.Add(108 * time.Hour), 3},
		{"1d12h: 1ns before 3 steps", time.UTC, "1d12h", utc, utc.Add(108*time.Hour - time.Nanosecond), 2},
		{"30m", time.UTC, "30m", utc, utc.Add(95 * time.Minute), 3},
		{"zero span counts 0", time.UTC, "0s", utc, utc.Add(1000 * time.Hour), 0},
		{"zero span before from", time.UTC, "0s", utc, utc.Add(-time.Hour), -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := MustSpan(tt.span)
			got := sp.Count(tt.from, tt.now, tt.loc)
			if got != tt.want {
				t.Fatalf("%s.Count(%v, %v) = %d, want %d", tt.span, tt.from, tt.now.In(tt.loc), got, tt.want)
			}
			// The definition: the largest n with from+n*s <= now.
			if got >= 0 && !sp.IsZero() {
				if sp.Add(tt.from, got, tt.loc).After(tt.now) {
					t.Errorf("from + %d*%s is after now", got, tt.span)
				}
				if !sp.Add(tt.from, got+1, tt.loc).After(tt.now) {
					t.Errorf("from + %d*%s is not after now: Count is not the largest", got+1, tt.span)
				}
			}
		})
	}
}
