package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Span is a length of time as an operator writes it: whole days plus an
// exact clock duration. Days are calendar days in the configured zone, so a
// deadline set at midnight stays at midnight across a DST change and
// "before: 30d" always means "30 days remaining". The clock part ("36h",
// "24h", "30m") is exact.
type Span struct {
	Days  int
	Clock time.Duration
}

// ParseSpan accepts Go's duration syntax plus a leading whole-days part with
// the suffix d: "180d", "36h", "1d12h", "30m", "0s". Negative spans and
// fractional days are refused.
func ParseSpan(s string) (Span, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return Span{}, fmt.Errorf("%q is not a duration", s)
	}
	var sp Span
	rest := in
	if i := strings.IndexByte(rest, 'd'); i >= 0 {
		days, err := strconv.Atoi(rest[:i])
		if err != nil || days < 0 || strings.HasPrefix(rest, "+") {
			return Span{}, fmt.Errorf("%q is not a duration (use e.g. 180d, 36h, 1d12h, 30m)", s)
		}
		sp.Days = days
		rest = rest[i+1:]
	}
	if rest != "" {
		d, err := time.ParseDuration(rest)
		if err != nil || d < 0 || strings.HasPrefix(rest, "+") {
			return Span{}, fmt.Errorf("%q is not a duration (use e.g. 180d, 36h, 1d12h, 30m)", s)
		}
		sp.Clock = d
	}
	return sp, nil
}

// MustSpan is ParseSpan for constants in tests and defaults.
func MustSpan(s string) Span {
	sp, err := ParseSpan(s)
	if err != nil {
		panic(err)
	}
	return sp
}

// IsZero reports whether the span is empty.
func (s Span) IsZero() bool { return s.Days == 0 && s.Clock == 0 }

// String is the canonical form: "180d", "36h0m0s", "1d12h0m0s", "0s".
func (s Span) String() string {
	switch {
	case s.Days == 0:
		return s.Clock.String()
	case s.Clock == 0:
		return strconv.Itoa(s.Days) + "d"
	default:
		return strconv.Itoa(s.Days) + "d" + s.Clock.String()
	}
}

// Approx is the span as an exact duration, taking a day as 24 hours. It is
// only an estimate across DST changes; schedule math uses Add.
func (s Span) Approx() time.Duration {
	return time.Duration(s.Days)*24*time.Hour + s.Clock
}

// Add returns t plus n times the span: n*Days calendar days in loc, then
// n*Clock of exact time. n may be negative.
func (s Span) Add(t time.Time, n int, loc *time.Location) time.Time {
	if s.Days != 0 {
		t = t.In(loc).AddDate(0, 0, n*s.Days)
	}
	return t.Add(time.Duration(n) * s.Clock)
}

// Count returns the largest n >= 0 such that from + n*s <= now, or -1 when
// now is before from. It is exact across DST changes. A zero span counts 0.
func (s Span) Count(from, now time.Time, loc *time.Location) int {
	if now.Before(from) {
		return -1
	}
	if s.IsZero() {
		return 0
	}
	n := int(now.Sub(from) / s.Approx())
	for n > 0 && s.Add(from, n, loc).After(now) {
		n--
	}
	for !s.Add(from, n+1, loc).After(now) {
		n++
	}
	return n
}
