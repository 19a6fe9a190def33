package main

// End-to-end test of snooze's surfaces through the binary: the ack page's
// choices and Slack's snooze buttons on `notifier run` with its HTTP API.

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestEndToEndSnoozeFromTheAckPageAndSlack(t *testing.T) {
	r := startHTTPRun(t)
	base, dir, config, link, updates := r.base, r.dir, r.config, r.link, r.updates
	for _, label := range []string{"Snooze 1 day", "Snooze 1 week", "Until next stage"} {
		if !strings.Contains(r.slackBlocks, label) {
			t.Errorf("the Slack message has no %q button: %s", label, r.slackBlocks)
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
	if code, body := httpDo(t, signedAction(t, base, e2eSigningSecret, "notifier_snooze_1d", r.slackValue, time.Now())); code != 200 {
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
