package config

import (
	"fmt"
	"strings"
	"time"
)

// ParseTime reads a time as operators write it: a date ("2026-06-01",
// midnight in loc), a local date and time ("2026-06-01T09:30" or
// "2026-06-01 09:30", in loc), or RFC 3339 with a zone
// ("2026-06-01T09:30:00Z", "2026-06-01T09:30:00+02:00").
func ParseTime(s string, loc *time.Location) (time.Time, error) {
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
