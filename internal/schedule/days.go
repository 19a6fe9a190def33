package schedule

import "time"

const day = 24 * time.Hour

// maxDSTSteps bounds the corrections after the estimate in days: the
// estimate is off only by the change of the zone's offset between the two
// moments (never more than a day and a few hours), so a step or two is
// all it takes; the bound keeps the work bounded for any input.
const maxDSTSteps = 4

// DaysRemaining is the time from now to the deadline in days, rounded up:
// the smallest n such that the deadline minus n calendar days (in loc) is
// not after now. A reminder at "before: 30d" therefore says 30, even when a
// DST change makes those 30 days 719 or 721 hours. It is 0 from the deadline
// until one day after it, and negative later. It takes a few steps whatever
// the distance, and does not overflow.
func DaysRemaining(deadline, now time.Time, loc *time.Location) int {
	n := ceilDays(now, deadline)
	if n > maxShiftDays || n < -maxShiftDays {
		return n // beyond any time the schedule computes: DST is no matter
	}
	d := deadline.In(loc)
	for i := 0; i < maxDSTSteps && d.AddDate(0, 0, -n).After(now); i++ {
		n++
	}
	for i := 0; i < maxDSTSteps && !d.AddDate(0, 0, -(n-1)).After(now); i++ {
		n--
	}
	return n
}

// DaysOverdue is the time since the deadline in days by the one rule for
// days (DaysRemaining, rounded up): minus the days remaining once they are
// negative, so that "overdue by 8 days" and status's -8 agree. It is 0
// before the deadline and for the first calendar day after it ("deadline
// reached"), 1 for the second.
func DaysOverdue(deadline, now time.Time, loc *time.Location) int {
	return max(0, -DaysRemaining(deadline, now, loc))
}

// Final reports whether now is within the last 24 hours before the deadline:
// the time of the final notice.
func Final(deadline, now time.Time) bool {
	left := deadline.Sub(now)
	return left > 0 && left <= day
}

// ceilDays is (to - from) in days of 24 hours, rounded up. It counts in
// seconds from the Unix epoch, not in a Duration, which holds only 292
// years: the distance to a far deadline must not saturate.
func ceilDays(from, to time.Time) int {
	secs := to.Unix() - from.Unix()
	nanos := to.Nanosecond() - from.Nanosecond()
	if nanos < 0 {
		secs--
		nanos += 1e9
	}
	q, r := secs/86400, secs%86400
	if r < 0 {
		q--
		r += 86400
	}
	if r > 0 || nanos > 0 {
		q++
	}
	return int(q)
}
