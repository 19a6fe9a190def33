package main

// End-to-end: rotation announcements (a policy's announce:). A recorded
// rotation sends one message per announce channel, through the outbox
// like any delivery: never on a first sync, never twice, never for a
// retracted rotation.

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/channels/webhook"
)

// announceConfig is baseConfig in Europe/Berlin whose policy announces
// its rotations on the news channel (a webhook at /news).
const announceConfig = `database: notifier.db
timezone: Europe/Berlin
policies:
  standard:
    stages:
      - {before: 30d, channels: [ops]}
      - {after: 0s, repeat: 24h, channels: [ops]}
    announce: [news]
channels:
  ops: {type: webhook, url: "%[1]s/hook"}
  news: {type: webhook, url: "%[1]s/news"}
credentials:
  - {id: sp-api-prod, name: "SP-API production", owner: integrations, rotated_at: %[2]s, lwa: {client_id: amzn1.application-oa2-client.e2e1}}
  - {id: billing-key, name: "Billing key", owner: billing, rotated_at: %[3]s}
`

func (e *env) writeAnnounce(spAt, billingAt string) {
	e.t.Helper()
	if err := os.WriteFile(e.config, []byte(fmt.Sprintf(announceConfig, e.hook.srv.URL, spAt, billingAt)), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// announcements are the payloads of stage announce among got.
func announcements(got []webhook.Payload) []webhook.Payload {
	var out []webhook.Payload
	for _, p := range got {
		if p.Stage == "announce" {
			out = append(out, p)
		}
	}
	return out
}

func TestEndToEndAnnounceConfigRotationOnce(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	e.writeAnnounce("2026-06-01", "2026-06-01")
	// The first sync knows the fleet: nothing is announced.
	if got := announcements(e.tick("2026-06-02T09:00:00Z")); len(got) != 0 {
		t.Fatalf("first sync announced %d rotations: %+v", len(got), got)
	}
	// The operator records a rotation of billing-key in the config.
	e.writeAnnounce("2026-06-01", "2026-06-10T08:00:00Z")
	got := announcements(e.tick("2026-06-10T09:00:00Z"))
	if len(got) != 1 {
		t.Fatalf("config rotation: %d announcements, want 1: %+v", len(got), got)
	}
	a := got[0]
	wantText := "billing-key (Billing key) rotated via config at Wed 10 Jun 2026 10:00 CEST (recorded Wed 10 Jun 2026 11:00 CEST)."
	if a.Credential != "billing-key" || a.Text != wantText {
		t.Errorf("announcement: credential %q text %q; want billing-key, %q", a.Credential, a.Text, wantText)
	}
	if strings.Contains(a.Text, "old secret") {
		t.Errorf("a non-LWA credential's announcement speaks of an old secret: %q", a.Text)
	}
	// Two more ticks, each a new process: the announcement is not repeated.
	for _, at := range []string{"2026-06-10T09:00:00Z", "2026-06-11T09:00:00Z"} {
		if got := announcements(e.tick(at)); len(got) != 0 {
			t.Errorf("tick at %s announced again: %+v", at, got)
		}
	}
	sent := 0
	for _, h := range e.history("--credential", "billing-key") {
		if h.Stage == "announce" && h.Channel == "news" && h.Status == "sent" {
			sent++
		}
	}
	if sent != 1 {
		t.Errorf("history: %d announcements sent, want 1", sent)
	}

	// An announcement is not a reminder: the report and audit_cycles
	// count none for the cycle the rotation started.
	doc := e.reportJSON("--credential", "billing-key")
	for _, c := range doc.Cycles {
		for _, r := range c.Reminders {
			if r.Stage == "announce" {
				t.Errorf("report: the cycle from %s lists the announcement as a reminder: %+v", c.RotatedAt, r)
			}
		}
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(e.dir, "notifier.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var remindersSent int
	if err := db.QueryRowContext(t.Context(), `SELECT reminders_sent FROM audit_cycles
		WHERE credential_id = 'billing-key' ORDER BY rotated_at DESC LIMIT 1`).Scan(&remindersSent); err != nil {
		t.Fatal(err)
	}
	if remindersSent != 0 {
		t.Errorf("audit_cycles: the new cycle has %d reminders sent, want 0 (its only delivery is the announcement)", remindersSent)
	}
}

func TestEndToEndAnnounceBackdatedLWAAcrossDST(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	e.writeAnnounce("2026-12-01", "2026-12-01")
	e.tick("2027-03-20T09:00:00Z")
	// Rotated on Thursday before the change to summer time (28 Mar 2027),
	// recorded the next day.
	e.okAt("2027-03-26T08:00:00Z", "rotate", "sp-api-prod", "--at", "2027-03-25T10:00:00Z", "--by", "bob")
	got := announcements(e.tick("2027-03-26T08:05:00Z"))
	if len(got) != 1 {
		t.Fatalf("rotate: %d announcements, want 1: %+v", len(got), got)
	}
	wantText := "sp-api-prod (SP-API production) rotated by bob via cli at Thu 25 Mar 2027 11:00 CET (recorded Fri 26 Mar 2027 09:00 CET)" +
		"; the old secret stops working Thu 1 Apr 2027 11:00 CEST."
	if got[0].Text != wantText {
		t.Errorf("announcement text\n got %q\nwant %q", got[0].Text, wantText)
	}
}

func TestEndToEndAnnounceRetractedRotationIsCancelled(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	e.writeAnnounce("2026-12-01", "2026-12-01")
	e.tick("2027-01-05T09:00:00Z")
	e.okAt("2027-01-06T09:00:00Z", "rotate", "billing-key", "--at", "2027-01-06T09:00:00Z", "--by", "bob")
	e.okAt("2027-01-06T09:01:00Z", "retract", "rotation", "billing-key", "--reason", "wrong credential", "--actor", "alice")
	if got := announcements(e.tick("2027-01-06T09:02:00Z")); len(got) != 0 {
		t.Errorf("a retracted rotation was announced: %+v", got)
	}
	var superseded bool
	for _, h := range e.history("--credential", "billing-key") {
		if h.Stage == "announce" && h.Status == "superseded" && strings.Contains(h.Detail, "retracted") {
			superseded = true
		}
	}
	if !superseded {
		t.Errorf("history does not say the announcement was cancelled by the retraction")
	}
}

// announceAckConfig serves ack links (public_url, ack_secret) and gives
// the policy a runbook: an announcement asks nothing of anyone, so it
// carries neither an ack link nor how to rotate.
const announceAckConfig = `database: notifier.db
timezone: UTC
http:
  listen: %[1]s
  public_url: http://%[1]s
  ack_secret: ${NOTIFIER_ACK_SECRET}
policies:
  standard:
    stages:
      - {before: 30d, channels: [ops]}
    announce: [news]
    runbook: https://wiki.example.com/rotate
    impact: "billing stops"
channels:
  ops: {type: webhook, url: "%[2]s/hook"}
  news: {type: webhook, url: "%[2]s/news"}
credentials:
  - {id: billing-key, name: "Billing key", rotated_at: %[3]s}
`

func TestEndToEndAnnouncementHasNoAckLink(t *testing.T) {
	hook := newHook(t)
	addr := freeAddr(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "config.yaml")
	write := func(rotated string) {
		if err := os.WriteFile(config, []byte(fmt.Sprintf(announceAckConfig, addr, hook.srv.URL, rotated)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("NOTIFIER_ACK_SECRET", e2eAckSecret)
	e := &env{t: t, dir: dir, config: config, hook: hook}
	write("2026-06-01")
	e.tick("2026-06-02T09:00:00Z")
	write("2026-06-10T08:00:00Z")
	got := announcements(e.tick("2026-06-10T09:00:00Z"))
	if len(got) != 1 {
		t.Fatalf("%d announcements, want 1: %+v", len(got), got)
	}
	if a := got[0]; a.AckURL != "" || a.Runbook != "" || a.RunbookURL != "" || a.Impact != "" {
		t.Errorf("an announcement carries ack_url %q, runbook %q %q, impact %q; want none: it asks nothing of anyone", a.AckURL, a.Runbook, a.RunbookURL, a.Impact)
	}
	if strings.Contains(got[0].Text, "Acknowledge") || strings.Contains(got[0].Text, "If nobody rotates") {
		t.Errorf("an announcement's text asks for an acknowledgment or a rotation: %q", got[0].Text)
	}
}
