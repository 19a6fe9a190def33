package sns

import (
	"testing"
	"time"
)

// An SMS during a snooze says who snoozed until when, not "Acked by".
func TestSMSTextSnoozed(t *testing.T) {
	m := overdue()
	m.Acknowledged, m.AcknowledgedBy = true, "alice"
	m.SnoozedUntil = time.Date(2026, 12, 1, 9, 0, 0, 0, cet)
	want := "notifier: sp-api-prod overdue by 1 day, deadline 2026-11-28. Snoozed by alice until 2026-12-01 09:00 CET."
	if got := SMSText(m); got != want {
		t.Errorf("SMSText =\n %q, want\n %q", got, want)
	}
}
