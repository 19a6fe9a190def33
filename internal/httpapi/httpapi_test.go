package httpapi_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/channels/webhook"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/httpapi"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
)

// Test secrets: made up for these tests, never real.
const (
	ackSecret     = "test-ack-secret-0123456789abcdef-0123456789"
	signingSecret = "test-slack-signing-secret-8f14e45fceea167a"
	slackToken    = "xoxb-test-0000-token"
	publicURL     = "https://notifier.example.test"
	testDB        = "0123456789abcdef0123456789abcdef" // a database's id
)

const testConfig = `database: notifier.db
timezone: Europe/Berlin
http:
  listen: 127.0.0.1:0
  public_url: %s
  ack_secret: ${ACK_SECRET}
policies:
  standard:
    - {before: 7d, repeat: 24h, channels: [hook, ops-slack]}
channels:
  hook: {type: webhook, url: "%s"}
  ops-slack:
    type: slack
%s
    signing_secret: ${SLACK_SIGNING_SECRET}
credentials:
  - {id: sp-api-prod, name: "SP-API <production>", owner: integrations, rotated_at: %s}
`

// fixture is the HTTP API on a real database and engine, with a webhook
// sink and a slacktest server that record what arrives.
type fixture struct {
	t       *testing.T
	eng     *engine.Engine
	store   *sqlite.Store
	db      string // the database's id
	api     *httptest.Server
	health  *httpapi.Health
	now     time.Time
	mu      sync.Mutex
	hooks   []webhook.Payload
	updates chan url.Values // chat.update requests
	// ephemerals are chat.postEphemeral requests: what one user is told
	ephemerals chan url.Values
}

// botSlack is the Slack channel with a bot token, on slacktest; a fixture
// may replace it (an incoming webhook).
const botSlack = `    token: ${SLACK_TOKEN}
    channel: "#ops"
    api_url: %s`

func newFixture(t *testing.T) *fixture { t.Helper(); return newFixtureWith(t, botSlack) }

func newFixtureWith(t *testing.T, slackKeys string) *fixture {
	t.Helper()
	f := &fixture{t: t, now: time.Now().UTC().Truncate(time.Second), updates: make(chan url.Values, 16), ephemerals: make(chan url.Values, 16)}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p webhook.Payload
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		f.mu.Lock()
		f.hooks = append(f.hooks, p)
		f.mu.Unlock()
	}))
	t.Cleanup(hook.Close)
	sl := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"ok":true,"channel":"C0OPS","ts":"1795737600.000100"}`)
		})
		c.Handle("/chat.update", func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			form, _ := url.ParseQuery(string(body))
			f.updates <- form
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"ok":true,"channel":"C0OPS","ts":"1795737600.000100"}`)
		})
		c.Handle("/chat.postEphemeral", func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			form, _ := url.ParseQuery(string(body))
			f.ephemerals <- form
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"ok":true,"message_ts":"1795737600.000200"}`)
		})
	})
	sl.Start()
	t.Cleanup(sl.Stop)

	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	// Rotated 175 days ago with a 180-day period: the 7d stage is due.
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	rotated := f.now.In(berlin).AddDate(0, 0, -175).Format(time.RFC3339)
	if strings.Contains(slackKeys, "%s") {
		slackKeys = fmt.Sprintf(slackKeys, sl.GetAPIURL())
	}
	body := fmt.Sprintf(testConfig, publicURL, hook.URL, slackKeys, rotated)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ACK_SECRET": ackSecret, "SLACK_TOKEN": slackToken, "SLACK_SIGNING_SECRET": signingSecret}
	cfg, err := config.LoadMain(path, func(*time.Location) time.Time { return f.now }, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	f.store, err = sqlite.Open(t.Context(), cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.store.Close() })
	f.db, err = f.store.DatabaseID(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	metrics := httpapi.NewMetrics()
	f.eng, err = engine.New(f.store, cfg, engine.WithAckLinks(httpapi.AckLinks(f.db)), engine.WithObserver(metrics), engine.WithStdout(io.Discard),
		engine.WithWallClock(func() time.Time { return f.now }))
	if err != nil {
		t.Fatal(err)
	}
	f.health = httpapi.NewHealth()
	srv := httpapi.New(httpapi.Options{Engine: f.eng, Database: f.db, Health: f.health, Metrics: metrics, Now: func() time.Time { return f.now },
		Logger: slog.New(slog.NewTextHandler(tlog{t}, nil))})
	f.api = httptest.NewServer(srv.Handler())
	t.Cleanup(f.api.Close)
	return f
}

// tlog writes the server's log lines to the test's log.
type tlog struct{ t *testing.T }

func (l tlog) Write(b []byte) (int, error) { l.t.Log(strings.TrimSpace(string(b))); return len(b), nil }

// tick runs one tick at the fixture's now and returns the ack link the
// webhook received, pointed at the test server.
func (f *fixture) tick() string {
	f.t.Helper()
	if _, err := f.eng.Tick(context.Background(), f.now); err != nil {
		f.t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.hooks) == 0 {
		f.t.Fatal("no webhook arrived")
	}
	p := f.hooks[len(f.hooks)-1]
	if !strings.HasPrefix(p.AckURL, publicURL+"/ack/") {
		f.t.Fatalf("ack_url = %q, want it under %s/ack/", p.AckURL, publicURL)
	}
	if !strings.Contains(p.Text, p.AckURL) {
		f.t.Errorf("the webhook's text does not carry the link: %q", p.Text)
	}
	return f.api.URL + strings.TrimPrefix(p.AckURL, publicURL)
}

// get and post return the status and the body.
func (f *fixture) get(u string) (int, string) {
	f.t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		f.t.Fatal(err)
	}
	return read(f.t, resp)
}

func (f *fixture) post(u string, form url.Values) (int, string) {
	f.t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		f.t.Fatal(err)
	}
	return read(f.t, resp)
}

func read(t *testing.T, resp *http.Response) (int, string) {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func (f *fixture) acks() []domain.Event {
	f.t.Helper()
	evs, err := f.store.History(context.Background(), domain.HistoryFilter{Type: domain.EventAck})
	if err != nil {
		f.t.Fatal(err)
	}
	return evs
}

func (f *fixture) cycle() domain.Cycle {
	f.t.Helper()
	c, err := f.store.Cycle(context.Background(), "sp-api-prod")
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) webhookDelivery() domain.Delivery { f.t.Helper(); return f.deliveryTo("hook") }

// deliveryTo is the current cycle's delivery to channel.
func (f *fixture) deliveryTo(channel string) domain.Delivery {
	f.t.Helper()
	ds, err := f.store.Deliveries(context.Background(), "sp-api-prod")
	if err != nil {
		f.t.Fatal(err)
	}
	for _, d := range ds {
		if d.Channel == channel && d.RotationID == f.cycle().RotationID {
			return d
		}
	}
	f.t.Fatal("no webhook delivery")
	return domain.Delivery{}
}

func contains(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, body)
		}
	}
}

// GET shows the page, any number of times, and never acknowledges.
func TestAckLinkGetNeverAcknowledges(t *testing.T) {
	f := newFixture(t)
	link := f.tick()
	for range 3 {
		code, body := f.get(link)
		if code != http.StatusOK {
			t.Fatalf("GET: %d\n%s", code, body)
		}
		// The name is escaped: html/template, not text.
		contains(t, "the page", body, "SP-API &lt;production&gt; (sp-api-prod)", `id="status">5 days remaining`, "not yet", `<form method="post"`, `name="by"`)
	}
	resp, err := http.Head(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := len(f.acks()); n != 0 || !f.cycle().AckAt.IsZero() {
		t.Fatalf("GET/HEAD recorded %d acknowledgments", n)
	}
}

// POST acknowledges once, with source http, the actor and the delivery; a
// second POST names the first and writes nothing.
func TestAckLinkPostAcknowledgesOnce(t *testing.T) {
	f := newFixture(t)
	link := f.tick()
	d := f.webhookDelivery()
	code, body := f.post(link, url.Values{"by": {"  alice  "}, "note": {"rotating <today>"}})
	if code != http.StatusOK {
		t.Fatalf("POST: %d\n%s", code, body)
	}
	contains(t, "the confirmation", body, `id="title" class="ok">Acknowledged<`, "Thank you, alice", `id="acknowledged">by alice at`)
	evs := f.acks()
	if len(evs) != 1 {
		t.Fatalf("%d ack events, want 1", len(evs))
	}
	got := evs[0]
	if got.Actor != "alice" || got.Status != "http" || got.DeliveryID != d.ID || got.Detail != "acknowledged via http: rotating <today>" {
		t.Errorf("the history says actor %q, source %q, delivery %d, detail %q; want alice, http, %d and the note",
			got.Actor, got.Status, got.DeliveryID, got.Detail, d.ID)
	}
	if c := f.cycle(); c.AckBy != "alice" || !c.AckAt.Equal(f.now) {
		t.Errorf("cycle acknowledged by %q at %s, want alice at %s", c.AckBy, c.AckAt, f.now)
	}

	f.now = f.now.Add(time.Hour)
	code, body = f.post(link, url.Values{"by": {"bob"}})
	if code != http.StatusOK {
		t.Fatalf("second POST: %d\n%s", code, body)
	}
	contains(t, "the second answer", body, "Already acknowledged", "Acknowledged by alice at", "Nothing more was recorded")
	if n := len(f.acks()); n != 1 {
		t.Errorf("a second acknowledgment wrote something: %d ack events", n)
	}
	code, body = f.get(link)
	if code != http.StatusOK || strings.Contains(body, "<form") {
		t.Errorf("GET after the acknowledgment: %d, with a form: %v", code, strings.Contains(body, "<form"))
	}
	contains(t, "the page after", body, "Already acknowledged", "by alice at")
}

// A form without a name, or with hostile fields, is refused and nothing
// is written.
func TestAckLinkPostNeedsAName(t *testing.T) {
	f := newFixture(t)
	link := f.tick()
	tests := []struct {
		name string
		form url.Values
		want string
	}{
		{"no by", url.Values{"note": {"x"}}, "your name is required"},
		{"blank by", url.Values{"by": {"   "}}, "your name is required"},
		{"by too long", url.Values{"by": {strings.Repeat("a", httpapi.MaxBy+1)}}, "too long"},
		{"note too long", url.Values{"by": {"alice"}, "note": {strings.Repeat("n", httpapi.MaxNote+1)}}, "too long"},
		{"control characters", url.Values{"by": {"alice\x1b[31m"}}, "control characters"},
		{"bidirectional override", url.Values{"by": {"\u202eecila"}}, "bidirectional overrides"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := f.post(link, tc.form)
			if code != http.StatusBadRequest {
				t.Errorf("POST: %d, want 400", code)
			}
			contains(t, "the answer", body, tc.want, "Nothing was recorded", "<form")
		})
	}
	if n := len(f.acks()); n != 0 {
		t.Errorf("%d acknowledgments recorded", n)
	}
}

// Forged, altered, expired, unknown and out-of-date tokens: 403 on GET and
// POST, and nothing written.
func TestAckLinkRefusesBadTokens(t *testing.T) {
	f := newFixture(t)
	link := f.tick()
	d := f.webhookDelivery()
	base := f.api.URL + "/ack/"
	token := strings.TrimPrefix(link, base)
	altered := []byte(token)
	altered[len(altered)/2] ^= 1
	tests := []struct{ name, token string }{
		{"forged with another secret", httpapi.Sign([]byte("another-secret-that-is-long-enough-000"), f.db, httpapi.Link{DeliveryID: d.ID, RotationID: d.RotationID})},
		{"altered", string(altered)},
		{"truncated", token[:len(token)-2]},
		{"expired", httpapi.Sign([]byte(ackSecret), f.db, httpapi.Link{DeliveryID: d.ID, RotationID: d.RotationID, Expires: f.now.Add(-time.Second)})},
		{"unknown delivery", httpapi.Sign([]byte(ackSecret), f.db, httpapi.Link{DeliveryID: d.ID + 1000, RotationID: d.RotationID})},
		{"another cycle's id", httpapi.Sign([]byte(ackSecret), f.db, httpapi.Link{DeliveryID: d.ID, RotationID: d.RotationID + 1})},
		{"garbage", "not-a-token"},
		{"huge", strings.Repeat("A", 10_000)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if code, body := f.get(base + tc.token); code != http.StatusForbidden {
				t.Errorf("GET: %d, want 403\n%s", code, body)
			}
			code, body := f.post(base+tc.token, url.Values{"by": {"mallory"}})
			if code != http.StatusForbidden {
				t.Errorf("POST: %d, want 403", code)
			}
			contains(t, "the refusal", body, "Nothing was recorded")
		})
	}

	// A rotation closes the cycle: the old link is out of date.
	if err := f.eng.Rotate(context.Background(), engine.Rotation{Credential: "sp-api-prod", At: f.now, By: "op", Source: "cli"}); err != nil {
		t.Fatal(err)
	}
	code, body := f.post(link, url.Values{"by": {"mallory"}})
	if code != http.StatusForbidden {
		t.Errorf("POST on a closed cycle's link: %d, want 403", code)
	}
	contains(t, "the closed cycle's page", body, "out of date", "Nothing was recorded")
	if n := len(f.acks()); n != 0 {
		t.Errorf("%d acknowledgments recorded", n)
	}
}

// A link names the database that issued it: a database recreated with the
// same ack_secret, whose deliveries and cycles have the same ids, refuses
// the old database's links (GET and POST: 403) and records nothing.
func TestAckLinkOfAnotherDatabaseRefused(t *testing.T) {
	a, b := newFixture(t), newFixture(t)
	linkA := a.tick()
	b.tick()
	if da, db := a.webhookDelivery(), b.webhookDelivery(); da.ID != db.ID || da.RotationID != db.RotationID {
		t.Fatalf("deliveries %d/%d and %d/%d: the test needs the same ids in both databases", da.ID, da.RotationID, db.ID, db.RotationID)
	}
	onB := b.api.URL + strings.TrimPrefix(linkA, a.api.URL)
	if code, body := b.get(onB); code != http.StatusForbidden {
		t.Errorf("GET of database A's link on database B: %d, want 403\n%s", code, body)
	}
	code, body := b.post(onB, url.Values{"by": {"mallory"}})
	if code != http.StatusForbidden {
		t.Errorf("POST of database A's link on database B: %d, want 403", code)
	}
	contains(t, "the refusal", body, "Nothing was recorded")
	if n := len(b.acks()); n != 0 || !b.cycle().AckAt.IsZero() {
		t.Errorf("the link from database A acknowledged in database B: %d acknowledgments recorded", n)
	}
	// On its own database the link still works.
	if code, body := a.post(linkA, url.Values{"by": {"alice"}}); code != http.StatusOK {
		t.Errorf("POST on database A: %d\n%s", code, body)
	}
	if n := len(a.acks()); n != 1 {
		t.Errorf("database A: %d acknowledgments, want 1", n)
	}
}

// TTL: a link made with ack_link_ttl expires.
func TestAckLinksExpireAfterTheirTTL(t *testing.T) {
	cfg := &config.Config{HTTP: &config.HTTP{PublicURL: publicURL, AckSecret: ackSecret, AckLinkTTL: 48 * time.Hour}}
	sent := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	link := httpapi.AckLinks(testDB)(cfg, domain.Delivery{ID: 7, RotationID: 3}, sent)
	token := strings.TrimPrefix(link, publicURL+"/ack/")
	tests := []struct {
		at   time.Time
		want error
	}{
		{sent, nil},
		{sent.Add(48*time.Hour - time.Second), nil},
		{sent.Add(48 * time.Hour), httpapi.ErrBadToken},
	}
	for _, tc := range tests {
		l, err := httpapi.Verify([]byte(ackSecret), testDB, token, tc.at)
		if !errors.Is(err, tc.want) {
			t.Errorf("at %s: %v, want %v", tc.at, err, tc.want)
		}
		if err == nil && (l.DeliveryID != 7 || l.RotationID != 3) {
			t.Errorf("link = %+v", l)
		}
	}
	if httpapi.AckLinks(testDB)(&config.Config{}, domain.Delivery{ID: 7}, sent) != "" {
		t.Error("a config without http: made a link")
	}
}

// A token verifies only for the database that issued it, with the same
// ack_secret; a token of version 1 (made before tokens named their
// database, still in messages sent before the upgrade) is refused.
func TestTokenNamesItsDatabase(t *testing.T) {
	l := httpapi.Link{DeliveryID: 1, RotationID: 1}
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	// Version 1: version | delivery | cycle | expiry | MAC over its label
	// and the body, no database.
	v1 := []byte{1, 1, 1, 0}
	h := hmac.New(sha256.New, []byte(ackSecret))
	h.Write([]byte("notifier ack link v1\x00"))
	h.Write(v1)
	v1 = append(v1, h.Sum(nil)[:16]...)
	tests := []struct {
		name, token, database string
		ok                    bool
	}{
		{"its own database", httpapi.Sign([]byte(ackSecret), testDB, l), testDB, true},
		{"another database", httpapi.Sign([]byte(ackSecret), testDB, l), "fedcba9876543210fedcba9876543210", false},
		{"no database", httpapi.Sign([]byte(ackSecret), "", l), "", false},
		{"version 1, before the database id", base64.RawURLEncoding.EncodeToString(v1), testDB, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := httpapi.Verify([]byte(ackSecret), tc.database, tc.token, now)
			if tc.ok && (err != nil || got != l) {
				t.Errorf("Verify = %+v, %v; want %+v", got, err, l)
			}
			if !tc.ok && !errors.Is(err, httpapi.ErrBadToken) {
				t.Errorf("Verify = %+v, %v; want ErrBadToken", got, err)
			}
		})
	}
}

// Every single-byte change of a token is refused.
func TestTokenEveryAlterationRefused(t *testing.T) {
	token := httpapi.Sign([]byte(ackSecret), testDB, httpapi.Link{DeliveryID: 123456, RotationID: 789})
	for i := range token {
		for _, c := range []byte("AZaz09-_") {
			if token[i] == c {
				continue
			}
			b := []byte(token)
			b[i] = c
			if _, err := httpapi.Verify([]byte(ackSecret), testDB, string(b), time.Now()); err == nil {
				t.Fatalf("altered token %q (byte %d) accepted", b, i)
			}
		}
	}
}

// slackRequest is a block_actions interaction on the delivery, signed with
// secret at ts (no signature when secret is empty).
func slackRequest(t *testing.T, u string, delivery int64, secret string, ts time.Time) *http.Request {
	t.Helper()
	return slackRequestWith(t, u, delivery, secret, ts, "")
}

func slackRequestWith(t *testing.T, u string, delivery int64, secret string, ts time.Time, responseURL string) *http.Request {
	t.Helper()
	payload := fmt.Sprintf(`{"type":"block_actions","user":{"id":"U0ALICE","name":"alice.slack"},
		"container":{"type":"message","message_ts":"1795737600.000100","channel_id":"C0OPS"},
		"channel":{"id":"C0OPS","name":"ops"},"response_url":%q,
		"actions":[{"type":"button","action_id":"notifier_ack","block_id":"notifier_actions","value":"%d"}]}`, responseURL, delivery)
	return signedSlack(t, u, payload, secret, ts)
}

// signedSlack is Slack's POST of payload to /slack/interactions, signed
// with secret at ts (no signature when secret is empty). The same
// arguments give the same request: a replay.
func signedSlack(t *testing.T, u, payload, secret string, ts time.Time) *http.Request {
	t.Helper()
	body := url.Values{"payload": {payload}}.Encode()
	req, err := http.NewRequest(http.MethodPost, u+"/slack/interactions", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if secret != "" {
		stamp := strconv.FormatInt(ts.Unix(), 10)
		mac := hmac.New(sha256.New, []byte(secret))
		fmt.Fprintf(mac, "v0:%s:%s", stamp, body)
		req.Header.Set("X-Slack-Request-Timestamp", stamp)
		req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	}
	return req
}

// Slack's signature: good, bad, stale and missing.
func TestSlackInteraction(t *testing.T) {
	tests := []struct {
		name   string
		secret string
		age    time.Duration
		want   int
	}{
		{"missing signature", "", 0, http.StatusUnauthorized},
		{"signed with another secret", "not-the-signing-secret-0000000000", 0, http.StatusUnauthorized},
		{"stale timestamp", signingSecret, 6 * time.Minute, http.StatusUnauthorized},
		{"from the future", signingSecret, -6 * time.Minute, http.StatusUnauthorized},
		{"good", signingSecret, 0, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.tick()
			d := f.deliveryTo("ops-slack")
			// slack-go judges the timestamp by the real clock.
			resp, err := http.DefaultClient.Do(slackRequest(t, f.api.URL, d.ID, tc.secret, time.Now().Add(-tc.age)))
			if err != nil {
				t.Fatal(err)
			}
			code, body := read(t, resp)
			if code != tc.want {
				t.Fatalf("status %d, want %d: %s", code, tc.want, body)
			}
			evs := f.acks()
			if tc.want != http.StatusOK {
				if len(evs) != 0 {
					t.Errorf("a refused interaction wrote %d acknowledgments", len(evs))
				}
				return
			}
			if len(evs) != 1 || evs[0].Actor != "alice.slack" || evs[0].Status != "slack" || evs[0].DeliveryID != d.ID {
				t.Fatalf("history: %+v, want one ack by alice.slack via slack of delivery %d", evs, d.ID)
			}
			select {
			case form := <-f.updates:
				if form.Get("channel") != "C0OPS" || form.Get("ts") != "1795737600.000100" || !strings.Contains(form.Get("blocks"), "Acknowledged by alice.slack") ||
					strings.Contains(form.Get("blocks"), "notifier_ack") {
					t.Errorf("chat.update: channel %q ts %q blocks %s", form.Get("channel"), form.Get("ts"), form.Get("blocks"))
				}
				if strings.Contains(form.Encode(), signingSecret) {
					t.Error("chat.update carries the signing secret")
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no chat.update reached slacktest")
			}
		})
	}
}

// /healthz is alive; /readyz names what is wrong.
func TestHealthAndReadiness(t *testing.T) {
	f := newFixture(t)
	if code, body := f.get(f.api.URL + "/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("healthz: %d %q", code, body)
	}
	steps := []struct {
		name  string
		set   func()
		code  int
		wants []string
	}{
		{"nothing yet", func() {}, 503, []string{"config: not loaded", "lease: not held"}},
		{"loaded, lease held", func() { f.health.SetConfigLoaded(true); f.health.SetLease(true) }, 200, []string{"ready"}},
		{"a tick failed", func() { f.health.SetTick(errors.New("store: disk I/O error")) }, 503, []string{"last tick failed: store: disk I/O error"}},
		{"the next tick succeeded", func() { f.health.SetTick(nil) }, 200, []string{"ready"}},
		{"a reload was refused", func() { f.health.SetReload(errors.New("config.yaml:3: http.ack_secret: too short")) }, 503,
			[]string{"config reload failed, running on the previous config: config.yaml:3"}},
		{"a good reload", func() { f.health.SetReload(nil) }, 200, []string{"ready"}},
	}
	for _, s := range steps {
		s.set()
		code, body := f.get(f.api.URL + "/readyz")
		if code != s.code {
			t.Errorf("%s: %d, want %d: %s", s.name, code, s.code, body)
		}
		contains(t, s.name, body, s.wants...)
	}
	f.store.Close()
	code, body := f.get(f.api.URL + "/readyz")
	if code != 503 || !strings.Contains(body, "database:") {
		t.Errorf("closed database: %d %s", code, body)
	}
}

// A message posted through an incoming webhook has no token to call
// chat.update with: the interaction's response_url replaces it.
func TestSlackInteractionUpdatesThroughResponseURL(t *testing.T) {
	posted := make(chan struct{}, 4)
	incoming := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		posted <- struct{}{}
	}))
	t.Cleanup(incoming.Close)
	responses := make(chan map[string]any, 4)
	respond := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("response_url body: %v", err)
		}
		responses <- body
	}))
	t.Cleanup(respond.Close)
	f := newFixtureWith(t, "    webhook_url: "+incoming.URL+"/services/T0/B0/hookkey")
	f.tick()
	<-posted
	d := f.deliveryTo("ops-slack")
	resp, err := http.DefaultClient.Do(slackRequestWith(t, f.api.URL, d.ID, signingSecret, time.Now(), respond.URL+"/actions/T0/1/abc"))
	if err != nil {
		t.Fatal(err)
	}
	if code, body := read(t, resp); code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	select {
	case body := <-responses:
		blocks, _ := json.Marshal(body["blocks"])
		if body["replace_original"] != true || !strings.Contains(string(blocks), "Acknowledged by alice.slack") {
			t.Errorf("response_url got %v", body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing reached the response_url")
	}
	if evs := f.acks(); len(evs) != 1 || evs[0].Actor != "alice.slack" {
		t.Errorf("history: %+v", evs)
	}
}

// /interactions/{channel} is the same endpoint by the channel's name: the
// named channel verifies the request; a channel that takes no
// interactions (a webhook), or no channel of that name, refuses it.
func TestInteractionsByChannelName(t *testing.T) {
	f := newFixture(t)
	f.tick()
	d := f.deliveryTo("ops-slack")
	post := func(channel string) (int, string) {
		req := slackRequest(t, f.api.URL, d.ID, signingSecret, time.Now())
		req.URL.Path = "/interactions/" + channel
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return read(t, resp)
	}
	for _, channel := range []string{"hook", "no-such-channel"} {
		if code, body := post(channel); code != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401: %s", channel, code, body)
		}
	}
	if evs := f.acks(); len(evs) != 0 {
		t.Fatalf("a refused interaction wrote %d acknowledgments", len(evs))
	}
	if code, body := post("ops-slack"); code != http.StatusOK {
		t.Fatalf("ops-slack: status %d: %s", code, body)
	}
	if evs := f.acks(); len(evs) != 1 || evs[0].Actor != "alice.slack" || evs[0].Status != "slack" || evs[0].DeliveryID != d.ID {
		t.Fatalf("history: %+v, want one ack by alice.slack via slack of delivery %d", evs, d.ID)
	}
	select {
	case form := <-f.updates:
		if !strings.Contains(form.Get("blocks"), "Acknowledged by alice.slack") {
			t.Errorf("chat.update blocks %s", form.Get("blocks"))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no chat.update reached slacktest")
	}
}
