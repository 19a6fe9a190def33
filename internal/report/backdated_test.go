package report

import (
	"testing"
	"time"
)

// TestBackDated: a record is flagged when it was recorded more than an
// hour after the time it says it happened, with the delay rounded up to
// hours under a day and to days from there; not when the recorded time is
// unknown (recorded before notifier kept it).
func TestBackDated(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		recorded time.Time
		want     string
	}{
		{time.Time{}, ""},
		{at, ""},
		{at.Add(-time.Minute), ""},
		{at.Add(time.Hour), ""},
		{at.Add(time.Hour + time.Second), "recorded 2 hours after the fact"},
		{at.Add(24 * time.Hour), "recorded 24 hours after the fact"},
		{at.Add(24*time.Hour + time.Second), "recorded 2 days after the fact"},
		{time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC), "recorded 5 days after the fact"},
	} {
		got := ""
		if s := backDated(at, tc.recorded); s != nil {
			got = *s
		}
		if got != tc.want {
			t.Errorf("happened %s, recorded %s: %q, want %q", at, tc.recorded, got, tc.want)
		}
	}
}
