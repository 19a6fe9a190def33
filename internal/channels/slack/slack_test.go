package slack_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slacktest"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/channels/slack"
)

const (
	testToken = "xoxb-1111-2222-SECRETtokenVALUE"
	hookPath  = "/services/T0001/B0002/SECRETwebhookKEY"
)

var zone = time.FixedZone("CEST", 2*60*60)

// reminder is a 30-day reminder as the engine renders it.
func reminder() channels.Message {
	now := time.Date(2026, 4, 1, 9, 0, 0, 0, zone)
	m := channels.Message{
		DeliveryID:    4242,
		DeliveryKey:   "sp-api-eu/3/30d/ops/0",
		Credential:    "sp-api-eu",
		Name:          "SP-API LWA secret (EU)",
		Owner:         "platform-team",
		Stage:         "30d",
		RotatedAt:     now.Add(-150 * 24 * time.Hour),
		Deadline:      now.Add(30 * 24 * time.Hour),
		Now:           now,
		DaysRemaining: 30,
		AckURL:        "http://127.0.0.1:8080/ack/4242?sig=a&b=c",
	}
	m.Subject = m.Name + ": " + m.Status()
	m.Text = "SP-API LWA secret (EU) (sp-api-eu), owned by platform-team: 30 days remaining. <rotate soon> & ack"
	return m
}

func overdue() channels.Message {
	m := reminder()
	m.Stage, m.Seq = "overdue", 2
	m.Deadline = m.Now.Add(-50 * time.Hour)
	m.DaysRemaining, m.Overdue, m.DaysOverdue = -2, true, 2 // one rule: overdue is minus remaining
	m.Subject = m.Name + ": " + m.Status()
	return m
}

// posted is one chat.postMessage request as the Slack test server received it.
type posted struct {
	form   url.Values
	blocks []wireBlock
	atts   []wireAttachment
}

// wireBlock and wireAttachment mirror Slack's JSON, independently of
// slack-go's types.
// wantButtons are the action ids and labels of a reminder's buttons, in
// order: Acknowledge and the snoozes.
var wantButtons = [][2]string{
	{slack.ActionID, "Acknowledge"},
	{"notifier_snooze_1d", "Snooze 1 day"},
	{"notifier_snooze_1w", "Snooze 1 week"},
	{"notifier_snooze_next_stage", "Until next stage"},
}

type wireBlock struct {
	Type     string           `json:"type"`
	BlockID  string           `json:"block_id"`
	Text     *wireText        `json:"text"`
	Fields   []wireText       `json:"fields"`
	Elements []map[string]any `json:"elements"`
}

type wireText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type wireAttachment struct {
	Color    string `json:"color"`
	Fallback string `json:"fallback"`
	Text     string `json:"text"`
}

// recorder answers chat.postMessage on a slacktest server: it keeps what it
// received and answers with answer (Slack's success by default).
type recorder struct {
	mu     sync.Mutex
	posts  []posted
	auth   []string
	answer func(w http.ResponseWriter)
}

func (rec *recorder) handle(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading request: %v", err)
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			t.Errorf("chat.postMessage body is not a form: %v", err)
		}
		p := posted{form: form}
		if err := json.Unmarshal([]byte(form.Get("blocks")), &p.blocks); err != nil {
			t.Errorf("blocks are not JSON: %v", err)
		}
		if err := json.Unmarshal([]byte(form.Get("attachments")), &p.atts); err != nil {
			t.Errorf("attachments are not JSON: %v", err)
		}
		rec.mu.Lock()
		rec.posts = append(rec.posts, p)
		rec.auth = append(rec.auth, r.Header.Get("Authorization"))
		answer := rec.answer
		rec.mu.Unlock()
		if answer != nil {
			answer(w)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true,"channel":"C0OPS","ts":"1775026800.000100"}`)
	}
}

func (rec *recorder) received() []posted {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]posted(nil), rec.posts...)
}

func (rec *recorder) authorizations() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.auth...)
}

// newSlack starts a slacktest server whose chat.postMessage is rec.
func newSlack(t *testing.T, rec *recorder) *slacktest.Server {
	t.Helper()
	srv := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", rec.handle(t))
	})
	srv.Start()
	t.Cleanup(srv.Stop)
	return srv
}

func newChannel(t *testing.T, cfg slack.Config) *slack.Channel {
	t.Helper()
	ch, err := slack.New("ops", cfg, channels.Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return ch
}

func (p posted) header() string {
	for _, b := range p.blocks {
		if b.Type == "header" && b.Text != nil {
			return b.Text.Text
		}
	}
	return ""
}

// texts is every text of every block but the header, in order.
func (p posted) texts() string {
	return allTexts(p.blocks)
}

func allTexts(blocks []wireBlock) string {
	var s []string
	for _, b := range blocks {
		if b.Type == "header" {
			continue
		}
		if b.Text != nil {
			s = append(s, b.Text.Text)
		}
		for _, f := range b.Fields {
			s = append(s, f.Text)
		}
		for _, e := range b.Elements {
			if txt, ok := e["text"].(string); ok {
				s = append(s, txt)
			}
		}
	}
	return strings.Join(s, "\n")
}

func buttons(blocks []wireBlock) (blockIDs []string, elems []map[string]any) {
	for _, b := range blocks {
		if b.Type != "actions" {
			continue
		}
		for _, e := range b.Elements {
			blockIDs = append(blockIDs, b.BlockID)
			elems = append(elems, e)
		}
	}
	return blockIDs, elems
}

func TestSendBlockKit(t *testing.T) {
	acked := reminder()
	acked.Stage, acked.DaysRemaining = "7d", 7
	acked.Acknowledged, acked.AcknowledgedBy = true, "alice"
	acked.AcknowledgedAt = time.Date(2026, 4, 2, 10, 30, 0, 0, zone)
	acked.Subject = acked.Name + ": " + acked.Status()

	final := reminder()
	final.Stage, final.DaysRemaining, final.Final = "24h", 1, true
	final.Subject = final.Name + ": " + final.Status()

	test := channels.Sample(time.Date(2026, 4, 1, 9, 0, 0, 0, zone))
	test.Subject = "[test] " + test.Name + ": " + test.Status()
	test.Text = "This is a test message from notifier; no action is needed."

	noOwner := reminder()
	noOwner.Owner, noOwner.AckURL = "", ""

	tests := []struct {
		name       string
		m          channels.Message
		header     string // exact header text
		color      string
		mention    bool
		button     bool
		contains   []string // in the blocks' texts
		notContain []string
	}{
		{
			name:   "30 days",
			m:      reminder(),
			header: ":calendar: SP-API LWA secret (EU): 30 days remaining",
			color:  "#36C5F0",
			button: true,
			contains: []string{
				"*Deadline*\nFri 1 May 2026 09:00 CEST",
				"*Owner*\nplatform-team",
				"*Credential*\n`sp-api-eu`",
				"*Stage*\n30d",
				"<rotate soon> & ack", // the template text, as plain_text
				"<http://127.0.0.1:8080/ack/4242?sig=a&amp;b=c|",
			},
			notContain: []string{"<!here>", "Acknowledged by"},
		},
		{
			name:     "final notice mentions",
			m:        final,
			header:   ":rotating_light: SP-API LWA secret (EU): 24-hour notice",
			color:    "#E01E5A",
			mention:  true,
			button:   true,
			contains: []string{"*Stage*\n24h"},
		},
		{
			name:     "overdue",
			m:        overdue(),
			header:   ":red_circle: OVERDUE: SP-API LWA secret (EU) (overdue by 2 days)",
			color:    "#8B0000",
			mention:  true,
			button:   true,
			contains: []string{"*Stage*\noverdue (repeat 2)", "*Deadline*\nMon 30 Mar 2026 07:00 CEST"},
		},
		{
			name:       "acknowledged",
			m:          acked,
			header:     ":warning: SP-API LWA secret (EU): 7 days remaining",
			color:      "#ECB22E",
			contains:   []string{"Acknowledged by alice at Thu 2 Apr 2026 10:30 CEST"},
			notContain: []string{"Or acknowledge in the browser"},
		},
		{
			name:       "test message",
			m:          test,
			header:     ":warning: [test] Sample credential (notifier test): 7 days remaining",
			color:      "#ECB22E",
			contains:   []string{"This is a test message from notifier"},
			notContain: []string{"Acknowledged by"},
		},
		{
			name:       "no owner, no ack link",
			m:          noOwner,
			header:     ":calendar: SP-API LWA secret (EU): 30 days remaining",
			color:      "#36C5F0",
			button:     true,
			contains:   []string{"*Owner*\n—"},
			notContain: []string{"Or acknowledge in the browser"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			srv := newSlack(t, rec)
			ch := newChannel(t, slack.Config{
				Token: testToken, Channel: "#ops", APIURL: srv.GetAPIURL(),
				Username: "notifier", IconEmoji: ":key:", Mention: "<!here>",
			})
			if err := ch.Send(context.Background(), tc.m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := rec.received()
			if len(got) != 1 {
				t.Fatalf("server received %d messages, want 1", len(got))
			}
			p := got[0]
			if c := p.form.Get("channel"); c != "#ops" {
				t.Errorf("channel = %q, want #ops", c)
			}
			if a := rec.authorizations()[0]; a != "Bearer "+testToken && p.form.Get("token") != testToken {
				t.Errorf("the token reached the server neither as bearer (%q) nor in the form", a)
			}
			if u := p.form.Get("username"); u != "notifier" {
				t.Errorf("username = %q", u)
			}
			if e := p.form.Get("icon_emoji"); e != ":key:" {
				t.Errorf("icon_emoji = %q", e)
			}
			if u := p.form.Get("unfurl_links"); u != "false" {
				t.Errorf("unfurl_links = %q, want false: Slack's unfurler must not fetch the ack link", u)
			}
			wantText := tc.m.Subject
			if tc.mention {
				wantText = "<!here> " + wantText
			}
			if txt := p.form.Get("text"); txt != wantText {
				t.Errorf("fallback text = %q, want %q", txt, wantText)
			}
			if h := p.header(); h != tc.header {
				t.Errorf("header = %q, want %q", h, tc.header)
			}
			texts := p.texts()
			if got := strings.Contains(texts, "<!here>"); got != tc.mention {
				t.Errorf("mention in blocks = %v, want %v; blocks:\n%s", got, tc.mention, texts)
			}
			for _, s := range tc.contains {
				if !strings.Contains(texts, s) {
					t.Errorf("blocks lack %q; they say:\n%s", s, texts)
				}
			}
			for _, s := range tc.notContain {
				if strings.Contains(texts, s) {
					t.Errorf("blocks contain %q; they say:\n%s", s, texts)
				}
			}
			ids, elems := buttons(p.blocks)
			if !tc.button {
				if len(elems) != 0 {
					t.Errorf("want no button, got %v", elems)
				}
			} else {
				if len(elems) != len(wantButtons) {
					t.Fatalf("want %d buttons (%v), got %v", len(wantButtons), wantButtons, elems)
				}
				for i, b := range elems {
					if ids[i] != slack.BlockID || b["action_id"] != wantButtons[i][0] || b["value"] != "4242" || b["type"] != "button" {
						t.Errorf("button %d: block_id %q, element %v; want block_id %q, action_id %q, value 4242",
							i, ids[i], b, slack.BlockID, wantButtons[i][0])
					}
					if label, _ := b["text"].(map[string]any); label["text"] != wantButtons[i][1] {
						t.Errorf("button %d label = %v, want %s", i, b["text"], wantButtons[i][1])
					}
				}
				if elems[0]["style"] != "primary" {
					t.Errorf("the Acknowledge button's style = %v, want primary", elems[0]["style"])
				}
			}
			if len(p.atts) != 1 || p.atts[0].Color != tc.color || p.atts[0].Fallback != tc.m.Subject {
				t.Errorf("attachments = %+v, want one with colour %s and fallback %q", p.atts, tc.color, tc.m.Subject)
			}
		})
	}
}

// TestSendUsesOptionsHTTPClient: the engine's client is the one that talks.
func TestSendUsesOptionsHTTPClient(t *testing.T) {
	rec := &recorder{}
	srv := newSlack(t, rec)
	var calls int
	var mu sync.Mutex
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		calls++
		mu.Unlock()
		return http.DefaultTransport.RoundTrip(r)
	})}
	ch, err := slack.New("ops", slack.Config{Token: testToken, Channel: "C0OPS", APIURL: strings.TrimSuffix(srv.GetAPIURL(), "/")},
		channels.Options{HTTPClient: client})
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Send(context.Background(), reminder()); err != nil {
		t.Fatalf("Send (api_url without trailing slash): %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 1 || len(rec.received()) != 1 {
		t.Errorf("client calls = %d, server received %d; want 1 and 1", calls, len(rec.received()))
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func jsonAnswer(status int, body string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name      string
		answer    func(w http.ResponseWriter)
		retryable bool
		after     time.Duration
		msg       string // the exact error text
	}{
		{
			name: "rate limited",
			answer: func(w http.ResponseWriter) {
				w.Header().Set("Retry-After", "3")
				w.WriteHeader(http.StatusTooManyRequests)
			},
			retryable: true, after: 3 * time.Second,
			msg: "slack ops: chat.postMessage: slack rate limit exceeded, retry after 3s",
		},
		{
			name:   "channel not found",
			answer: jsonAnswer(200, `{"ok":false,"error":"channel_not_found"}`),
			msg:    "slack ops: chat.postMessage: channel_not_found",
		},
		{
			name:   "invalid auth quoting the token",
			answer: jsonAnswer(200, `{"ok":false,"error":"invalid_auth","response_metadata":{"messages":["[ERROR] token `+testToken+` is not valid"]}}`),
			msg:    "slack ops: chat.postMessage: invalid_auth ([ERROR] token <redacted> is not valid)",
		},
		{
			name:   "missing scope",
			answer: jsonAnswer(200, `{"ok":false,"error":"missing_scope","needed":"chat:write","provided":"channels:read"}`),
			msg:    "slack ops: chat.postMessage: missing_scope (needed: chat:write; provided: channels:read)",
		},
		{
			name:      "transient API error",
			answer:    jsonAnswer(200, `{"ok":false,"error":"service_unavailable"}`),
			retryable: true,
			msg:       "slack ops: chat.postMessage: service_unavailable",
		},
		{
			name:      "server error",
			answer:    jsonAnswer(500, `<html>oops</html>`),
			retryable: true,
			msg:       "slack ops: chat.postMessage: slack server error: 500 Internal Server Error",
		},
		{
			name:   "not found (wrong api_url)",
			answer: jsonAnswer(404, `not found`),
			msg:    "slack ops: chat.postMessage: slack server error: 404 Not Found",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{answer: tc.answer}
			srv := newSlack(t, rec)
			ch := newChannel(t, slack.Config{Token: testToken, Channel: "#ops", APIURL: srv.GetAPIURL()})
			err := ch.Send(context.Background(), reminder())
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if len(rec.received()) != 1 {
				t.Errorf("server received %d requests, want 1 (Send must not retry by itself)", len(rec.received()))
			}
			retry, after := channels.Classify(err)
			if retry != tc.retryable || after != tc.after {
				t.Errorf("Classify = (%v, %v), want (%v, %v); err: %v", retry, after, tc.retryable, tc.after, err)
			}
			if err.Error() != tc.msg {
				t.Errorf("error = %q, want %q", err, tc.msg)
			}
			if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error quotes the token: %v", err)
			}
		})
	}
}

func TestSendRateLimitKeepsSlackError(t *testing.T) {
	rec := &recorder{answer: func(w http.ResponseWriter) {
		w.Header().Set("Retry-After", "3")
		w.WriteHeader(http.StatusTooManyRequests)
	}}
	srv := newSlack(t, rec)
	err := newChannel(t, slack.Config{Token: testToken, Channel: "#ops", APIURL: srv.GetAPIURL()}).
		Send(context.Background(), reminder())
	var rl *slackapi.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 3*time.Second {
		t.Errorf("errors.As(*slack.RateLimitedError) failed or wrong RetryAfter: %v", err)
	}
}

func TestSendConnectionRefused(t *testing.T) {
	srv := slacktest.NewTestServer()
	srv.Start()
	apiURL := srv.GetAPIURL()
	srv.Stop()

	ch := newChannel(t, slack.Config{Token: testToken, Channel: "#ops", APIURL: apiURL})
	err := ch.Send(context.Background(), reminder())
	if err == nil {
		t.Fatal("Send to a closed server succeeded")
	}
	if retry, after := channels.Classify(err); !retry || after != 0 {
		t.Errorf("Classify = (%v, %v), want retryable with no delay; err: %v", retry, after, err)
	}
	if !strings.HasPrefix(err.Error(), "slack ops: chat.postMessage: ") || strings.Contains(err.Error(), testToken) {
		t.Errorf("error = %q", err)
	}
}

// webhookServer records the JSON payloads POSTed to hookPath.
type webhookServer struct {
	mu       sync.Mutex
	payloads []map[string]json.RawMessage
	answer   func(w http.ResponseWriter)
}

func (ws *webhookServer) received() []map[string]json.RawMessage {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return append([]map[string]json.RawMessage(nil), ws.payloads...)
}

func newWebhook(t *testing.T, ws *webhookServer) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != hookPath || r.Method != http.MethodPost {
			t.Errorf("webhook got %s %s", r.Method, r.URL.Path)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q", ct)
		}
		var p map[string]json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			t.Errorf("payload is not JSON: %v", err)
		}
		ws.mu.Lock()
		ws.payloads = append(ws.payloads, p)
		answer := ws.answer
		ws.mu.Unlock()
		if answer != nil {
			answer(w)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv.URL + hookPath
}

func TestWebhookSend(t *testing.T) {
	ws := &webhookServer{}
	hook := newWebhook(t, ws)
	ch := newChannel(t, slack.Config{WebhookURL: channels.Secret(hook), Mention: "<@U0ALICE>"})
	if ch.Type() != "slack" || ch.Name() != "ops" {
		t.Errorf("Type, Name = %q, %q", ch.Type(), ch.Name())
	}
	m := overdue()
	if err := ch.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	payloads := ws.received()
	if len(payloads) != 1 {
		t.Fatalf("webhook received %d payloads, want 1", len(payloads))
	}
	p := payloads[0]
	var text string
	var blocks []wireBlock
	var atts []wireAttachment
	var unfurl bool
	for key, dst := range map[string]any{"text": &text, "blocks": &blocks, "attachments": &atts, "unfurl_links": &unfurl} {
		if err := json.Unmarshal(p[key], dst); err != nil {
			t.Fatalf("payload %s: %v (payload: %v)", key, err, p)
		}
	}
	if want := "<@U0ALICE> " + m.Subject; text != want {
		t.Errorf("text = %q, want %q", text, want)
	}
	if unfurl {
		t.Error("unfurl_links is true; Slack's unfurler must not fetch the ack link")
	}
	if blocks[0].Type != "header" || blocks[0].Text.Text != ":red_circle: OVERDUE: SP-API LWA secret (EU) (overdue by 2 days)" {
		t.Errorf("first block = %+v", blocks[0])
	}
	ids, elems := buttons(blocks)
	if len(elems) != len(wantButtons) || ids[0] != slack.BlockID || elems[0]["action_id"] != slack.ActionID || elems[0]["value"] != "4242" {
		t.Errorf("button: %v %v", ids, elems)
	}
	if !strings.Contains(allTexts(blocks), "<@U0ALICE>") {
		t.Errorf("mention missing from blocks: %s", allTexts(blocks))
	}
	if len(atts) != 1 || atts[0].Color != slack.Color(channels.UrgencyOverdue) {
		t.Errorf("attachments = %+v", atts)
	}
}

func TestWebhookErrors(t *testing.T) {
	tests := []struct {
		name      string
		answer    func(w http.ResponseWriter)
		retryable bool
		after     time.Duration
		msg       string
	}{
		{"no service", textAnswer(404, "no_service", ""), false, 0,
			"slack ops: incoming webhook: 404 Not Found: no_service"},
		{"invalid token", textAnswer(403, "invalid_token", ""), false, 0,
			"slack ops: incoming webhook: 403 Forbidden: invalid_token"},
		{"archived", textAnswer(410, "channel_is_archived", ""), false, 0,
			"slack ops: incoming webhook: 410 Gone: channel_is_archived"},
		{"rate limited", textAnswer(429, "rate_limited", "3"), true, 3 * time.Second,
			"slack ops: incoming webhook: 429 Too Many Requests: rate_limited"},
		{"server error", textAnswer(500, "rollup_error", ""), true, 0,
			"slack ops: incoming webhook: 500 Internal Server Error: rollup_error"},
		{"negative Retry-After", textAnswer(429, "rate_limited", "-5"), true, 0,
			"slack ops: incoming webhook: 429 Too Many Requests: rate_limited"},
		// Since the shared classifier: an HTTP-date is read (here past the
		// cap) and 503 honours Retry-After.
		{"Retry-After as a date", textAnswer(429, "rate_limited", time.Now().Add(48*time.Hour).UTC().Format(http.TimeFormat)), true, channels.MaxRetryAfter,
			"slack ops: incoming webhook: 429 Too Many Requests: rate_limited"},
		{"unavailable", textAnswer(503, "", "30"), true, 30 * time.Second,
			"slack ops: incoming webhook: 503 Service Unavailable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ws := &webhookServer{answer: tc.answer}
			hook := newWebhook(t, ws)
			err := newChannel(t, slack.Config{WebhookURL: channels.Secret(hook)}).Send(context.Background(), reminder())
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if retry, after := channels.Classify(err); retry != tc.retryable || after != tc.after {
				t.Errorf("Classify = (%v, %v), want (%v, %v)", retry, after, tc.retryable, tc.after)
			}
			if err.Error() != tc.msg {
				t.Errorf("error = %q, want %q", err, tc.msg)
			}
			if strings.Contains(err.Error(), "SECRETwebhookKEY") {
				t.Errorf("error quotes the webhook key: %v", err)
			}
			if n := len(ws.received()); n != 1 {
				t.Errorf("webhook received %d requests, want 1", n)
			}
		})
	}
}

func textAnswer(status int, body, retryAfter string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func TestWebhookConnectionRefusedIsRedacted(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	hook := srv.URL + hookPath
	srv.Close()

	err := newChannel(t, slack.Config{WebhookURL: channels.Secret(hook)}).Send(context.Background(), reminder())
	if err == nil {
		t.Fatal("Send to a closed server succeeded")
	}
	if retry, after := channels.Classify(err); !retry || after != 0 {
		t.Errorf("Classify = (%v, %v), want retryable; err: %v", retry, after, err)
	}
	if strings.Contains(err.Error(), "SECRETwebhookKEY") {
		t.Errorf("error quotes the webhook key: %v", err)
	}
	if want := "slack ops: incoming webhook " + srv.URL + "/…: "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %q, want prefix %q", err, want)
	}
}

func TestValidate(t *testing.T) {
	const hook = "https://hooks.slack.com" + hookPath
	tests := []struct {
		name   string
		cfg    slack.Config
		fields []string // the fields reported, in order
	}{
		{"bot token", slack.Config{Token: testToken, Channel: "#ops", APIURL: "https://acme.enterprise.slack.com/api/",
			Username: "notifier", IconEmoji: ":key:", Mention: "<!here> <@U0ALICE> <!subteam^S0OPS|@ops>"}, nil},
		{"webhook", slack.Config{WebhookURL: hook, Mention: "<!channel>"}, nil},
		{"nothing", slack.Config{}, []string{"token"}},
		{"channel alone", slack.Config{Channel: "#ops"}, []string{"token", "channel"}},
		{"token without channel", slack.Config{Token: testToken}, []string{"channel"}},
		{"both", slack.Config{Token: testToken, Channel: "#ops", WebhookURL: hook}, []string{"webhook_url"}},
		{"not a token", slack.Config{Token: "https://hooks.slack.com/services/SECRET", Channel: "#ops"}, []string{"token"}},
		{"token with newline", slack.Config{Token: testToken + "\n", Channel: "#ops"}, []string{"token"}},
		{"relative webhook", slack.Config{WebhookURL: "hooks.slack.com" + hookPath}, []string{"webhook_url"}},
		{"ftp webhook", slack.Config{WebhookURL: "ftp://hooks.slack.com" + hookPath}, []string{"webhook_url"}},
		{"webhook with channel", slack.Config{WebhookURL: hook, Channel: "#ops"}, []string{"channel"}},
		{"webhook with api_url", slack.Config{WebhookURL: hook, APIURL: "https://slack.com/api/"}, []string{"api_url"}},
		{"bad api_url", slack.Config{Token: testToken, Channel: "#ops", APIURL: "slack.com/api"}, []string{"api_url"}},
		{"bad icon", slack.Config{Token: testToken, Channel: "#ops", IconEmoji: "key"}, []string{"icon_emoji"}},
		{"bad mention", slack.Config{Token: testToken, Channel: "#ops", Mention: "<!here> @ops"}, []string{"mention"}},
		{"everything wrong", slack.Config{Token: testToken, WebhookURL: "SECRET", APIURL: "::", IconEmoji: "x", Mention: "@here"},
			[]string{"webhook_url", "channel", "webhook_url", "api_url", "icon_emoji", "mention"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := tc.cfg.Validate()
			var fields []string
			for _, e := range errs {
				fields = append(fields, e.Field)
				if e.Msg == "" {
					t.Errorf("%s: empty message", e.Field)
				}
				for _, secret := range []string{string(tc.cfg.Token), string(tc.cfg.WebhookURL), "SECRET"} {
					if secret != "" && strings.Contains(e.Error(), secret) {
						t.Errorf("%q quotes a secret", e.Error())
					}
				}
			}
			if strings.Join(fields, ",") != strings.Join(tc.fields, ",") {
				t.Errorf("fields = %v, want %v; errors: %v", fields, tc.fields, errs)
			}
			_, err := slack.New("ops", tc.cfg, channels.Options{})
			if (err != nil) != (len(tc.fields) > 0) {
				t.Errorf("New error = %v, want error: %v", err, len(tc.fields) > 0)
			}
			if err != nil && strings.Contains(err.Error(), "SECRET") {
				t.Errorf("New error quotes a secret: %v", err)
			}
		})
	}
}

// TestBuildIsOffline: Build returns a working channel without contacting
// Slack (notifier check and start-up stay offline).
func TestBuildIsOffline(t *testing.T) {
	rec := &recorder{}
	srv := newSlack(t, rec)
	cfg := &slack.Config{Token: testToken, Channel: "#ops", APIURL: srv.GetAPIURL()}
	var _ channels.Config = cfg
	ch, err := cfg.Build("ops", channels.Options{})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if n := len(rec.received()); n != 0 {
		t.Fatalf("Build contacted Slack (%d requests)", n)
	}
	if ch.Name() != "ops" || ch.Type() != "slack" {
		t.Errorf("Name, Type = %q, %q", ch.Name(), ch.Type())
	}
	if _, err := (&slack.Config{}).Build("ops", channels.Options{}); err == nil {
		t.Error("Build of an empty config succeeded")
	}
}

// TestBlocksLimits: what Slack would refuse with invalid_blocks is cut.
func TestBlocksLimits(t *testing.T) {
	m := reminder()
	m.Name = strings.Repeat("é", 400)
	m.Text = strings.Repeat("x", 5000)
	blocks := wireBlocks(t, m)
	if n := len([]rune(blocks[0].Text.Text)); blocks[0].Type != "header" || n != 150 {
		t.Errorf("header is %d characters, Slack's limit is 150", n)
	}
	for _, b := range blocks[1:] {
		if b.Text != nil && len([]rune(b.Text.Text)) > 3000 {
			t.Errorf("%s block text is %d characters, Slack's limit is 3000", b.Type, len([]rune(b.Text.Text)))
		}
	}
}

// TestSendRefusesRedirectToAnotherOrigin: an incoming webhook or a Web API
// answering 307 to another host does not get the message (its ack link)
// or the token sent there: the send fails permanently, naming the status.
func TestSendRefusesRedirectToAnotherOrigin(t *testing.T) {
	var mu sync.Mutex
	var stolen []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		stolen = append(stolen, r.Header.Get("Authorization")+" "+string(body))
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	tests := []struct {
		name string
		cfg  slack.Config
		msg  string
	}{
		{"incoming webhook", slack.Config{WebhookURL: channels.Secret(srv.URL + hookPath)},
			"slack ops: incoming webhook: 307 Temporary Redirect (redirect to " + other.URL + " not followed)"},
		{"web api", slack.Config{Token: testToken, Channel: "C0OPS", APIURL: srv.URL + "/api"},
			"slack ops: chat.postMessage: slack server error: 307 Temporary Redirect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			stolen = nil
			mu.Unlock()
			err := newChannel(t, tt.cfg).Send(context.Background(), reminder())
			mu.Lock()
			if len(stolen) != 0 {
				t.Errorf("the other host received %d requests: %q", len(stolen), stolen)
			}
			mu.Unlock()
			if err == nil || err.Error() != tt.msg {
				t.Fatalf("Send = %v, want %q", err, tt.msg)
			}
			if !channels.IsPermanent(err) {
				t.Errorf("Send = %v, want a permanent failure", err)
			}
		})
	}
}
