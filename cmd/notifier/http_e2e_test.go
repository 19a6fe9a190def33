package main

// End-to-end test of `notifier run` with its HTTP API, through the binary:
// a due reminder carries an ack link that works, a signed Slack click is
// accepted and updates the message, /metrics parses, SIGHUP with a broken
// config keeps it serving, SIGTERM ends it with status 0.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/slack-go/slack/slacktest"
)

// Made-up secrets of this test, never real ones.
const (
	e2eAckSecret     = "e2e-ack-secret-5d41402abc4b2a76b9719d911017c592"
	e2eSigningSecret = "e2e-signing-secret-7d793037a0760186574b0282f2f435e7"
	e2eBotToken      = "xoxb-e2e-0000-token"
)

const httpConfig = `database: notifier.db
timezone: UTC
check_schedule: "@hourly"
http:
  listen: %s
  public_url: http://%s
  ack_secret: ${NOTIFIER_ACK_SECRET}
  ack_link_ttl: 30d
policies:
  standard:
    - {before: 7d, channels: [ops, ops-slack]}
channels:
  ops: {type: webhook, url: "%s"}
  ops-slack:
    type: slack
    token: ${SLACK_BOT_TOKEN}
    channel: "#ops"
    api_url: %s
    signing_secret: ${SLACK_SIGNING_SECRET}
credentials:
  - {id: link-cred, name: "Acknowledged by link", rotated_at: %s}
  - {id: slack-cred, name: "Acknowledged in Slack", rotated_at: %s}
`

// freeAddr is a 127.0.0.1 address with a port nobody listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func httpDo(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func httpGet(t *testing.T, u string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return httpDo(t, req)
}

func httpPostForm(t *testing.T, u string, form url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return httpDo(t, req)
}

// slackButton is the Acknowledge button's value (the delivery id) in a
// chat.postMessage request's blocks.
func slackButton(t *testing.T, form url.Values) string {
	t.Helper()
	var blocks []struct {
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	if err := json.Unmarshal([]byte(form.Get("blocks")), &blocks); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	for _, b := range blocks {
		for _, e := range b.Elements {
			if e.ActionID == "notifier_ack" {
				return e.Value
			}
		}
	}
	t.Fatalf("no Acknowledge button in %s", form.Get("blocks"))
	return ""
}

// signedInteraction is Slack's POST for a click on the button, signed now.
func signedInteraction(t *testing.T, base, secret, value string, at time.Time) *http.Request {
	t.Helper()
	return signedAction(t, base, secret, "notifier_ack", value, at)
}

// signedAction is Slack's POST for a click by bob on the button actionID
// of notifier's actions block, signed at at.
func signedAction(t *testing.T, base, secret, actionID, value string, at time.Time) *http.Request {
	t.Helper()
	payload := fmt.Sprintf(`{"type":"block_actions","user":{"id":"U0BOB","name":"bob"},
		"container":{"type":"message","message_ts":"1795737600.000200","channel_id":"C0OPS"},
		"actions":[{"type":"button","action_id":%q,"block_id":"notifier_actions","value":%q}]}`, actionID, value)
	body := url.Values{"payload": {payload}}.Encode()
	req, err := http.NewRequest(http.MethodPost, base+"/slack/interactions", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	stamp := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", stamp, body)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return req
}

// httpRun is `notifier run` with its HTTP API on httpConfig, after its
// start-up tick: link-cred's ack link (from the webhook) and slack-cred's
// Slack message (its Acknowledge button's value and its blocks).
type httpRun struct {
	d                 *daemonProc
	base, dir, config string
	good              string // the config's text
	link, slackValue  string
	slackBlocks       string
	updates           chan url.Values // chat.update requests
	hook              *hook           // the webhook's receiver
}

// startHTTPRun starts it and waits for the start-up tick's messages.
func startHTTPRun(t *testing.T) *httpRun {
	t.Helper()
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
	good := fmt.Sprintf(httpConfig, addr, addr, hook.srv.URL, sl.GetAPIURL(), rotated, rotated)
	if err := os.WriteFile(config, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NOTIFIER_ACK_SECRET", e2eAckSecret)
	t.Setenv("SLACK_BOT_TOKEN", e2eBotToken)
	t.Setenv("SLACK_SIGNING_SECRET", e2eSigningSecret)
	d := startDaemon(t, dir, config)
	d.await(t, "http listening", 60*time.Second)

	// The start-up tick: two webhooks and two Slack messages.
	for range 2 {
		select {
		case <-arrived:
		case <-time.After(60 * time.Second):
			t.Fatalf("the webhooks did not arrive:\n%s", d.logs())
		}
	}
	var slackValue, slackBlocks string
	for range 2 {
		select {
		case p := <-posts:
			if strings.Contains(p.Get("text"), "Acknowledged in Slack") {
				slackValue, slackBlocks = slackButton(t, p), p.Get("blocks")
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
		if !strings.HasPrefix(p.AckURL, base+"/ack/") {
			t.Errorf("%s: ack_url %q is not under %s/ack/", p.Credential, p.AckURL, base)
		}
	}
	return &httpRun{d: d, base: base, dir: dir, config: config, good: good, link: link, slackValue: slackValue, slackBlocks: slackBlocks, updates: updates, hook: hook}
}

func TestEndToEndRunServesAckLinksSlackMetricsAndReload(t *testing.T) {
	r := startHTTPRun(t)
	d, base, dir, config, good, link, slackValue, updates, hook := r.d, r.base, r.dir, r.config, r.good, r.link, r.slackValue, r.updates, r.hook

	// The link: GET shows a form and records nothing; a forged link is
	// refused; POST acknowledges.
	if code, body := httpGet(t, link); code != 200 || !strings.Contains(body, `name="by"`) {
		t.Fatalf("GET %s: %d\n%s", link, code, body)
	}
	if code, _ := httpPostForm(t, base+"/ack/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", url.Values{"by": {"mallory"}}); code != 403 {
		t.Errorf("a forged link: %d, want 403", code)
	}
	if code, body := httpPostForm(t, link, url.Values{"by": {"alice"}, "note": {"on it"}}); code != 200 || !strings.Contains(body, "Thank you, alice") {
		t.Fatalf("POST %s: %d\n%s", link, code, body)
	}

	// The Slack button, signed as Slack signs, and the same request again
	// (a replay within Slack's five minutes): answered, and nothing more
	// happens.
	clicked := time.Now()
	for _, what := range []string{"the Slack interaction", "its replay"} {
		if code, body := httpDo(t, signedInteraction(t, base, e2eSigningSecret, slackValue, clicked)); code != 200 {
			t.Fatalf("%s: %d %s", what, code, body)
		}
	}
	if code, _ := httpDo(t, signedInteraction(t, base, "not-the-secret-00000000000000000", slackValue, time.Now())); code != 401 {
		t.Errorf("a badly signed interaction: %d, want 401", code)
	}
	select {
	case u := <-updates:
		if !strings.Contains(u.Get("blocks"), "Acknowledged by bob") {
			t.Errorf("chat.update blocks: %s", u.Get("blocks"))
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no chat.update reached slacktest")
	}
	// The handler updates before it answers: a second update would be here.
	select {
	case u := <-updates:
		t.Errorf("the replay updated the message again: %s", u.Get("blocks"))
	default:
	}

	// The history has both, with source and actor.
	hist := (&env{t: t, dir: dir, config: config}).history("--type", "ack")
	if len(hist) != 2 || hist[0].Actor+"/"+hist[0].Status != "alice/http" || hist[1].Actor+"/"+hist[1].Status != "bob/slack" {
		t.Errorf("ack history: %+v", hist)
	}

	// /metrics parses, and shows both acknowledged.
	code, body := httpGet(t, base+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	if f := fams["notifier_credential_acknowledged"]; f == nil || len(f.Metric) != 2 || f.Metric[0].Gauge.GetValue() != 1 || f.Metric[1].Gauge.GetValue() != 1 {
		t.Errorf("notifier_credential_acknowledged: %v", f)
	}
	if f := fams["notifier_deliveries_total"]; f == nil || len(f.Metric) != 2 {
		t.Errorf("notifier_deliveries_total: %v", f)
	}
	if code, body := httpGet(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz: %d %s", code, body)
	}

	// SIGHUP with a broken config: refused, logged, still serving, /readyz
	// says why.
	broken := strings.Replace(good, "ack_link_ttl: 30d", "ack_link_ttl: 30 days", 1)
	if err := os.WriteFile(config, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	d.await(t, "config change rejected", 30*time.Second)
	if code, _ := httpGet(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz after a refused reload: %d", code)
	}
	if code, body := httpGet(t, base+"/readyz"); code != 503 || !strings.Contains(body, "config reload failed") || !strings.Contains(body, "http.ack_link_ttl") {
		t.Errorf("/readyz after a refused reload: %d %s", code, body)
	}
	if code, body := httpGet(t, link); code != 200 || !strings.Contains(body, "Already acknowledged") {
		t.Errorf("the link after a refused reload: %d", code)
	}

	// The fix, by SIGHUP: ready again, and nothing is sent a second time.
	if err := os.WriteFile(config, []byte(good+"# reviewed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	d.await(t, "config reloaded", 30*time.Second)
	if code, body := httpGet(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz after the fix: %d %s", code, body)
	}

	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, d.logs())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit within 30s of SIGTERM")
	}
	if again := hook.take(); len(again) != 0 {
		t.Errorf("the reloads sent %d reminders again", len(again))
	}
	logs := d.logs()
	for _, secret := range []string{e2eAckSecret, e2eSigningSecret, e2eBotToken} {
		if strings.Contains(logs, secret) {
			t.Errorf("a secret is in the log")
		}
	}
	if n := strings.Count(logs, "reminder sent"); n != 4 || !strings.Contains(logs, "outcome=sent attempt=1") {
		t.Errorf("%d 'reminder sent' lines, want 4 with outcome and attempt:\n%s", n, logs)
	}
}
