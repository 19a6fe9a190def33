package main

// End-to-end test of every network channel at once: the binary, driven by a
// config file and `notifier tick --at`, talks to a real server of each kind
// on 127.0.0.1 (an HTTP recorder, slacktest, an SMTP server, goaws), and the
// test reads back what each one received.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	"github.com/notifier-dev/notifier/internal/testutil/goaws"
	"github.com/notifier-dev/notifier/internal/testutil/smtpd"
)

const (
	e2eSlackToken   = "xoxb-e2e-4242-SLACKsecretTOKENvalue"
	e2eSMTPPassword = "e2e-SMTPsecretPASSWORD"
	arrivalTimeout  = 10 * time.Second
)

// slackPost is one chat.postMessage as the Slack test server received it.
type slackPost struct {
	auth   string
	form   url.Values
	blocks []struct {
		Type     string                 `json:"type"`
		BlockID  string                 `json:"block_id"`
		Text     *struct{ Text string } `json:"text"`
		Elements []map[string]any       `json:"elements"`
	}
}

// slackRecorder starts a slacktest server on 127.0.0.1 whose
// chat.postMessage records every request on a channel.
func slackRecorder(t *testing.T) (*slacktest.Server, chan slackPost) {
	t.Helper()
	posts := make(chan slackPost, 16)
	srv := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				t.Errorf("slack: reading request: %v", err)
			}
			form, err := url.ParseQuery(string(body))
			if err != nil {
				t.Errorf("slack: chat.postMessage body is not a form: %v", err)
			}
			p := slackPost{auth: r.Header.Get("Authorization"), form: form}
			if err := json.Unmarshal([]byte(form.Get("blocks")), &p.blocks); err != nil {
				t.Errorf("slack: blocks are not JSON: %v", err)
			}
			posts <- p
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"ok":true,"channel":"C0OPS","ts":"1795737600.000100"}`)
		})
	})
	srv.Start()
	t.Cleanup(srv.Stop)
	return srv, posts
}

// childEnv is the environment of the notifier process: this one's, with
// the AWS configuration of this machine kept out, static test credentials,
// and extra (KEY=VALUE) added last, so they win.
func childEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	dir := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"AWS_CONFIG_FILE="+filepath.Join(dir, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "no-credentials"),
		"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
		"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"AWS_REGION="+goaws.Region,
		"AWS_EC2_METADATA_DISABLED=true",
	)
	return append(env, extra...)
}

// runWithEnv runs the binary with the given environment (nil: this
// process's) and returns stdout, stderr and the exit code.
func (e *env) runWithEnv(environ []string, args ...string) (string, string, int) {
	e.t.Helper()
	cmd := exec.Command(binary, append([]string{"--config", e.config}, args...)...)
	cmd.Dir = e.dir
	cmd.Env = environ
	atTestClock(cmd)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		e.t.Fatalf("running notifier %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// writeConfig replaces the env's config file.
func (e *env) writeConfig(body string) {
	e.t.Helper()
	if err := os.WriteFile(e.config, []byte(body), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

const allChannelsConfig = `database: notifier.db
timezone: UTC
policies:
  standard:
    - {before: 7d, channels: [ops-hook, ops-slack, ops-mail, ops-sns]}
channels:
  ops-hook: {type: webhook, url: "%s"}
  ops-slack:
    type: slack
    token: ${SLACK_BOT_TOKEN}
    channel: "#ops"
    api_url: %s
  ops-mail:
    type: email
    smtp: %s
    tls: none
    username: notifier
    password: ${SMTP_PASSWORD}
    from: "Notifier <notifier@example.com>"
    to: [admins@example.com]
  ops-sns:
    type: sns
    topic_arn: %s
    endpoint: %s
credentials:
  - {id: sp-api-prod, name: "SP-API production (LWA client secret)", owner: integrations, rotated_at: 2026-06-01}
`

// TestEndToEndAllChannels: one tick sends the due stage to every channel,
// each server receives it once, and the same tick again sends nothing.
func TestEndToEndAllChannels(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	slackSrv, slackPosts := slackRecorder(t)
	mail := smtpd.Start(t, smtpd.Options{Username: "notifier", Password: e2eSMTPPassword})
	aws := goaws.MustStart(t)
	snsRec := goaws.NewRecorder(t)
	topic := aws.CreateTopic("e2e-"+strconv.FormatInt(time.Now().UnixNano(), 36), snsRec.URL)

	e.writeConfig(fmt.Sprintf(allChannelsConfig,
		e.hook.srv.URL+"/hook", slackSrv.GetAPIURL(), mail.Addr(), topic, aws.URL))
	environ := childEnv(t, "SLACK_BOT_TOKEN="+e2eSlackToken, "SMTP_PASSWORD="+e2eSMTPPassword)

	const at = "2026-11-21T00:00:00Z" // 7 days before the deadline, 2026-11-28
	tick := func() string {
		t.Helper()
		out, errs, code := e.runWithEnv(environ, "tick", "--at", at)
		if code != 0 {
			t.Fatalf("tick: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
		}
		for _, secret := range []string{e2eSlackToken, e2eSMTPPassword} {
			if strings.Contains(out+errs, secret) {
				t.Errorf("tick output contains a secret:\n%s\n%s", out, errs)
			}
		}
		return out
	}
	if out := tick(); !strings.Contains(out, "4 sent") {
		t.Errorf("tick output does not say 4 sent: %s", out)
	}

	// The tick has exited: every server answered before recording was
	// acknowledged to the binary, so what arrived is there already.

	// Webhook.
	got := e.hook.take()
	want(t, got, "7d", 7)
	if got[0].Delivery <= 0 || got[0].Credential != "sp-api-prod" {
		t.Errorf("webhook payload: %+v", got[0])
	}

	// Slack.
	select {
	case p := <-slackPosts:
		checkSlackPost(t, p)
	default:
		t.Error("slack: no chat.postMessage")
	}

	// Email.
	msg, err := mail.Next(arrivalTimeout)
	if err != nil {
		t.Errorf("email: %v", err)
	} else {
		if !msg.Authed {
			t.Error("email: the message was sent without AUTH")
		}
		if msg.From != "notifier@example.com" || len(msg.To) != 1 || msg.To[0] != "admins@example.com" {
			t.Errorf("email envelope: from %q to %v", msg.From, msg.To)
		}
		if s := msg.Subject(); !strings.Contains(s, "7 days remaining") {
			t.Errorf("email Subject = %q, want 7 days remaining", s)
		}
		if to := msg.Header.Get("To"); !strings.Contains(to, "admins@example.com") {
			t.Errorf("email To = %q", to)
		}
		if id := msg.Header.Get("Message-ID"); !regexp.MustCompile(`^<[^<>@\s]+@[^<>@\s]+>$`).MatchString(id) {
			t.Errorf("email Message-ID = %q", id)
		}
		if c, s := msg.Header.Get("X-Notifier-Credential"), msg.Header.Get("X-Notifier-Stage"); c != "sp-api-prod" || s != "7d" {
			t.Errorf("email X-Notifier-Credential %q, X-Notifier-Stage %q", c, s)
		}
	}

	// SNS.
	note, err := snsRec.Next(arrivalTimeout)
	if err != nil {
		t.Errorf("sns: %v", err)
	} else {
		if note.TopicArn != topic {
			t.Errorf("sns TopicArn = %q, want %q", note.TopicArn, topic)
		}
		if !strings.Contains(note.Subject, "7 days remaining") || !strings.Contains(note.Message, "7 days remaining") {
			t.Errorf("sns Subject %q / Message %q: want 7 days remaining", note.Subject, note.Message)
		}
		for k, v := range map[string]string{"credential": "sp-api-prod", "stage": "7d", "days_remaining": "7"} {
			if a := note.MessageAttributes[k]; a.Value != v {
				t.Errorf("sns attribute %s = %+v, want %q", k, a, v)
			}
		}
	}

	// Exactly one each.
	assertNothingMore := func(when string) {
		t.Helper()
		if got := e.hook.take(); len(got) != 0 {
			t.Errorf("%s: webhook received %d more: %+v", when, len(got), got)
		}
		select {
		case p := <-slackPosts:
			t.Errorf("%s: slack received another chat.postMessage: %v", when, p.form)
		default:
		}
		if more := mail.Pending(); len(more) != 0 {
			t.Errorf("%s: SMTP server received %d more messages", when, len(more))
		}
		if more := snsRec.Pending(); len(more) != 0 {
			t.Errorf("%s: SNS subscription received %d more: %+v", when, len(more), more)
		}
	}
	assertNothingMore("after the first tick")

	// The same tick again, in a new process: nothing is sent twice.
	if out := tick(); !strings.Contains(out, "0 sent") {
		t.Errorf("second tick output: %s", out)
	}
	assertNothingMore("after the second tick")
}

func checkSlackPost(t *testing.T, p slackPost) {
	t.Helper()
	if p.auth != "Bearer "+e2eSlackToken && p.form.Get("token") != e2eSlackToken {
		t.Errorf("slack: the token reached the server neither as bearer (%q) nor in the form", p.auth)
	}
	if c := p.form.Get("channel"); c != "#ops" {
		t.Errorf("slack channel = %q, want #ops", c)
	}
	var header string
	var buttons []map[string]any
	for _, b := range p.blocks {
		switch {
		case b.Type == "header" && b.Text != nil:
			header = b.Text.Text
		case b.Type == "actions" && b.BlockID == "notifier_actions":
			buttons = append(buttons, b.Elements...)
		}
	}
	if !strings.Contains(header, "7 days remaining") {
		t.Errorf("slack header = %q, want 7 days remaining", header)
	}
	var ack map[string]any
	for _, el := range buttons {
		if el["action_id"] == "notifier_ack" {
			ack = el
		}
	}
	if ack == nil {
		t.Fatalf("slack: no Acknowledge button (action_id notifier_ack) in block notifier_actions; blocks %s", p.form.Get("blocks"))
	}
	value, _ := ack["value"].(string)
	if id, err := strconv.ParseInt(value, 10, 64); err != nil || id <= 0 {
		t.Errorf("slack Acknowledge button value = %q, want a delivery id > 0", value)
	}
}

const badChannelsConfig = `database: notifier.db
timezone: UTC
policies:
  standard:
    - {before: 7d, channels: [ops-slack, ops-mail, ops-sns]}
channels:
  ops-slack:
    type: slack
    token: ${SLACK_BOT_TOKEN}
  ops-mail:
    type: email
    smtp: nohost
    from: "Notifier <notifier@example.com>"
  ops-sns:
    type: sns
    topic_arn: "arn:aws:sns:eu-west-1:12345:reminders"
credentials:
  - {id: sp-api-prod, name: "SP-API production", owner: integrations, rotated_at: 2026-06-01}
`

// TestEndToEndCheckRejectsBadChannels: `notifier check` names every channel
// problem by file:line and key, and never prints a secret.
func TestEndToEndCheckRejectsBadChannels(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	e.writeConfig(badChannelsConfig)
	out, errs, code := e.runWithEnv(childEnv(t, "SLACK_BOT_TOKEN="+e2eSlackToken), "check")
	if code != 1 {
		t.Errorf("check: exit %d, want 1\nstdout: %s\nstderr: %s", code, out, errs)
	}
	// A missing key is reported at the first line of its channel's block.
	for _, prefix := range []string{
		"config.yaml:8: channels.ops-slack.channel: missing",
		"config.yaml:11: channels.ops-mail.to: missing",
		"config.yaml:12: channels.ops-mail.smtp: ",
		"config.yaml:16: channels.ops-sns.topic_arn: ",
	} {
		if n := countLinesWithPrefix(errs, prefix); n != 1 {
			t.Errorf("stderr has %d lines starting %q, want 1:\n%s", n, prefix, errs)
		}
	}
	if n := strings.Count(strings.TrimSpace(errs), "\n") + 1; n != 5 {
		t.Errorf("stderr has %d lines, want 4 problems and a summary:\n%s", n, errs)
	}
	if strings.Contains(out+errs, e2eSlackToken) {
		t.Errorf("check printed the Slack token:\nstdout: %s\nstderr: %s", out, errs)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "notifier.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("check created the database: %v", err)
	}
}

func countLinesWithPrefix(s, prefix string) int {
	n := 0
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, prefix) {
			n++
		}
	}
	return n
}
