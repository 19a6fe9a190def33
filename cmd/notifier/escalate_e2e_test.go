package main

// End-to-end: escalation when nobody answers (a stage's escalate:). The
// 7d stage goes to ops; 4h after its first successful delivery, if nobody
// acknowledged, it goes to the team lead, and 2h after that to the cto.

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/channels/webhook"
)

// escalateConfig is baseConfig whose 7d stage escalates to lead, then cto,
// each a webhook of its own.
const escalateConfig = `database: notifier.db
timezone: UTC
policies:
  standard:
    - {before: 30d, channels: [ops]}
    - before: 7d
      channels: [ops]
      escalate:
        after: 4h
        channels: [lead]
        then: {after: 2h, channels: [cto]}
    - {before: 24h, channels: [ops]}
    - {after: 0s, repeat: 24h, channels: [ops]}
channels:
  ops: {type: webhook, url: "%s/hook"}
  lead: {type: webhook, url: "%s/lead"}
  cto: {type: webhook, url: "%s/cto"}
credentials:
  - {id: sp-api-prod, name: "SP-API production", owner: integrations, rotated_at: 2026-06-01}
`

// escalateEnv is an env on escalateConfig with the lead's and the cto's
// webhooks. The deadline is 2026-11-28 00:00 UTC; the 7d stage is due
// from Sat 2026-11-21 00:00.
type escalateEnv struct {
	*env
	lead, cto *hook
}

func newEscalateEnv(t *testing.T) *escalateEnv {
	e := &escalateEnv{env: newEnv(t, "2026-06-01"), lead: newHook(t), cto: newHook(t)}
	body := fmt.Sprintf(escalateConfig, e.hook.srv.URL, e.lead.srv.URL, e.cto.srv.URL)
	if err := os.WriteFile(e.config, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

// tickAll ticks at at and returns what ops, the lead and the cto received.
func (e *escalateEnv) tickAll(at string) (ops, lead, cto []webhook.Payload) {
	e.t.Helper()
	ops = e.tick(at)
	return ops, e.lead.take(), e.cto.take()
}

func stages(got []webhook.Payload) []string {
	var out []string
	for _, p := range got {
		out = append(out, p.Stage)
	}
	return out
}

func TestEndToEndEscalationFiresAfterFourHours(t *testing.T) {
	e := newEscalateEnv(t)
	ops, lead, _ := e.tickAll("2026-11-21T09:00:00Z")
	if got := stages(ops); len(got) != 1 || got[0] != "7d" || len(lead) != 0 {
		t.Fatalf("at 09:00: ops got %v, the lead %v; want the 7d stage to ops only", got, stages(lead))
	}
	if _, lead, _ := e.tickAll("2026-11-21T12:59:59Z"); len(lead) != 0 {
		t.Fatalf("3h59m59s after the 7d reminder the lead got %v, want nothing yet", stages(lead))
	}
	// A dry run at 13:00 shows the escalation that the tick then sends.
	var dry []string
	for _, in := range e.dryRun("2026-11-21T13:00:00Z") {
		dry = append(dry, in.Stage+" "+in.Channel+" "+in.Status)
	}
	if want := "7d/escalate-1 lead pending"; len(dry) != 1 || dry[0] != want {
		t.Errorf("dry run at 13:00: %q, want [%q]", dry, want)
	}
	ops, lead, cto := e.tickAll("2026-11-21T13:00:00Z")
	if len(ops) != 0 || len(cto) != 0 || len(lead) != 1 {
		t.Fatalf("at 13:00: ops %v, lead %v, cto %v; want one escalation to the lead", stages(ops), stages(lead), stages(cto))
	}
	l := lead[0]
	const line = "escalation: nobody acknowledged the 7d reminder sent Sat 21 Nov 09:00 UTC to ops within 4h"
	if l.Stage != "7d/escalate-1" || l.Escalation != line || !strings.HasPrefix(l.Text, line+"\n") || l.DaysRemaining != 7 {
		t.Errorf("the lead's message: stage %q, escalation %q, %d days remaining, text %q; want stage 7d/escalate-1, %q opening the text, 7 days",
			l.Stage, l.Escalation, l.DaysRemaining, l.Text, line)
	}
	// The same tick again, in a new process: nothing twice.
	if ops, lead, cto := e.tickAll("2026-11-21T13:00:00Z"); len(ops)+len(lead)+len(cto) != 0 {
		t.Fatalf("the tick again sent %v %v %v", stages(ops), stages(lead), stages(cto))
	}
	// The chain: 2h after the lead's message, the cto.
	if _, _, cto := e.tickAll("2026-11-21T14:59:00Z"); len(cto) != 0 {
		t.Fatalf("1h59m after the lead's escalation the cto got %v", stages(cto))
	}
	ops, lead, cto = e.tickAll("2026-11-21T15:00:00Z")
	const line2 = "escalation: nobody acknowledged the 7d reminder escalated Sat 21 Nov 13:00 UTC to lead within 2h"
	if len(ops) != 0 || len(lead) != 0 || len(cto) != 1 || cto[0].Stage != "7d/escalate-2" || cto[0].Escalation != line2 {
		t.Fatalf("at 15:00: ops %v, lead %v, cto %+v; want the second step to the cto: %q", stages(ops), stages(lead), cto, line2)
	}
	// The history says when each went out and to whom.
	var sent []string
	for _, h := range e.history("--type", "reminder") {
		if h.Status == "sent" {
			sent = append(sent, h.Time+" "+h.Stage+" "+h.Channel)
		}
	}
	wantSent := []string{"2026-11-21T09:00:00Z 7d ops", "2026-11-21T13:00:00Z 7d/escalate-1 lead", "2026-11-21T15:00:00Z 7d/escalate-2 cto"}
	if strings.Join(sent, "|") != strings.Join(wantSent, "|") {
		t.Errorf("history of sent reminders:\n%s\nwant\n%s", strings.Join(sent, "\n"), strings.Join(wantSent, "\n"))
	}
	e.ok("verify")
}

func TestEndToEndEscalationStoppedByAnAckAt3h59m(t *testing.T) {
	e := newEscalateEnv(t)
	if ops, _, _ := e.tickAll("2026-11-21T09:00:00Z"); len(ops) != 1 {
		t.Fatalf("at 09:00 ops got %v, want the 7d stage", stages(ops))
	}
	e.okAt("2026-11-21T12:59:00Z", "ack", "sp-api-prod", "--at", "2026-11-21T12:59:00Z", "--by", "alice")
	for _, at := range []string{"2026-11-21T13:00:00Z", "2026-11-21T15:00:00Z", "2026-11-21T23:00:00Z"} {
		if ops, lead, cto := e.tickAll(at); len(ops)+len(lead)+len(cto) != 0 {
			t.Fatalf("acknowledged at 12:59, yet at %s: ops %v, lead %v, cto %v", at, stages(ops), stages(lead), stages(cto))
		}
	}
}

func TestEndToEndEscalationCatchUpSendsOnlyTheLatestStep(t *testing.T) {
	e := newEscalateEnv(t)
	if ops, _, _ := e.tickAll("2026-11-21T09:00:00Z"); len(ops) != 1 {
		t.Fatalf("at 09:00 ops got %v, want the 7d stage", stages(ops))
	}
	// Down for 10 hours: the lead's step (13:00) and the cto's (15:00) are due.
	ops, lead, cto := e.tickAll("2026-11-21T19:00:00Z")
	if len(ops) != 0 || len(lead) != 0 || len(cto) != 1 || cto[0].Stage != "7d/escalate-2" {
		t.Fatalf("after 10h down: ops %v, lead %v, cto %v; want only the cto's step", stages(ops), stages(lead), stages(cto))
	}
	var skipped []string
	for _, h := range e.history("--type", "reminder") {
		if h.Status == "skipped" && strings.Contains(h.Stage, "escalate") {
			skipped = append(skipped, h.Stage+" "+h.Channel+": "+h.Detail)
		}
	}
	if want := "7d/escalate-1 lead: missed: escalation step 2 was due by then"; len(skipped) != 1 || skipped[0] != want {
		t.Errorf("skipped escalations %q, want [%q]", skipped, want)
	}
}

func TestEndToEndEscalationEndsWhenAMoreUrgentStageIsActive(t *testing.T) {
	e := newEscalateEnv(t)
	if ops, _, _ := e.tickAll("2026-11-26T22:00:00Z"); len(ops) != 1 || ops[0].Stage != "7d" {
		t.Fatalf("at 22:00 ops got %v, want the 7d stage", stages(ops))
	}
	// 02:30 is 4h30m after the 7d reminder, and the 24h stage is active.
	ops, lead, cto := e.tickAll("2026-11-27T02:30:00Z")
	if got := stages(ops); len(got) != 1 || got[0] != "24h" || len(lead)+len(cto) != 0 {
		t.Fatalf("at 02:30: ops %v, lead %v, cto %v; want the 24h stage to ops and no escalation of the 7d one", got, stages(lead), stages(cto))
	}
}
