package schedule

import (
	"fmt"
	"math"
	"math/bits"
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
// only an estimate across DST changes; schedule math uses Add. A span too
// long for a Duration (some 292 years) gives the longest Duration.
func (s Span) Approx() time.Duration {
	hi, lo := bits.Mul64(absU(int64(s.Days)), uint64(day))
	if hi != 0 || lo > math.MaxInt64 {
		return saturatedDuration(s.Days < 0)
	}
	days := time.Duration(lo)
	if s.Days < 0 {
		days = -days
	}
	sum := days + s.Clock
	if (s.Clock > 0 && sum < days) || (s.Clock < 0 && sum > days) {
		return saturatedDuration(s.Clock < 0)
	}
	return sum
}

func saturatedDuration(negative bool) time.Duration {
	if negative {
		return math.MinInt64
	}
	return math.MaxInt64
}

// MaxSpan is the longest span the config accepts for a rotation period, a
// stage's before, after or repeat, or a retry backoff: 100 years. ParseSpan
// itself reads any length, so that the store can still read a span an
// older version wrote and a corrected config replace it; the schedule math
// below stays bounded and exact whatever the span.
var MaxSpan = Span{Days: 36500}

// TooLong reports whether the span is longer than MaxSpan.
func (s Span) TooLong() bool {
	return s.Days > MaxSpan.Days || s.Approx() > MaxSpan.Approx()
}

// MinTime and MaxTime bound the times operators may write (the config's
// times, --at, --since, --until): every time between them has a four-digit
// year in every zone, as RFC 3339 text (the store's) and JSON need.
var (
	MinTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// Add saturates at latest, an hour past MaxTime: after every time an
// operator may write, so that Count never finds a saturated step reached,
// and still a four-digit year in every zone. Going back it saturates at
// earliest, the first day of year 1: stage thresholds may fall before
// MinTime.
var (
	latest   = MaxTime.Add(time.Hour)
	earliest = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
)

// maxShiftDays is more calendar days than lie between earliest and
// latest: a shift by more saturates, without computing (and overflowing)
// the product.
const maxShiftDays = 4_000_000

// Add returns t plus n times the span: n*Days calendar days in loc, then
// n*Clock of exact time. n may be negative. The result saturates just past
// MaxTime (and at year 1 going back): a span from an old database row or a
// huge n can neither overflow nor produce a time the store cannot write.
func (s Span) Add(t time.Time, n int, loc *time.Location) time.Time {
	if s.Days != 0 {
		days, ok := mulWithin(n, s.Days, maxShiftDays)
		if !ok {
			return saturated((n < 0) != (s.Days < 0), t.Location())
		}
		t = t.In(loc).AddDate(0, 0, days)
	}
	t = addClock(t, n, s.Clock)
	switch {
	case t.After(latest):
		return latest.In(t.Location())
	case t.Before(earliest):
		return earliest.In(t.Location())
	}
	return t
}

// addClock is t plus n*d, exact, or saturated when n*d does not fit a
// Duration and reaches past the range anyway.
func addClock(t time.Time, n int, d time.Duration) time.Time {
	if n == 0 || d == 0 {
		return t
	}
	neg := (n < 0) != (d < 0)
	hi, lo := bits.Mul64(absU(int64(n)), absU(int64(d)))
	if hi == 0 && lo <= math.MaxInt64 {
		dd := time.Duration(lo)
		if neg {
			dd = -dd
		}
		return t.Add(dd)
	}
	// More than 292 years: whole seconds and nanoseconds apart.
	if hi >= 1e9 {
		return saturated(neg, t.Location())
	}
	secs, nanos := bits.Div64(hi, lo, 1e9)
	if secs > maxShiftDays*86400 {
		return saturated(neg, t.Location())
	}
	sec, nsec := int64(secs), int64(nanos)
	if neg {
		sec, nsec = -sec, -nsec
	}
	return time.Unix(t.Unix()+sec, int64(t.Nanosecond())+nsec).In(t.Location())
}

func saturated(back bool, loc *time.Location) time.Time {
	if back {
		return earliest.In(loc)
	}
	return latest.In(loc)
}

// mulWithin is n*d when its magnitude is at most limit.
func mulWithin(n, d, limit int) (int, bool) {
	un, ud := absU(int64(n)), absU(int64(d))
	if n == 0 || d == 0 {
		return 0, true
	}
	if un > uint64(limit) || ud > uint64(limit) || un*ud > uint64(limit) {
		return 0, false
	}
	p := int(un * ud)
	if (n < 0) != (d < 0) {
		p = -p
	}
	return p, true
}

func absU(x int64) uint64 {
	if x < 0 {
		return uint64(-(x + 1)) + 1 // no overflow for the smallest int64
	}
	return uint64(x)
}

// maxCount bounds Count: far more repeats than fit between MinTime and
// MaxTime at one a minute, the shortest repeat the config allows, and far
// from overflowing n+1. Only a now past MaxTime, or a span shorter than a
// tenth of a millisecond, reaches it.
const maxCount = 1 << 52

// Count returns the largest n >= 0 such that from + n*s <= now, or -1 when
// now is before from. It is exact across DST changes. A zero span counts 0.
// The work is bounded whatever the span and the distance: an estimate from
// the lengths (a day taken as 24 hours), then a doubling search and a
// bisection, each step one Add; Add saturates, so from + n*s never
// decreases as n grows.
func (s Span) Count(from, now time.Time, loc *time.Location) int {
	if now.Before(from) {
		return -1
	}
	if s.IsZero() {
		return 0
	}
	within := func(n int) bool { return !s.Add(from, n, loc).After(now) }
	est := estimate(from, now, s)
	var lo, hi int // within(lo), !within(hi); lo = 0 holds by definition
	if est > 0 && !within(est) {
		hi = est
		for step := 1; ; step *= 2 {
			if lo = est - step; lo <= 0 {
				lo = 0
				break
			}
			if within(lo) {
				break
			}
			hi = lo
		}
	} else {
		lo = est
		for step := 1; ; step *= 2 {
			if hi = est + step; hi >= maxCount {
				if within(maxCount) {
					return maxCount
				}
				hi = maxCount
				break
			}
			if !within(hi) {
				break
			}
			lo = hi
		}
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if within(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// estimate is (now - from) / s, a day taken as 24 hours, in [0, maxCount].
// Floating point: neither the distance nor the span may fit a Duration.
func estimate(from, now time.Time, s Span) int {
	elapsed := float64(now.Unix()) - float64(from.Unix()) + float64(now.Nanosecond()-from.Nanosecond())/1e9
	length := float64(s.Days)*86400 + s.Clock.Seconds()
	n := elapsed / length
	switch {
	case !(n > 0): // also NaN
		return 0
	case n >= maxCount:
		return maxCount
	}
	return int(n)
}
