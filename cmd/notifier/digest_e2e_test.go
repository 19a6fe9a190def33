package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/testutil/smtpd"
)

// digestConfig: two channels that get only a digest, weekdays at 09:00
// in Europe/Berlin, of what is due within 14 days; %s are the SMTP
// server's and Slack's addresses, then the credentials.
const digestConfig = `database: notifier.db
timezone: Europe/Berlin
policies:
  standard:
    - {before: 7d, channels: [ops-mail, ops-slack]}
channels:
  ops-mail:
    type: email
    smtp: %s
    tls: none
    username: notifier
    password: ${SMTP_PASSWORD}
    from: "Notifier <notifier@example.com>"
    to: [admins@example.com]
    digest: {schedule: "0 9 * * MON-FRI", due_within: 14d, instead: true}
  ops-slack:
    type: slack
    token: ${SLACK_BOT_TOKEN}
    channel: "#ops"
    api_url: %s
    digest: {schedule: "0 9 * * MON-FRI", due_within: 14d, instead: true}
credentials:
%s`

// TestEndToEndDigest: 1,000 credentials due within 14 days arrive in ONE
// email (an HTML table and a text part) and ONE Slack message of at most
// 50 blocks, once across two ticks in two processes; the next weekday
// brings the next digest, and after three days down only the latest
// missed one is sent. The per-reminder messages are not sent (instead).
func TestEndToEndDigest(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	slackSrv, slackPosts := slackRecorder(t)
	mail := smtpd.Start(t, smtpd.Options{Username: "notifier", Password: e2eSMTPPassword})
	var creds strings.Builder
	for i := range 1000 {
		// Deadlines (180 days on) from 28 Nov to 17 Dec 2026.
		fmt.Fprintf(&creds, "  - {id: cred-%04d, name: \"Credential %d\", owner: team-%d, rotated_at: %s}\n",
			i, i, i%3, time.Date(2026, 6, 1+i%20, 0, 0, 0, 0, time.UTC).Format("2006-01-02"))
	}
	creds.WriteString("  - {id: xss, name: \"<script>alert(1)</script>\", owner: web, rotated_at: 2026-06-10}\n")
	e.writeConfig(fmt.Sprintf(digestConfig, mail.Addr(), slackSrv.GetAPIURL(), creds.String()))
	environ := childEnv(t, "SLACK_BOT_TOKEN="+e2eSlackToken, "SMTP_PASSWORD="+e2eSMTPPassword)
	tick := func(now string) string {
		t.Helper()
		out, errs, code := e.runWithEnv(append(environ, testNowEnv+"="+now), "tick")
		if code != 0 {
			t.Fatalf("tick at %s: exit %d\nstdout: %s\nstderr: %s", now, code, out, errs)
		}
		return out
	}

	// Monday 7 Dec, 09:30 in Berlin: the 09:00 digest; then again in a
	// second process ten minutes later.
	tick("2026-12-07T08:30:00Z")
	tick("2026-12-07T08:40:00Z")
	msgs := mail.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d emails after two ticks, want 1 digest", len(msgs))
	}
	if got, want := msgs[0].Subject(), "notifier digest Mon 7 Dec 2026: "; !strings.HasPrefix(got, want) {
		t.Errorf("subject = %q, want it to start %q", got, want)
	}
	parts := mailParts(t, msgs[0])
	html, text := parts["text/html"], parts["text/plain"]
	if rows := strings.Count(html, "<tr><td>"); rows != 1001 {
		t.Errorf("the HTML table has %d rows, want 1001", rows)
	}
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;") {
		t.Error("the credential name <script> is not escaped in the HTML part")
	}
	if rows := strings.Count(text, "\n- "); rows != 1001 {
		t.Errorf("the text part has %d rows, want 1001", rows)
	}
	// cred-0000 rotated 1 Jun (Berlin): deadline 28 Nov 00:00 CET, 9 days
	// and 9 hours before 7 Dec 09:00: -9 days remaining by the one rule
	// for days (schedule.DaysOverdue), "overdue by 9 days".
	for _, want := range []string{"<h3>Overdue (", "<code>cred-0000</code>", "Sat 28 Nov 2026 00:00 CET", "overdue by 9 days", "<h3>Due within 14 days ("} {
		if !strings.Contains(html, want) {
			t.Errorf("the HTML part lacks %q", want)
		}
	}
	if len(slackPosts) != 1 {
		t.Fatalf("%d Slack messages after two ticks, want 1 digest", len(slackPosts))
	}
	post := <-slackPosts
	if len(post.blocks) > 50 {
		t.Errorf("the Slack digest has %d blocks, Slack takes 50", len(post.blocks))
	}
	shown := 0
	for _, b := range post.blocks {
		if b.Type == "section" {
			if len(b.Text.Text) > 3000 {
				t.Errorf("a Slack section of %d characters, Slack takes 3000", len(b.Text.Text))
			}
			shown += strings.Count(b.Text.Text, "• ")
		}
	}
	if shown != 1001 { // 1,001 short rows fit in 50 blocks; TestDigestBlocksWithinSlackLimits cuts 100,000
		t.Errorf("the Slack digest lists %d credentials, want 1001", shown)
	}

	// Tuesday: the next digest. Then down until Friday 09:30: one digest,
	// Friday's, not Wednesday's and Thursday's too.
	tick("2026-12-08T08:30:00Z")
	tick("2026-12-11T08:30:00Z")
	var subjects []string
	for _, m := range mail.Messages() {
		day, _, _ := strings.Cut(m.Subject(), ":")
		subjects = append(subjects, day)
	}
	want := []string{"notifier digest Mon 7 Dec 2026", "notifier digest Tue 8 Dec 2026", "notifier digest Fri 11 Dec 2026"}
	if fmt.Sprint(subjects) != fmt.Sprint(want) {
		t.Errorf("digests received: %q, want %q", subjects, want)
	}
	if len(slackPosts) != 2 {
		t.Errorf("%d more Slack messages, want 2 digests", len(slackPosts))
	}

	// Each digest is in the history, as a digest; no reminder went out.
	hist, errs, code := e.runWithEnv(append(environ, testNowEnv+"=2026-12-11T08:40:00Z"), "history", "--format", "jsonl")
	if code != 0 {
		t.Fatalf("history: exit %d: %s", code, errs)
	}
	if n := strings.Count(hist, `"type":"digest"`); n != 6 {
		t.Errorf("history has %d digest events, want 6 (3 per channel)\n%.2000s", n, hist)
	}
	if strings.Contains(hist, `"type":"reminder","credential":"cred-0000","stage":"7d","channel":"ops-mail","status":"sent"`) {
		t.Error("a reminder was sent to a channel whose digest says instead: true")
	}
}
