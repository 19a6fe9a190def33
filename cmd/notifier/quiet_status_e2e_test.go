package main

import (
	"strings"
	"testing"
)

// A reminder due inside the office's hours (Thursday 10:00) that is first
// planned on Sunday, after the daemon was down, waits in the outbox for
// Monday 09:00; status on Sunday must say so, not compute from the
// threshold alone that its window passed on Thursday.
const quietLateConfig = `database: notifier.db
timezone: Europe/Berlin
policies:
  office-hours:
    - {before: 7d, channels: [office, pager]}
    - {before: 24h, channels: [office]}
channels:
  office:
    type: webhook
    url: "%s"
    deliver: {days: Mon-Fri, hours: "09:00-18:00", timezone: Europe/Berlin}
  pager: {type: webhook, url: "%s"}
credentials:
  - {id: sp-api-prod, name: SP-API production, owner: integrations, policy: office-hours, rotated_at: 2026-10-01, expires_at: "2027-04-01T10:00:00+02:00"}
`

func TestEndToEndQuietHoursStatusAfterDowntime(t *testing.T) {
	e, pager := newQuietEnvWith(t, quietLateConfig)
	// Sunday 2027-03-28 12:00 CEST: the first tick since before Thursday.
	office, paged := quietTick(e, pager, "2027-03-28T10:00:00Z")
	if got := strings.Join(office, ","); got != "" {
		t.Errorf("Sunday: office got %q, want nothing before Monday 09:00", got)
	}
	if got := strings.Join(paged, ","); got != "7d#0" {
		t.Errorf("Sunday: pager got %q, want 7d#0 at once", got)
	}
	out := e.ok("status", "--at", "2027-03-28T10:30:00Z")
	if !strings.Contains(out, "office deferred to Mon 09:00 CEST") {
		t.Errorf("status on Sunday does not say the office's reminder waits for Monday 09:00:\n%s", out)
	}
	office, _ = quietTick(e, pager, "2027-03-29T07:00:00Z")
	if got := strings.Join(office, ","); got != "7d#0" {
		t.Errorf("Monday 09:00 CEST: office got %q, want 7d#0", got)
	}
	if out := e.ok("status", "--at", "2027-03-29T07:30:00Z"); strings.Contains(out, "deferred") {
		t.Errorf("status after the office's send still says deferred:\n%s", out)
	}
}
