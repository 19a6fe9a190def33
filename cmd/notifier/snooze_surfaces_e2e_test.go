package main

// End-to-end test of snooze's surfaces through the binary: the ack page's
// choices and Slack's snooze buttons on `notifier run` with its HTTP API.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"
)

func TestEndToEndSnoozeFromTheAckPageAndSlack(t *testing.T) {
	hook := newHook(t)
	arrived := make(chan struct{}, 10)
	hook.onPost = func() { arrived <- struct{}{} }
	posts, updates := make(chan url.Values, 10), make(chan url.Values, 10)
	record := func(ch chan url.Values) func(http.ResponseWriter, *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			form, _ := url.ParseQuery(string(b))
			ch <- form
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"ok":true,"channel":"C0OPS","ts":"1795737600.000200"}`)
		}
	}
	sl := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", record(posts))
		c.Handle("/chat.update", record(updates))
	})
	sl.Start()
	t.Cleanup(sl.Stop)

	addr := freeAddr(t)
	base := "http://" + addr
	dir := t.TempDir()
	config := filepath.Join(dir, "config.yaml")
	rotated := time.Now().UTC().AddDate(0, 0, -175).Format(time.RFC3339)
	body := fmt.Sprintf(httpConfig, addr, addr, hook.srv.URL, sl.GetAPIURL(), rotated, rotated)
	if err := os.WriteFile(config, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NOTIFIER_ACK_SECRET", e2eAckSecret)
	t.Setenv("SLACK_BOT_TOKEN", e2eBotToken)
	t.Setenv("SLACK_SIGNING_SECRET", e2eSigningSecret)
	d := startDaemon(t, dir, config)
	d.await(t, "http listening", 60*time.Second)
	for range 2 {
		select {
		case <-arrived:
		case <-time.After(60 * time.Second):
			t.Fatalf("the webhooks did not arrive:\n%s", d.logs())
		}
	}
	var slackValue string
	for range 2 {
		select {
		case p := <-posts:
			if strings.Contains(p.Get("text"), "Acknowledged in Slack") {
				slackValue = slackButton(t, p)
				for _, label := range []string{"Snooze 1 day", "Snooze 1 week", "Until next stage"} {
					if !strings.Contains(p.Get("blocks"), label) {
						t.Errorf("the Slack message has no %q button: %s", label, p.Get("blocks"))
					}
				}
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("the Slack messages did not arrive:\n%s", d.logs())
		}
	}
	var link string
	for _, p := range hook.take() {
		if p.Credential == "link-cred" {
			link = p.AckURL
		}
	}

	// The page offers the four choices and GET records nothing; "until
	// the next stage" after the only stage is refused in a line; "1 week"
	// snoozes.
	code, page := httpGet(t, link)
	if code != 200 {
		t.Fatalf("GET %s: %d\n%s", link, code, page)
	}
	for _, choice := range []string{`value="cycle" checked`, `value="1d"`, `value="1w"`, `value="next-stage"`} {
		if !strings.Contains(page, choice) {
			t.Errorf("the page lacks the choice %s", choice)
		}
	}
	if code, page := httpPostForm(t, link, url.Values{"by": {"alice"}, "for": {"next-stage"}}); code != 409 || !strings.Contains(page, "Not snoozed: no stage comes after") {
		t.Errorf("until the next stage after the last: %d\n%s", code, page)
	}
	before := time.Now()
	code, page = httpPostForm(t, link, url.Values{"by": {"alice"}, "for": {"1w"}})
	if code != 200 || !strings.Contains(page, "Thank you, alice: snoozed until ") {
		t.Fatalf("POST 1 week: %d\n%s", code, page)
	}

	// Slack's "Snooze 1 day": chat.update says who snoozed until when.
	if code, body := httpDo(t, signedAction(t, base, e2eSigningSecret, "notifier_snooze_1d", slackValue, time.Now())); code != 200 {
		t.Fatalf("the Slack snooze: %d %s", code, body)
	}
	select {
	case u := <-updates:
		if b := u.Get("blocks"); !strings.Contains(b, "Snoozed by bob until ") || strings.Contains(b, "notifier_snooze") {
			t.Errorf("chat.update blocks: %s", b)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no chat.update reached slacktest")
	}

	// The history: one snooze each, with its end, a week and a day after.
	hist := (&env{t: t, dir: dir, config: config}).history("--type", "ack")
	if len(hist) != 2 {
		t.Fatalf("ack history: %+v", hist)
	}
	for i, want := range []struct {
		who, source string
		span        time.Duration
	}{{"alice", "http", 7 * 24 * time.Hour}, {"bob", "slack", 24 * time.Hour}} {
		h := hist[i]
		if h.Actor != want.who || h.Status != want.source || !strings.HasPrefix(h.Detail, "snoozed via "+want.source+" until ") {
			t.Errorf("ack %d: %+v, want a snooze by %s via %s", i, h, want.who, want.source)
			continue
		}
		until, err := time.Parse(time.RFC3339, strings.TrimPrefix(h.Detail, "snoozed via "+want.source+" until "))
		if err != nil {
			t.Errorf("ack %d: detail %q: %v", i, h.Detail, err)
			continue
		}
		if lo, hi := before.Add(want.span).Add(-time.Second), time.Now().Add(want.span).Add(time.Second); until.Before(lo) || until.After(hi) {
			t.Errorf("ack %d: snoozed until %s, want %s after the click", i, until, want.span)
		}
	}
	if code, page := httpGet(t, link); code != 200 || !strings.Contains(page, "Snoozed by alice until") {
		t.Errorf("the page while snoozed: %d\n%s", code, page)
	}

	// status says who snoozed until when, in JSON and in the table.
	e := &env{t: t, dir: dir, config: config}
	var rows []struct {
		ID           string `json:"id"`
		By           string `json:"acknowledged_by"`
		SnoozedUntil string `json:"snoozed_until"`
	}
	if err := json.Unmarshal([]byte(e.ok("status", "-o", "json")), &rows); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rows {
		got[r.ID] = r.By + " " + r.SnoozedUntil
	}
	for id, who := range map[string]string{"link-cred": "alice", "slack-cred": "bob"} {
		if !strings.HasPrefix(got[id], who+" 20") {
			t.Errorf("status json %s: %q, want snoozed by %s with an end", id, got[id], who)
		}
	}
	if out := e.ok("status"); !strings.Contains(out, "snoozed by alice until ") || !strings.Contains(out, "snoozed by bob until ") {
		t.Errorf("status table:\n%s", out)
	}
}
