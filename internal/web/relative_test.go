package web

import (
	"testing"
	"time"
)

// A deadline 33 minutes away is not "tomorrow" (it was, for it is a day
// remaining as the reminders count); one a day overdue is not "today".
func TestRelative(t *testing.T) {
	h := time.Hour
	for _, c := range []struct {
		left time.Duration
		days int
		want string
	}{
		{33 * time.Minute, 1, "within the hour"},
		{5*h + time.Minute, 1, "in 6 hours"},
		{24 * h, 1, "in 24 hours"},
		{24*h + time.Minute, 2, "in 2 days"},
		{10*24*h + h, 11, "in 11 days"},
		{0, 0, "just passed"},
		{-90 * time.Minute, 0, "1 hour ago"},
		{-23 * h, 0, "23 hours ago"},
		{-25 * h, -1, "1 day ago"},
		{-50 * h, -2, "2 days ago"},
	} {
		if got := relative(c.left, c.days); got != c.want {
			t.Errorf("relative(%v, %d) = %q, want %q", c.left, c.days, got, c.want)
		}
	}
}
