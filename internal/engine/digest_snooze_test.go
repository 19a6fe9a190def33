package engine

import (
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// A digest lists a snooze in force under Snoozed, between Due and
// Acknowledged, with its end; a snooze that ended is due again; overdue
// stays overdue.
func TestDigestSectionSnooze(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	at := time.Date(2026, 12, 8, 9, 0, 0, 0, cet)
	until := at.Add(48 * time.Hour)
	if !(sectionDue < sectionSnoozed && sectionSnoozed < sectionAcknowledged) {
		t.Fatalf("sections in order due %d, snoozed %d, acknowledged %d", sectionDue, sectionSnoozed, sectionAcknowledged)
	}
	tests := []struct {
		name    string
		ack     schedule.Ack
		overdue bool
		section int
		line    string // the end of the row's Line
	}{
		{"snoozed", schedule.Ack{At: at.Add(-time.Hour), By: "alice", Until: until}, false, sectionSnoozed, ", snoozed by alice until Thu 10 Dec 2026 09:00 CET"},
		{"snooze ended", schedule.Ack{At: at.Add(-72 * time.Hour), By: "alice", Until: at.Add(-time.Minute)}, false, sectionDue, "7 days remaining, deadline Tue 15 Dec 2026 09:00 CET"},
		{"acknowledged", schedule.Ack{At: at.Add(-time.Hour), By: "bob"}, false, sectionAcknowledged, ", acknowledged by bob at Tue 8 Dec 2026 08:00 CET"},
		{"snoozed, overdue", schedule.Ack{At: at.Add(-time.Hour), By: "alice", Until: until}, true, sectionOverdue, ", snoozed by alice until Thu 10 Dec 2026 09:00 CET"},
		{"nobody", schedule.Ack{}, false, sectionDue, "7 days remaining, deadline Tue 15 Dec 2026 09:00 CET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := channels.DigestRow{Credential: "alpha", Name: "Alpha", Deadline: at.AddDate(0, 0, 7), DaysRemaining: 7, Overdue: tt.overdue}
			if tt.overdue {
				r.DaysRemaining, r.DaysOverdue = 0, 1
				tt.line = "overdue by 1 day, deadline Tue 15 Dec 2026 09:00 CET" + tt.line
			}
			digestAck(&r, tt.ack, at, cet)
			if got := digestSection(r); got != tt.section {
				t.Errorf("section = %d, want %d", got, tt.section)
			}
			if got := r.Line(); len(got) < len(tt.line) || got[len(got)-len(tt.line):] != tt.line {
				t.Errorf("line = %q, want it to end %q", got, tt.line)
			}
		})
	}
}
