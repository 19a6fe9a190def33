package httpapi_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/httpapi"
)

// A snooze counts as acknowledged while it lasts, and no longer once it
// ended (the ladder resumed); its end is a gauge of the credential.
func TestMetricsSnooze(t *testing.T) {
	f := newFixture(t)
	f.tick()
	until := f.now.Add(24 * time.Hour)
	if err := f.eng.Acknowledge(t.Context(), engine.Ack{Credential: "sp-api-prod", By: "alice", Source: "cli", At: f.now, Until: until}); err != nil {
		t.Fatal(err)
	}
	const acked, snoozed = "notifier_credential_acknowledged", "notifier_credential_snoozed_until_timestamp_seconds"
	tests := []struct {
		name        string
		at          time.Time
		acked       float64
		snoozedTill float64 // -1: no series
	}{
		{"while snoozed", f.now, 1, float64(until.Unix())},
		{"after the snooze ended", until.Add(httpapi.MetricsInterval), 0, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.now = tt.at
			fams := f.scrape()
			if got := value(fams, acked, "credential", "sp-api-prod"); got != tt.acked {
				t.Errorf("%s = %v, want %v", acked, got, tt.acked)
			}
			if got := value(fams, snoozed, "credential", "sp-api-prod"); got != tt.snoozedTill {
				t.Errorf("%s = %v, want %s", snoozed, got, strconv.FormatFloat(tt.snoozedTill, 'f', 0, 64))
			}
		})
	}
}
