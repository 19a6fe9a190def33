package schedule

import (
	"testing"
	"time"
)

// FuzzParseSpan: ParseSpan never panics; a span it accepts round-trips
// through String; and the schedule math on it (Add, Count, DaysRemaining,
// DaysOverdue, Approx) is bounded work across the whole range of times,
// however long the span. `go test` runs the seeds; fuzz longer with
// go test -fuzz=FuzzParseSpan -fuzztime=1m ./internal/schedule
func FuzzParseSpan(f *testing.F) {
	for _, s := range []string{
		"180d", "36h", "1d12h", "30m", "0s", "2d1ns", " 30d ", "36500d", "876000h",
		// Hostile: the span that made status spin, the largest ints, the
		// longest Duration, and near misses of the syntax.
		"281474976710656d", "9223372036854775807d", "9223372036854775808d", "2562047h47m16.854775807s",
		"2562048h", "36500d2562047h", "1d-0s", "-0d", "+1d", "0.5d", ".5h", "1d.5h", "1e3h", "1dd", "d",
		"", "   ", "''", "\x00", "1d\x1b[31m", "1d\u202e", "18Od", "١٨٠d",
	} {
		f.Add(s)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		sp, err := ParseSpan(in)
		if err != nil {
			return
		}
		if sp.Days < 0 || sp.Clock < 0 {
			t.Fatalf("ParseSpan(%q) = %+v: negative", in, sp)
		}
		back, err := ParseSpan(sp.String())
		if err != nil || back != sp {
			t.Fatalf("ParseSpan(%q) = %+v; its String %q parses as %+v, %v", in, sp, sp.String(), back, err)
		}
		if !sp.TooLong() && sp.Approx() > MaxSpan.Approx() {
			t.Fatalf("%+v is not TooLong, but longer than MaxSpan", sp)
		}
		promptly(t, "the schedule math on "+sp.String(), func() {
			for _, loc := range []*time.Location{time.UTC, berlin} {
				for _, from := range []time.Time{MinTime, time.Date(2026, 3, 29, 0, 0, 0, 0, loc), MaxTime} {
					for _, n := range []int{-1, 0, 1, 2, 1 << 40} {
						if got := sp.Add(from, n, loc); got.After(latest) || got.Before(earliest) {
							t.Fatalf("%s.Add(%v, %d) = %v: out of range", sp, from, n, got)
						}
					}
					deadline := sp.Add(from, 1, loc)
					for _, now := range []time.Time{MinTime, from, MaxTime} {
						n := sp.Count(from, now, loc)
						if n >= 0 && n < maxCount && !sp.IsZero() &&
							(sp.Add(from, n, loc).After(now) || !sp.Add(from, n+1, loc).After(now)) {
							t.Fatalf("%s.Count(%v, %v) = %d is not the largest n with from+n*s <= now", sp, from, now, n)
						}
						DaysRemaining(deadline, now, loc)
						DaysOverdue(deadline, now, loc)
					}
				}
			}
		})
	})
}
