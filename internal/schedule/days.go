package schedule

import "time"

const day = 24 * time.Hour

// DaysRemaining is the time from now to the deadline in days, rounded up:
// the smallest n such that the deadline minus n calendar days (in loc) is
// not after now. A reminder at "before: 30d" therefore says 30, even when a
// DST change makes those 30 days 719 or 721 hours. It is 0 from the deadline
// until one day after it, and negative later.
func DaysRemaining(deadline, now time.Time, loc *time.Location) int {
	d := deadline.In(loc)
	n := ceilDays(deadline.Sub(now))
	for d.AddDate(0, 0, -n).After(now) {
		n++
	}
	for !d.AddDate(0, 0, -(n - 1)).After(now) {
		n--
	}
	return n
}

// DaysOverdue is the time since the deadline in days, rounded up: 0 at the
// deadline, 1 for the first day after it. It is 0 before the deadline.
func DaysOverdue(deadline, now time.Time, loc *time.Location) int {
	if now.Before(deadline) {
		return 0
	}
	d := deadline.In(loc)
	m := ceilDays(now.Sub(deadline))
	for m > 0 && !d.AddDate(0, 0, m-1).Before(now) {
		m--
	}
	for d.AddDate(0, 0, m).Before(now) {
		m++
	}
	return m
}

// Final reports whether now is within the last 24 hours before the deadline:
// the time of the final notice.
func Final(deadline, now time.Time) bool {
	left := deadline.Sub(now)
	return left > 0 && left <= day
}

func ceilDays(d time.Duration) int {
	n := int(d / day)
	if d%day > 0 {
		n++
	}
	return n
}
