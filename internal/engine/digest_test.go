package engine_test

import (
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/notifier-dev/notifier/internal/engine"
)

// TestLatestDigest: the moment a digest is due at now is the schedule's
// latest at or before now, in the config's zone, across a weekend and
// the DST change; after days down it is the latest alone.
func TestLatestDigest(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	weekdays, _ := cron.ParseStandard("0 9 * * MON-FRI")
	monthly, _ := cron.ParseStandard("0 9 1 * *")
	for _, c := range []struct {
		name  string
		s     cron.Schedule
		now   time.Time
		want  time.Time
		found bool
	}{
		{"at the moment", weekdays, time.Date(2026, 12, 7, 9, 0, 0, 0, berlin), time.Date(2026, 12, 7, 9, 0, 0, 0, berlin), true},
		{"a second before: Friday's", weekdays, time.Date(2026, 12, 7, 8, 59, 59, 0, berlin), time.Date(2026, 12, 4, 9, 0, 0, 0, berlin), true},
		{"after days down: the latest", weekdays, time.Date(2026, 12, 11, 17, 0, 0, 0, berlin), time.Date(2026, 12, 11, 9, 0, 0, 0, berlin), true},
		{"across the DST change", weekdays, time.Date(2026, 3, 30, 8, 0, 0, 0, time.UTC), time.Date(2026, 3, 30, 9, 0, 0, 0, berlin), true},
		{"monthly, weeks later", monthly, time.Date(2026, 12, 20, 0, 0, 0, 0, berlin), time.Date(2026, 12, 1, 9, 0, 0, 0, berlin), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := engine.LatestDigest(c.s, c.now, berlin)
			if ok != c.found || !got.Equal(c.want) {
				t.Errorf("LatestDigest(%s) = %s, %t; want %s, %t", c.now, got, ok, c.want, c.found)
			}
		})
	}
}
