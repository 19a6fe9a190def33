package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DeliveryWindow says when a channel may be used (quiet hours outside it):
// on which days and between which wall-clock times, in a zone. A range
// whose end is not after its start runs across midnight and belongs to the
// day it starts on ("Fri 22:00-06:00" is open until Saturday 06:00). Times
// are wall-clock times, so the window keeps its local hours across DST: on
// the day a clock skips 02:00-03:00 a window from 02:30 opens at 03:00, and
// on the day 02:30 happens twice both are inside a window that holds it.
type DeliveryWindow struct {
	Days  [7]bool       // by time.Weekday
	Hours []MinuteRange // empty: the whole day
	Loc   *time.Location
}

// MinuteRange is [From, To) in minutes after local midnight; To ≤ From
// runs across midnight.
type MinuteRange struct{ From, To int }

func (r MinuteRange) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", r.From/60, r.From%60, r.To/60, r.To%60)
}

// ranges is the window's ranges, the whole day when none were given.
func (w DeliveryWindow) ranges() []MinuteRange {
	if len(w.Hours) == 0 {
		return []MinuteRange{{0, 24 * 60}}
	}
	return w.Hours
}

// Open reports whether t lies inside the window.
func (w DeliveryWindow) Open(t time.Time) bool {
	lt := t.In(w.Loc)
	sec := lt.Hour()*3600 + lt.Minute()*60 + lt.Second()
	day := lt.Weekday()
	prev := (day + 6) % 7
	for _, r := range w.ranges() {
		from, to := r.From*60, r.To*60
		if from < to {
			if w.Days[day] && sec >= from && sec < to {
				return true
			}
			continue
		}
		if w.Days[day] && sec >= from || w.Days[prev] && sec < to {
			return true
		}
	}
	return false
}

// Next returns the first moment at or after t inside the window, or the
// zero time for a window that is never open. The window's set of open
// moments starts either where the wall clock reaches a range's start
// (twice on a day the clock falls back through it) or where a DST change
// makes the clock jump into a range; Next tries those moments of the
// eight days around t and keeps the earliest open one.
func (w DeliveryWindow) Next(t time.Time) time.Time {
	if w.Open(t) {
		return t
	}
	var best time.Time
	consider := func(c time.Time) {
		if !c.Before(t) && w.Open(c) && (best.IsZero() || c.Before(best)) {
			best = c
		}
	}
	lt := t.In(w.Loc)
	for d := -1; d <= 8; d++ {
		y, m, dd := lt.Date()
		noon := time.Date(y, m, dd+d, 12, 0, 0, 0, w.Loc)
		// The DST changes around this day: the clock jumps there.
		start, end := noon.ZoneBounds()
		consider(start)
		consider(end)
		for _, r := range w.ranges() {
			c := time.Date(y, m, dd+d, r.From/60, r.From%60, 0, 0, w.Loc)
			consider(c)
			// A wall-clock time that happens twice (the clock falls back):
			// time.Date picks one of them; the other is one zone change away.
			_, off := c.Zone()
			zs, ze := c.ZoneBounds() // zero where the zone has no change
			for _, edge := range []time.Time{zs, ze} {
				if edge.IsZero() {
					continue
				}
				if edge.Equal(zs) {
					edge = zs.Add(-time.Second) // the zone before
				}
				_, other := edge.In(w.Loc).Zone()
				for _, c2 := range []time.Time{c.Add(time.Duration(off-other) * time.Second), c.Add(time.Duration(other-off) * time.Second)} {
					if l2, l := c2.In(w.Loc), c.In(w.Loc); l2.Hour() == l.Hour() && l2.Minute() == l.Minute() {
						consider(c2)
					}
				}
			}
		}
	}
	return best
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParseDays reads days like "Mon-Fri", "Sat,Sun" or "Mon-Wed,Fri"; a
// range may wrap the week ("Fri-Mon"). Empty means every day.
func ParseDays(s string) ([7]bool, error) {
	var days [7]bool
	if strings.TrimSpace(s) == "" {
		return [7]bool{true, true, true, true, true, true, true}, nil
	}
	day := func(name string) (time.Weekday, error) {
		d, ok := weekdays[strings.ToLower(strings.TrimSpace(name))]
		if !ok {
			return 0, fmt.Errorf("%q is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun)", strings.TrimSpace(name))
		}
		return d, nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := day(lo)
		if err != nil {
			return days, err
		}
		b := a
		if isRange {
			if b, err = day(hi); err != nil {
				return days, err
			}
		}
		for d := a; ; d = (d + 1) % 7 {
			days[d] = true
			if d == b {
				break
			}
		}
	}
	return days, nil
}

// ParseHours reads one range of wall-clock times, "09:00-18:00"; an end
// not after the start runs across midnight ("22:00-06:00"); 24:00 ends a
// day. A range from a time to itself is refused: it would be empty.
func ParseHours(s string) (MinuteRange, error) {
	lo, hi, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return MinuteRange{}, fmt.Errorf("%q is not a range of times (e.g. 09:00-18:00)", s)
	}
	from, err := clockMinutes(lo)
	if err != nil {
		return MinuteRange{}, err
	}
	to, err := clockMinutes(hi)
	if err != nil {
		return MinuteRange{}, err
	}
	if from == 24*60 || from == to {
		return MinuteRange{}, fmt.Errorf("%q is an empty window", s)
	}
	return MinuteRange{from, to}, nil
}

// clockMinutes reads HH:MM, 00:00 to 24:00, as minutes after midnight.
func clockMinutes(s string) (int, error) {
	s = strings.TrimSpace(s)
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || len(h) != 2 || len(m) != 2 || err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || hh == 24 && mm != 0 {
		return 0, fmt.Errorf("%q is not a time of day (HH:MM, 00:00 to 24:00)", s)
	}
	return hh*60 + mm, nil
}

// Urgent reports whether a stage breaks through delivery windows: as the
// stage says, else by default the final notice (its threshold within the
// last 24 hours before the deadline, as Final says) and overdue stages.
func Urgent(s Stage, explicit *bool, deadline time.Time, loc *time.Location) bool {
	if explicit != nil {
		return *explicit
	}
	return s.After || Final(deadline, s.Threshold(deadline, loc))
}
