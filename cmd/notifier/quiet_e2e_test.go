package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Quiet hours (issue 19 item 3): a channel with a delivery window keeps a
// reminder due outside it until the window opens, once; a channel without
// one gets it at once; an urgent stage breaks through.

const quietConfig = `database: notifier.db
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
  - {id: sp-api-prod, name: SP-API production, owner: integrations, policy: office-hours, rotated_at: 2026-10-01, expires_at: "2027-04-02T19:00:00+02:00"}
`

// newQuietEnv is an env whose office channel has office hours in
// Europe/Berlin; its hook is the office's, pager is the second hook.
func newQuietEnv(t *testing.T) (*env, *hook) {
	return newQuietEnvWith(t, quietConfig)
}

func newQuietEnvWith(t *testing.T, config string) (*env, *hook) {
	e := &env{t: t, dir: t.TempDir(), hook: newHook(t)}
	pager := newHook(t)
	e.config = filepath.Join(e.dir, "config.yaml")
	body := fmt.Sprintf(config, e.hook.srv.URL+"/office", pager.srv.URL+"/pager")
	if err := os.WriteFile(e.config, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return e, pager
}

// quietTick ticks at now on the test clock (the wall clock is now) and
// returns what the office and the pager received.
func quietTick(e *env, pager *hook, now string) (office, paged []string) {
	e.t.Helper()
	e.okAt(now, "tick", "--at", now)
	for _, p := range e.hook.take() {
		office = append(office, fmt.Sprintf("%s#%d", p.Stage, p.Seq))
	}
	for _, p := range pager.take() {
		paged = append(paged, fmt.Sprintf("%s#%d", p.Stage, p.Seq))
	}
	return office, paged
}

// The 7d reminder is due Friday 2027-03-26 19:00 CET (18:00 UTC), after
// the office's hours: the pager gets it then, the office on Monday
// 2027-03-29 09:00 CEST (07:00 UTC; the clocks went forward on Sunday the
// 28th), once, and no tick of the weekend sends it.
func TestEndToEndQuietHoursDeferOverTheWeekendAcrossDST(t *testing.T) {
	e, pager := newQuietEnv(t)
	// plan, on Wednesday, shows the send Friday evening and when the office
	// gets it.
	if office, paged := quietTick(e, pager, "2027-03-24T12:00:00Z"); len(office)+len(paged) != 0 {
		t.Errorf("Wednesday: office got %v, pager %v; want nothing yet", office, paged)
	}
	plan := e.ok("plan", "--at", "2027-03-24T12:00:00Z")
	if !strings.Contains(plan, "2027-03-26 19:00 CET") || !strings.Contains(plan, "office deferred to Mon 09:00 CEST") {
		t.Errorf("plan does not show the 7d send on Friday 19:00 with the office's deferred to Mon 09:00:\n%s", plan)
	}
	steps := []struct {
		now           string
		office, paged string
	}{
		{"2027-03-26T17:59:00Z", "", ""},
		{"2027-03-26T18:00:00Z", "", "7d#0"},
		{"2027-03-26T18:30:00Z", "", ""},
		{"2027-03-27T09:00:00Z", "", ""}, // Saturday 10:00 CET
		{"2027-03-28T08:00:00Z", "", ""}, // Sunday 10:00 CEST
		{"2027-03-29T06:59:00Z", "", ""}, // Monday 08:59 CEST
		{"2027-03-29T07:00:00Z", "7d#0", ""},
		{"2027-03-29T07:05:00Z", "", ""},
		{"2027-03-29T12:00:00Z", "", ""},
	}
	for _, s := range steps {
		office, paged := quietTick(e, pager, s.now)
		if got := strings.Join(office, ","); got != s.office {
			t.Errorf("tick at %s: office got %q, want %q", s.now, got, s.office)
		}
		if got := strings.Join(paged, ","); got != s.paged {
			t.Errorf("tick at %s: pager got %q, want %q", s.now, got, s.paged)
		}
		if s.now == "2027-03-27T09:00:00Z" {
			// The deferral is said where people look, in the window's zone.
			if out := e.ok("status", "--at", s.now); !strings.Contains(out, "office deferred to Mon 09:00") {
				t.Errorf("status on Saturday does not say the office's reminder is deferred to Mon 09:00:\n%s", out)
			}
		}
	}
	// The history dates the office's send when it went out.
	var sent []string
	for _, h := range e.history() {
		if h.Status == "sent" {
			sent = append(sent, h.Channel+"@"+h.Time)
		}
	}
	if got, want := strings.Join(sent, " "), "pager@2027-03-26T19:00:00+01:00 office@2027-03-29T09:00:00+02:00"; got != want {
		t.Errorf("sent in the history: %s, want %s", got, want)
	}
}

// The final notice (24h before the deadline: Thursday 2027-04-01 19:00
// CEST, after hours) is urgent by default and goes out at once.
func TestEndToEndQuietHoursUrgentStageBreaksThrough(t *testing.T) {
	e, pager := newQuietEnv(t)
	quietTick(e, pager, "2027-03-29T07:00:00Z")
	office, _ := quietTick(e, pager, "2027-04-01T17:00:00Z")
	if got := strings.Join(office, ","); got != "24h#0" {
		t.Errorf("the final notice at 19:00 CEST: office got %q, want 24h#0 at once", got)
	}
}

// A repeating stage whose repeats fall in quiet hours: each newer repeat
// replaces the one still waiting, so Monday 09:00 brings one reminder,
// the latest, never the weekend's in a burst.
func TestEndToEndQuietHoursRepeatsDoNotPileUp(t *testing.T) {
	e, pager := newQuietEnvWith(t, strings.Replace(quietConfig, "{before: 7d, channels: [office, pager]}", "{before: 7d, repeat: 24h, channels: [office, pager]}", 1))
	for _, now := range []string{"2027-03-26T18:00:00Z", "2027-03-27T18:00:00Z", "2027-03-28T18:00:00Z"} {
		if office, paged := quietTick(e, pager, now); len(office) != 0 || len(paged) != 1 {
			t.Errorf("tick at %s: office got %v (want nothing), pager %v (want one repeat)", now, office, paged)
		}
	}
	office, _ := quietTick(e, pager, "2027-03-29T07:00:00Z")
	if got := strings.Join(office, ","); got != "7d#2" {
		t.Errorf("Monday 09:00 CEST: office got %q, want only the latest repeat 7d#2", got)
	}
	if office, _ := quietTick(e, pager, "2027-03-29T07:30:00Z"); len(office) != 0 {
		t.Errorf("a second tick on Monday sent the office %v again", office)
	}
}
