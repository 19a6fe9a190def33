package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/testutil/smtpd"
)

// ownersConfig routes the mail and hook channels by owner: team-a and
// team-b have their own mailbox and webhook, team-c none (its reminders
// fall back to ops@example.com and the /default hook, with a note).
const ownersConfig = `database: notifier.db
timezone: UTC
policies:
  standard:
    - {before: 7d, repeat: 24h, channels: [hook, mail]}
channels:
  hook: {type: webhook, route: owner, url: "%[1]s/default"}
  mail: {type: email, route: owner, smtp: "%[2]s", tls: none, from: notifier@example.com, to: [ops@example.com]}
owners:
  team-a: {email: %[3]s, webhook: "${TEAM_A_HOOK}"}
  team-b: {email: b@example.com, webhook: "%[4]s/team-b"}
credentials:
  - {id: pay-a, owner: team-a, rotated_at: 2026-06-01}
  - {id: web-b, owner: team-b, rotated_at: 2026-06-01}
  - {id: lone-c, owner: team-c, rotated_at: 2026-06-01}
`

// TestEndToEndRouteByOwner: two teams receive only their own reminders,
// on email and webhook; an owner without a route falls back to the
// channel's own recipients with a note; the history says who received
// each; check names the unrouted credential; a route changed between two
// repeats applies to the next repeat and re-sends nothing.
func TestEndToEndRouteByOwner(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	mail := smtpd.Start(t, smtpd.Options{})
	hookA, hookB := newHook(t), newHook(t)
	const hookKey = "team-a-hook-key-0123456789"
	t.Setenv("TEAM_A_HOOK", hookA.srv.URL+"/team-a?key="+hookKey)
	write := func(aMail string) {
		e.writeConfig(fmt.Sprintf(ownersConfig, e.hook.srv.URL, mail.Addr(), aMail, hookB.srv.URL))
	}
	write("a@example.com")

	out := e.ok("check")
	for _, s := range []string{
		"unrouted:    2 (credential, owner, channel: where its reminders go instead)",
		"    lone-c (owner team-c): no webhook route for channel hook; sent to the channel's url\n",
		"    lone-c (owner team-c): no email route for channel mail; sent to ops@example.com\n",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("check does not say %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, "pay-a (") || strings.Contains(out, "web-b (") || strings.Contains(out, hookKey) {
		t.Errorf("check names a routed credential or the secret:\n%s", out)
	}

	var res struct {
		Unrouted      int                                           `json:"unrouted"`
		UnroutedShown []struct{ Credential, Owner, Channel string } `json:"unrouted_shown"`
	}
	if err := json.Unmarshal([]byte(e.ok("check", "-o", "json")), &res); err != nil {
		t.Fatal(err)
	}
	if res.Unrouted != 2 || len(res.UnroutedShown) != 2 || res.UnroutedShown[0].Credential != "lone-c" || res.UnroutedShown[0].Owner != "team-c" {
		t.Errorf("check -o json: %+v, want 2 unrouted, lone-c of team-c", res)
	}

	// A dry run shows where each reminder would go.
	recipients := map[string]string{}
	for _, in := range e.dryRun("2026-11-21T09:00:00Z", "--at", "2026-11-21T09:00:00Z") {
		recipients[in.Credential+"/"+in.Channel] = in.Recipient
	}
	for key, want := range map[string]string{
		"pay-a/mail":  "a@example.com",
		"web-b/mail":  "b@example.com",
		"lone-c/mail": "ops@example.com (no email route for owner team-c)",
		"pay-a/hook":  "owner team-a's webhook",
		"web-b/hook":  "owner team-b's webhook",
	} {
		if recipients[key] != want {
			t.Errorf("dry run: %s goes to %q, want %q", key, recipients[key], want)
		}
	}

	// 7 days before the deadline (2026-11-28): one reminder each, on each channel.
	e.ok("tick", "--at", "2026-11-21T09:00:00Z")
	notes := map[string]string{}
	for name, h := range map[string]*hook{"default": e.hook, "team-a": hookA, "team-b": hookB} {
		var got []string
		for _, p := range h.take() {
			got = append(got, p.Credential)
			notes[p.Credential] = p.Text
		}
		want := map[string][]string{"default": {"lone-c"}, "team-a": {"pay-a"}, "team-b": {"web-b"}}[name]
		if !slices.Equal(got, want) {
			t.Errorf("the %s webhook received %v, want %v", name, got, want)
		}
	}
	if want := "no webhook route for owner team-c; sent to " + e.hook.srv.URL + "/default instead"; !strings.Contains(notes["lone-c"], want) {
		t.Errorf("lone-c's webhook text lacks %q:\n%s", want, notes["lone-c"])
	}
	for _, id := range []string{"pay-a", "web-b"} {
		if strings.Contains(notes[id], "no webhook route") {
			t.Errorf("%s's routed reminder carries the fallback note:\n%s", id, notes[id])
		}
	}
	mails := map[string][]string{} // recipient -> credentials
	for _, m := range mail.Messages() {
		for _, to := range m.To {
			mails[to] = append(mails[to], credOfSubject(t, m.Subject()))
		}
		if strings.Contains(string(m.Data), "no email route for owner team-c") != slices.Contains(m.To, "ops@example.com") {
			t.Errorf("to %v: the fallback note is where it must not be, or missing:\n%s", m.To, m.Data)
		}
	}
	wantMails := map[string][]string{"a@example.com": {"pay-a"}, "b@example.com": {"web-b"}, "ops@example.com": {"lone-c"}}
	if fmt.Sprint(mails) != fmt.Sprint(wantMails) {
		t.Errorf("mailboxes %v, want %v", mails, wantMails)
	}

	// The record says who received each reminder; the owner's secret URL is never written.
	details := map[string]string{}
	for _, h := range e.history() {
		if h.Type == "reminder" && h.Status == "sent" {
			details[h.Credential+"/"+h.Channel] = h.Detail
		}
	}
	for key, want := range map[string]string{
		"pay-a/mail":  "to a@example.com",
		"web-b/mail":  "to b@example.com",
		"lone-c/mail": "to ops@example.com (no email route for owner team-c)",
		"pay-a/hook":  "to owner team-a's webhook",
		"lone-c/hook": "to " + e.hook.srv.URL + "/default (no webhook route for owner team-c)",
	} {
		if !strings.HasSuffix(details[key], "; "+want) {
			t.Errorf("history of %s: %q, want it to end with %q", key, details[key], "; "+want)
		}
	}
	db, err := os.ReadFile(e.dir + "/notifier.db")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(db), hookKey) {
		t.Error("the database holds the owner's webhook key")
	}

	// team-a's address changes before the repeat: the repeat goes to the
	// new one; nothing is sent again to the old one.
	write("a-new@example.com")
	before := len(mail.Messages())
	e.ok("tick", "--at", "2026-11-22T09:00:00Z")
	var got []string
	for _, m := range mail.Messages()[before:] {
		got = append(got, strings.Join(m.To, ",")+"="+credOfSubject(t, m.Subject()))
	}
	sort.Strings(got)
	if want := []string{"a-new@example.com=pay-a", "b@example.com=web-b", "ops@example.com=lone-c"}; !slices.Equal(got, want) {
		t.Errorf("the repeat went to %v, want %v", got, want)
	}
	if a, b, d := len(hookA.take()), len(hookB.take()), len(e.hook.take()); a != 1 || b != 1 || d != 1 {
		t.Errorf("the repeat posted %d, %d, %d webhooks to team-a, team-b and the default, want 1 each", a, b, d)
	}
	// One delivery per (cycle, stage, seq, channel): 3 credentials x 2 channels x 2 sends.
	sent := 0
	for _, h := range e.history() {
		if h.Type == "reminder" && h.Status == "sent" {
			sent++
		}
	}
	if sent != 12 {
		t.Errorf("%d reminders sent in the history, want 12", sent)
	}
}

// credOfSubject is the credential id a default subject names.
func credOfSubject(t *testing.T, subject string) string {
	t.Helper()
	for _, id := range []string{"pay-a", "web-b", "lone-c"} {
		if strings.Contains(subject, id) {
			return id
		}
	}
	t.Fatalf("subject %q names no credential", subject)
	return ""
}
