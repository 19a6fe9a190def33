package email

import (
	"strings"
	"testing"
	"time"
)

// The default HTML's Acknowledged cell says who snoozed until when while a
// snooze lasts, and that it ended afterwards (with the ack link again).
func TestHTMLSnoozed(t *testing.T) {
	tmpl, err := parseHTML(DefaultHTML)
	if err != nil {
		t.Fatal(err)
	}
	until := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name          string
		acknowledged  bool
		want, refused []string
	}{
		{"snoozed", true, []string{"Snoozed by alice until Tue 3 Mar 2026 09:00 UTC"}, []string{"Acknowledged by", "by alice at", "Acknowledge this reminder"}},
		{"ended", false, []string{"Snooze by alice ended Tue 3 Mar 2026 09:00 UTC", "Acknowledge this reminder"}, []string{"Snoozed by", "not yet"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := reminder(t)
			m.Acknowledged, m.AcknowledgedBy, m.AcknowledgedAt = tt.acknowledged, "alice", m.Now.Add(-time.Hour)
			m.SnoozedUntil = until
			html, err := renderHTML(tmpl, m)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(html, w) {
					t.Errorf("HTML lacks %q:\n%s", w, html)
				}
			}
			for _, r := range tt.refused {
				if strings.Contains(html, r) {
					t.Errorf("HTML has %q:\n%s", r, html)
				}
			}
		})
	}
}
