package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/schedule"
)

// ParseTime reads a time as operators write it: a date ("2026-06-01",
// midnight in loc), a local date and time ("2026-06-01T09:30" or
// "2026-06-01 09:30", in loc), or RFC 3339 with a zone
// ("2026-06-01T09:30:00Z", "2026-06-01T09:30:00+02:00"). The time must lie
// between schedule.MinTime and schedule.MaxTime (1970-01-01 and 9999-12-31,
// UTC): the store writes times as RFC 3339 text, which has four-digit
// years, and nothing notifier keeps happened before 1970.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	t, err := parseTime(s, loc)
	if err != nil {
		return t, err
	}
	switch {
	case t.Before(schedule.MinTime):
		return time.Time{}, fmt.Errorf("%q is before %s (times are from 1970-01-01 to 9999-12-31)", s, schedule.MinTime.Format(time.RFC3339))
	case t.After(schedule.MaxTime):
		return time.Time{}, fmt.Errorf("%q is after %s (times are from 1970-01-01 to 9999-12-31)", s, schedule.MaxTime.Format(time.RFC3339))
	}
	return t, nil
}

func parseTime(s string, loc *time.Location) (time.Time, error) {
	in := strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, in); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, in, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (use 2026-06-01, 2026-06-01T09:30 or RFC 3339)", s)
}
