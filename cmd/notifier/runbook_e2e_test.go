package main

// End-to-end: how to rotate and what breaks, in every channel. The binary
// sends one due stage for two credentials (an SP-API one, whose runbook is
// Amazon's procedure, and one with a hostile runbook of its own) to the
// webhook, slacktest, an SMTP server, goaws and stdout.

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/testutil/goaws"
	"github.com/notifier-dev/notifier/internal/testutil/smtpd"
)

// runbookConfig is allChannelsConfig with stdout too, a default impact
// and its own credentials.
var runbookConfig = strings.NewReplacer(
	"policies:\n", "defaults:\n  impact: \"the nightly export fails\"\npolicies:\n",
	"ops-sns]}", "ops-sns, console]}",
	"channels:\n", "channels:\n  console: {type: stdout}\n",
).Replace(allChannelsConfig[:strings.Index(allChannelsConfig, "credentials:\n")]) + `credentials:
  - id: sp-api-prod
    name: "SP-API production"
    rotated_at: 2026-06-01
    lwa: {client_id: amzn1.application-oa2-client.e2e0123456789}
  - id: billing-key
    name: "Billing key"
    rotated_at: 2026-06-01
    runbook:
      url: "https://wiki.example.com/rotate?team=billing&step=1"
      text: "<b>Run</b> *vault* <https://evil.example|click> <!channel> & restart"
    impact: "invoices <stop> & *nobody* is paid"
`

const (
	runbookHostile = "<b>Run</b> *vault* <https://evil.example|click> <!channel> & restart"
	runbookURL     = "https://wiki.example.com/rotate?team=billing&step=1"
	runbookImpact  = "invoices <stop> & *nobody* is paid"
	runbookClient  = "amzn1.application-oa2-client.e2e0123456789"
)

// What each credential's messages must say, as plain text.
var runbookWants = map[string][]string{
	"sp-api-prod": {
		"Developer Console → LWA credentials → View → Rotate secret",
		"Seller Central, Vendor Central or Developer Central",
		runbookClient,
		"old secret keeps working for 7 days after a new one is generated",
		"refresh tokens do not change",
		"the integration loses SP-API access",
	},
	"billing-key": {runbookHostile, runbookURL, runbookImpact},
}

func TestEndToEndRunbookInEveryChannel(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	slackSrv, slackPosts := slackRecorder(t)
	mail := smtpd.Start(t, smtpd.Options{Username: "notifier", Password: e2eSMTPPassword})
	aws := goaws.MustStart(t)
	snsRec := goaws.NewRecorder(t)
	topic := aws.CreateTopic("e2e-runbook-"+strconv.FormatInt(time.Now().UnixNano(), 36), snsRec.URL)
	e.writeConfig(fmt.Sprintf(runbookConfig, e.hook.srv.URL+"/hook", slackSrv.GetAPIURL(), mail.Addr(), topic, aws.URL))
	environ := childEnv(t, "SLACK_BOT_TOKEN="+e2eSlackToken, "SMTP_PASSWORD="+e2eSMTPPassword)

	out, errs, code := e.runWithEnv(environ, "check")
	if code != 0 {
		t.Fatalf("check: exit %d\n%s\n%s", code, out, errs)
	}
	out, errs, code = e.runWithEnv(environ, "tick", "--at", "2026-11-21T00:00:00Z")
	if code != 0 || !strings.Contains(out, "10 sent") {
		t.Fatalf("tick: exit %d, want 10 sent\nstdout: %s\nstderr: %s", code, out, errs)
	}
	// The runbook never says "notifier rotate --via-amazon" where it is
	// not configured (no client secret here).
	if strings.Contains(out, "--via-amazon") {
		t.Errorf("stdout offers --via-amazon without a client secret:\n%s", out)
	}

	// stdout: the default text of each.
	for id, wants := range runbookWants {
		for _, w := range wants {
			if !strings.Contains(out, w) {
				t.Errorf("stdout: %s's message lacks %q", id, w)
			}
		}
	}
	if !strings.Contains(out, "If nobody rotates: the integration loses SP-API access") {
		t.Errorf("stdout: no impact line for sp-api-prod:\n%s", out)
	}

	// Webhook: as fields.
	got := e.hook.take()
	if len(got) != 2 {
		t.Fatalf("webhook received %d payloads, want 2", len(got))
	}
	for _, p := range got {
		fields := p.Runbook + "\n" + p.RunbookURL + "\n" + p.Impact
		for _, w := range runbookWants[p.Credential] {
			if !strings.Contains(fields, w) {
				t.Errorf("webhook %s: runbook fields lack %q: %q", p.Credential, w, fields)
			}
		}
		if p.Credential == "billing-key" && (p.Runbook != runbookHostile || p.RunbookURL != runbookURL || p.Impact != runbookImpact) {
			t.Errorf("webhook billing-key: runbook %q, url %q, impact %q", p.Runbook, p.RunbookURL, p.Impact)
		}
	}

	// Slack: the hostile text only as plain_text; in mrkdwn, escaped.
	for i := 0; i < 2; i++ {
		var p slackPost
		select {
		case p = <-slackPosts:
		default:
			t.Fatalf("slack: %d chat.postMessage, want 2", i)
		}
		blocks := p.form.Get("blocks")
		for _, bad := range []string{"<!channel>", "<https://evil.example|click>", "<stop>"} {
			if strings.Contains(mrkdwnTexts(p), bad) {
				t.Errorf("slack: %q reaches mrkdwn: %s", bad, blocks)
			}
		}
		switch {
		case strings.Contains(blocks, "billing-key"):
			for _, w := range []string{"How to rotate: " + runbookHostile, "If nobody rotates: " + runbookImpact} {
				if pt := plainTexts(p); !strings.Contains(pt, w) {
					t.Errorf("slack billing-key: no plain_text %q; plain texts: %q", w, pt)
				}
			}
			link := "<https://wiki.example.com/rotate?team=billing&amp;step=1|https://wiki.example.com/rotate?team=billing&amp;step=1>"
			if !strings.Contains(mrkdwnTexts(p), link) {
				t.Errorf("slack billing-key: no mrkdwn link %q in %s", link, blocks)
			}
		default:
			for _, w := range runbookWants["sp-api-prod"] {
				if !strings.Contains(plainTexts(p)+mrkdwnTexts(p), w) {
					t.Errorf("slack sp-api-prod: lacks %q: %s", w, blocks)
				}
			}
		}
	}

	// Email: the text part as stdout's, the HTML part escaped.
	for i := 0; i < 2; i++ {
		msg, err := mail.Next(arrivalTimeout)
		if err != nil {
			t.Fatalf("email %d: %v", i, err)
		}
		id := msg.Header.Get("X-Notifier-Credential")
		parts := mailParts(t, msg)
		for _, w := range runbookWants[id] {
			if !strings.Contains(parts["text/plain"], w) {
				t.Errorf("email %s text part lacks %q", id, w)
			}
		}
		html := parts["text/html"]
		switch id {
		case "billing-key":
			for _, w := range []string{
				"&lt;b&gt;Run&lt;/b&gt; *vault* &lt;https://evil.example|click&gt; &lt;!channel&gt; &amp; restart",
				`<a href="https://wiki.example.com/rotate?team=billing&amp;step=1">`,
				"invoices &lt;stop&gt; &amp; *nobody* is paid",
			} {
				if !strings.Contains(html, w) {
					t.Errorf("email billing-key HTML lacks %q:\n%s", w, html)
				}
			}
			if strings.Contains(html, "<b>Run</b>") || strings.Contains(html, "<stop>") {
				t.Errorf("email billing-key HTML carries the runbook's markup:\n%s", html)
			}
		case "sp-api-prod":
			for _, w := range []string{"Developer Console → LWA credentials → View → Rotate secret", runbookClient, "the integration loses SP-API access"} {
				if !strings.Contains(html, w) {
					t.Errorf("email sp-api-prod HTML lacks %q", w)
				}
			}
		default:
			t.Errorf("email for credential %q", id)
		}
	}

	// SNS: the topic's message is the default text.
	for i := 0; i < 2; i++ {
		note, err := snsRec.Next(arrivalTimeout)
		if err != nil {
			t.Fatalf("sns %d: %v", i, err)
		}
		id := note.MessageAttributes["credential"].Value
		for _, w := range runbookWants[id] {
			if !strings.Contains(note.Message, w) {
				t.Errorf("sns %s: message lacks %q: %q", id, w, note.Message)
			}
		}
	}
}

// plainTexts and mrkdwnTexts join a Slack post's texts of that type.
func plainTexts(p slackPost) string  { return slackTexts(p, "plain_text") }
func mrkdwnTexts(p slackPost) string { return slackTexts(p, "mrkdwn") }

func slackTexts(p slackPost, typ string) string {
	var b strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["type"] == typ {
				if s, ok := x["text"].(string); ok {
					b.WriteString(s + "\n")
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	var blocks any
	if err := json.Unmarshal([]byte(p.form.Get("blocks")), &blocks); err == nil {
		walk(blocks)
	}
	return b.String()
}

// mailParts decodes a multipart/alternative message's parts by media type.
func mailParts(t *testing.T, msg smtpd.Message) map[string]string {
	t.Helper()
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	body := strings.NewReader(string(msg.Data))
	// Skip the header: the body starts after the first blank line.
	raw := string(msg.Data)
	if i := strings.Index(raw, "\r\n\r\n"); i >= 0 {
		body = strings.NewReader(raw[i+4:])
	}
	out := map[string]string{}
	r := multipart.NewReader(body, params["boundary"])
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		typ, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		data, err := io.ReadAll(part) // decodes quoted-printable
		if err != nil {
			t.Fatal(err)
		}
		out[typ] = strings.ReplaceAll(string(data), "\r\n", "\n")
	}
	return out
}
