package channels_test

import (
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
)

// snoozed is a message while alice's snooze lasts, and after it ended.
func snoozed(ended bool) channels.Message {
	cet := time.FixedZone("CET", 3600)
	m := channels.Sample(time.Date(2026, 12, 8, 9, 0, 0, 0, cet))
	m.Test = false
	m.AcknowledgedBy, m.AcknowledgedAt = "alice", m.Now.Add(-time.Hour)
	m.SnoozedUntil = time.Date(2026, 12, 10, 9, 0, 0, 0, cet)
	m.Acknowledged = !ended
	return m
}

// While a snooze lasts, every form of a message says who snoozed until
// when, never "Acknowledged by"; after it ended, that it ended.
func TestAckStateSnooze(t *testing.T) {
	tests := []struct {
		name string
		m    channels.Message
		want string
	}{
		{"snoozed", snoozed(false), "Snoozed by alice until Thu 10 Dec 2026 09:00 CET"},
		{"snooze ended", snoozed(true), "Snooze by alice ended Thu 10 Dec 2026 09:00 CET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.m.AckState(); got != tt.want {
				t.Errorf("AckState() = %q, want %q", got, tt.want)
			}
		})
	}
	acked := snoozed(false)
	acked.SnoozedUntil = time.Time{}
	if got, want := acked.AckState(), "Acknowledged by alice at Tue 8 Dec 2026 08:00 CET"; got != want {
		t.Errorf("plain ack: AckState() = %q, want %q", got, want)
	}
	if got := channels.Sample(time.Now()).AckState(); got != "" {
		t.Errorf("unacknowledged: AckState() = %q, want empty", got)
	}
}

// The JSON form (webhook, stdout json) carries the snooze's end while it
// lasts, in RFC 3339.
func TestPayloadSnooze(t *testing.T) {
	p := channels.NewPayload(snoozed(false))
	if !p.Acknowledged || p.AcknowledgedBy != "alice" || p.SnoozedUntil != "2026-12-10T09:00:00+01:00" {
		t.Errorf("payload while snoozed: acknowledged %v by %q until %q", p.Acknowledged, p.AcknowledgedBy, p.SnoozedUntil)
	}
	if p := channels.NewPayload(snoozed(true)); p.Acknowledged || p.SnoozedUntil != "" {
		t.Errorf("payload after the snooze: acknowledged %v until %q", p.Acknowledged, p.SnoozedUntil)
	}
}

// A digest's HTML shows a snooze in its Acknowledged cell.
func TestDigestHTMLSnoozed(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	at := time.Date(2026, 12, 8, 9, 0, 0, 0, cet)
	d := &channels.Digest{Channel: "ops", At: at, DueWithin: 14, Sections: []channels.DigestSection{{Key: "snoozed", Title: "Snoozed", Rows: []channels.DigestRow{{
		Credential: "alpha", Name: "Alpha", Deadline: at.AddDate(0, 0, 7), DaysRemaining: 7,
		AckedBy: "alice", AckedAt: at.Add(-time.Hour), SnoozedUntil: time.Date(2026, 12, 10, 9, 0, 0, 0, cet)}}}}}
	html, err := d.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if want := "<td>snoozed by alice until Thu 10 Dec 2026 09:00 CET</td>"; !strings.Contains(html, want) {
		t.Errorf("HTML lacks %q:\n%s", want, html)
	}
	if want := "1 snoozed"; !strings.Contains(d.Summary(), want) {
		t.Errorf("summary %q lacks %q", d.Summary(), want)
	}
}
