package main

// End-to-end: how escalation, snooze, quiet hours and retries play
// together (issue 19). A webhook "pager" has no delivery window; the
// "office" webhook may be used Mon-Fri 09:00-18:00 Europe/Berlin.

import (
	"strings"
	"testing"
)

// interplayConfig: the 7d stage goes to the pager and escalates to the
// office after 4h; the final notice (24h, urgent by default) goes to the
// pager and escalates to the office after 1h. The deadline is Friday
// 2027-04-02 19:00 CEST; the 7d stage is due Friday 2027-03-26 19:00 CET
// (18:00 UTC), after the office's hours; the 24h stage Thursday
// 2027-04-01 19:00 CEST (17:00 UTC).
var interplayConfig = strings.Replace(quietConfig, `    - {before: 7d, channels: [office, pager]}
    - {before: 24h, channels: [office]}
`, `    - before: 7d
      channels: [pager]
      escalate: {after: 4h, channels: [office]}
    - before: 24h
      channels: [pager]
      escalate: {after: 1h, channels: [office]}
`, 1)

// quietStep is a tick at now and what the office and the pager receive
// ("stage#seq", comma-separated).
type quietStep struct{ now, office, paged string }

// quietSteps ticks at each step's moment and checks what arrived.
func quietSteps(e *env, pager *hook, steps []quietStep) {
	e.t.Helper()
	for _, s := range steps {
		office, paged := quietTick(e, pager, s.now)
		if got := strings.Join(office, ","); got != s.office {
			e.t.Errorf("tick at %s: office got %q, want %q", s.now, got, s.office)
		}
		if got := strings.Join(paged, ","); got != s.paged {
			e.t.Errorf("tick at %s: pager got %q, want %q", s.now, got, s.paged)
		}
	}
}

// An escalation whose channel has quiet hours waits for the window: the
// 7d escalation due Friday 23:00 CET reaches the office on Monday 09:00
// CEST, once, across the DST change.
func TestEndToEndEscalationWaitsForItsChannelsWindow(t *testing.T) {
	e, pager := newQuietEnvWith(t, interplayConfig)
	steps := []quietStep{
		{"2027-03-26T18:00:00Z", "", "7d#0"},
		{"2027-03-26T22:00:00Z", "", ""}, // the escalation is due: Friday 23:00 CET
		{"2027-03-27T09:00:00Z", "", ""}, // Saturday
		{"2027-03-29T06:59:00Z", "", ""}, // Monday 08:59 CEST
		{"2027-03-29T07:00:00Z", "7d/escalate-1#0", ""},
		{"2027-03-29T08:00:00Z", "", ""},
	}
	quietSteps(e, pager, steps)
}

// The escalation of an urgent stage is urgent too: the final notice's
// escalation, due Thursday 20:00 CEST, reaches the office at once.
func TestEndToEndEscalationOfAnUrgentStageBreaksThrough(t *testing.T) {
	e, pager := newQuietEnvWith(t, interplayConfig)
	quietTick(e, pager, "2027-03-29T07:00:00Z") // the 7d stage
	if _, paged := quietTick(e, pager, "2027-04-01T17:00:00Z"); strings.Join(paged, ",") != "24h#0" {
		t.Fatalf("the final notice at 19:00 CEST: pager got %q, want 24h#0", paged)
	}
	office, _ := quietTick(e, pager, "2027-04-01T18:00:00Z")
	if got := strings.Join(office, ","); got != "24h/escalate-1#0" {
		t.Errorf("the final notice's escalation at 20:00 CEST: office got %q, want 24h/escalate-1#0 at once", got)
	}
}

// A snooze is an answer: an escalation step that comes due while a snooze
// is in force never goes out, not even when the snooze ends with nobody
// acknowledging. The end of the snooze resumes the ladder with one repeat
// to the stage's own channels (snooze.go), which reminds the person who
// snoozed; paging the escalation channels at that same moment would
// escalate over someone who did answer. A more urgent stage's own chain
// still escalates.
func TestEndToEndSnoozeStopsAnEscalationForGood(t *testing.T) {
	e, pager := newQuietEnvWith(t, strings.Replace(interplayConfig, "channels: [pager]\n      escalate: {after: 4h", "repeat: 24h\n      channels: [pager]\n      escalate: {after: 4h", 1))
	if _, paged := quietTick(e, pager, "2027-03-29T07:00:00Z"); strings.Join(paged, ",") != "7d#2" {
		t.Fatalf("Monday 09:00 CEST: pager got %q, want the latest repeat 7d#2 (catch-up)", paged)
	}
	// The first delivery is what escalation counts from; none went out
	// before Monday, so the office's step is due Monday 13:00 CEST.
	e.okAt("2027-03-29T08:00:00Z", "ack", "sp-api-prod", "--by", "alice", "--for", "1d")
	steps := []quietStep{
		{"2027-03-29T11:00:00Z", "", ""},                 // 13:00 CEST: the escalation would be due; snoozed
		{"2027-03-30T07:59:00Z", "", ""},                 // the snooze ends at 10:00 CEST
		{"2027-03-30T08:00:00Z", "", "7d#3"},             // one repeat at the end, to the pager only
		{"2027-03-30T13:00:00Z", "", ""},                 // the office still gets no escalation
		{"2027-03-31T18:00:00Z", "", "7d#5"},             // the rhythm, nobody answers: still none
		{"2027-04-01T17:00:00Z", "", "24h#0"},            // the final notice
		{"2027-04-01T18:00:00Z", "24h/escalate-1#0", ""}, // its own chain escalates
	}
	quietSteps(e, pager, steps)
}

// A retry whose backoff would land outside the channel's window waits for
// the window: the office refuses the 7d reminder at Friday 17:59 CET; a
// minute later its window has closed, so the next attempt is Monday 09:00
// CEST.
func TestEndToEndRetryBackoffWaitsForTheWindow(t *testing.T) {
	e, pager := newQuietEnvWith(t, strings.Replace(quietConfig, "2027-04-02T19:00:00+02:00", "2027-04-02T17:59:00+02:00", 1))
	e.hook.mu.Lock()
	e.hook.statuses = []int{503}
	e.hook.mu.Unlock()
	if office, paged := quietTick(e, pager, "2027-03-26T16:59:00Z"); len(office) != 0 || strings.Join(paged, ",") != "7d#0" {
		t.Fatalf("Friday 17:59 CET: office got %v (want its 503), pager %v (want 7d#0)", office, paged)
	}
	var detail string
	for _, h := range e.history("--type", "reminder") {
		if h.Channel == "office" && h.Status == "retry" {
			detail = h.Detail
		}
	}
	if want := "next attempt at 2027-03-29T07:00:00Z"; !strings.HasSuffix(detail, want) {
		t.Errorf("the office's retry says %q, want it to end with %q (Monday 09:00 CEST)", detail, want)
	}
	for _, now := range []string{"2027-03-26T17:00:00Z", "2027-03-27T09:00:00Z", "2027-03-29T06:59:00Z"} {
		if office, _ := quietTick(e, pager, now); len(office) != 0 {
			t.Errorf("tick at %s, outside the office's hours: office got %v", now, office)
		}
	}
	if office, _ := quietTick(e, pager, "2027-03-29T07:00:00Z"); strings.Join(office, ",") != "7d#0" {
		t.Errorf("Monday 09:00 CEST: office got %v, want the retry of 7d#0", office)
	}
}
