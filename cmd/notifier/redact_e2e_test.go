package main

// End-to-end test of redaction (issue 10): every service echoes what it
// received into its error answer, and the binary, driven as a user drives
// it, shows none of the secrets, in any form, anywhere.

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/notifier-dev/notifier/internal/testutil/leak"
	"github.com/notifier-dev/notifier/internal/testutil/smtpd"
)

// The secrets, each given to the child process through its environment.
// Each holds the marker SEKRIT and characters that escaping and base64
// change ('+', '/', '=').
const (
	rdHookKey      = "hk+SEKRIT/hookKey=0042"
	rdHookToken    = "ht-SEKRIT-hook-bearer-0042"
	rdSlackToken   = "xoxb-4242-SEKRIT-slack-bot-token"
	rdSlackHookKey = "SEKRITx9AbCdEfGhIjKlMnOp"
	rdSMTPUser     = "notifier@example.com"
	rdSMTPPassword = "smtp+SEKRIT/password=42"
	rdAWSSecretKey = "wJalrXUtnFEMI/K7MDENG+SEKRITsecretKEY42"
	rdAWSSession   = "FwoGZXIvYXdzEJr//////////wEaDSEKRITsessionTOKEN+abc/def42=="
	rdMarker       = "SEKRIT"
)

// rdForms are every form of every secret that must appear nowhere.
func rdForms() []string {
	forms := leak.Forms(rdHookKey, rdHookToken, rdSlackToken, rdSlackHookKey, rdSMTPPassword, rdAWSSecretKey, rdAWSSession,
		strings.ReplaceAll(rdHookKey, "+", " ")) // the query value as a server decodes it
	for _, blob := range []string{
		"\x00" + rdSMTPUser + "\x00" + rdSMTPPassword,              // AUTH PLAIN
		rdSMTPUser + "\x00" + rdSMTPUser + "\x00" + rdSMTPPassword, // AUTH PLAIN with an identity
		rdSMTPUser + ":" + rdSMTPPassword,                          // Basic
	} {
		forms = append(forms, leak.Base64(blob)...)
	}
	return append(forms, rdMarker)
}

// echoText is everything a request carried: method, URI, decoded path and
// query, every header, the body.
func echoText(r *http.Request) string {
	body, _ := io.ReadAll(r.Body)
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (path %s, query %v)", r.Method, r.RequestURI, r.URL.Path, r.URL.Query())
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(&b, "; %s: %s", k, strings.Join(r.Header[k], ", "))
	}
	fmt.Fprintf(&b, "; body: %s", body)
	return b.String()
}

// echoServers are the services of the test, each echoing what it got;
// saw counts the requests that carried their secret, so that the test is
// not vacuous.
type echoServers struct {
	hook, slackAPI, slackHook, sns *httptest.Server
	plain, login                   *smtpd.Server
	saw                            map[string]*atomic.Int32
}

func startEchoServers(t *testing.T) *echoServers {
	t.Helper()
	s := &echoServers{saw: map[string]*atomic.Int32{}}
	for _, k := range []string{"hook", "slack-bot", "slack-incoming", "sns"} {
		s.saw[k] = new(atomic.Int32)
	}
	serve := func(h http.HandlerFunc) *httptest.Server {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv
	}
	// A webhook receiver: 503, Retry-After two hours, everything echoed.
	s.hook = serve(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("key") == strings.ReplaceAll(rdHookKey, "+", " ") && r.Header.Get("Authorization") == "Bearer "+rdHookToken {
			s.saw["hook"].Add(1)
		}
		w.Header().Set("Retry-After", "7200")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "unavailable, got: "+echoText(r))
	})
	// Slack's Web API: invalid_auth, quoting the token and the request.
	s.slackAPI = serve(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.PostForm.Get("token") == rdSlackToken || r.Header.Get("Authorization") == "Bearer "+rdSlackToken {
			s.saw["slack-bot"].Add(1)
		}
		answer, _ := json.Marshal(map[string]any{"ok": false,
			"error":             "invalid_auth: token " + r.PostForm.Get("token") + " Authorization " + r.Header.Get("Authorization"),
			"response_metadata": map[string]any{"messages": []string{"form: " + r.PostForm.Encode()}}})
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	})
	// A Slack incoming webhook: 404 quoting the path, whose end is the key.
	s.slackHook = serve(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/"+rdSlackHookKey) {
			s.saw["slack-incoming"].Add(1)
		}
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, "no_service: nothing at "+r.URL.Path)
	})
	// SNS: Throttling, quoting the headers (X-Amz-Security-Token,
	// Authorization) in the error XML.
	s.sns = serve(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Security-Token") == rdAWSSession {
			s.saw["sns"].Add(1)
		}
		var esc bytes.Buffer
		_ = xml.EscapeText(&esc, []byte("Rate exceeded for "+echoText(r)))
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>%s</Message></Error><RequestId>echo-1</RequestId></ErrorResponse>`, esc.String())
	})
	// SMTP servers that reject AUTH with a 535 quoting the base64 received.
	s.plain = smtpd.Start(t, smtpd.Options{Username: rdSMTPUser, Password: rdSMTPPassword, Mechanisms: []string{"PLAIN"}, EchoAuth: true})
	s.login = smtpd.Start(t, smtpd.Options{Username: rdSMTPUser, Password: rdSMTPPassword, Mechanisms: []string{"LOGIN"}, EchoAuth: true})
	return s
}

const redactE2EConfig = `database: notifier.db
timezone: UTC
policies:
  standard:
    - {before: 7d, channels: [hook, slack-bot, slack-incoming, mail-plain, mail-login, sns]}
channels:
  hook:
    type: webhook
    url: "%s/hooks/in?key=${HOOK_KEY}"
    headers: {Authorization: "Bearer ${HOOK_TOKEN}"}
  slack-bot: {type: slack, token: "${SLACK_BOT_TOKEN}", channel: "#ops", api_url: "%s/api/"}
  slack-incoming: {type: slack, webhook_url: "${SLACK_WEBHOOK_URL}"}
  mail-plain:
    type: email
    smtp: %s
    tls: none
    username: notifier@example.com
    password: ${SMTP_PASSWORD}
    from: "Notifier <notifier@example.com>"
    to: [admins@example.com]
  mail-login:
    type: email
    smtp: %s
    tls: none
    username: notifier@example.com
    password: ${SMTP_PASSWORD}
    from: "Notifier <notifier@example.com>"
    to: [admins@example.com]
  sns: {type: sns, topic_arn: "arn:aws:sns:eu-west-1:123456789012:reminders", endpoint: "%s"}
credentials:
  - {id: sp-api-prod, name: "SP-API production (LWA client secret)", owner: integrations, rotated_at: 2026-06-01}
`

// TestEndToEndEchoedSecretsAreRedacted: with every service echoing the
// request into its error, `notifier tick`, `history` (table, json, csv),
// `status` and `notifier test` for every channel, with text and JSON logs
// at debug level, print no form of any secret, and the database files
// hold none; the failures are still classified (the webhook's and SNS's
// retried, the webhook's after its Retry-After; the rest failed).
func TestEndToEndEchoedSecretsAreRedacted(t *testing.T) {
	srv := startEchoServers(t)
	channelNames := []string{"hook", "slack-bot", "slack-incoming", "mail-plain", "mail-login", "sns"}
	forms := rdForms()
	for _, logFormat := range []string{"text", "json"} {
		t.Run(logFormat, func(t *testing.T) {
			e := newEnv(t, "2026-06-01")
			e.writeConfig(fmt.Sprintf(redactE2EConfig, srv.hook.URL, srv.slackAPI.URL, srv.plain.Addr(), srv.login.Addr(), srv.sns.URL))
			environ := childEnv(t,
				"HOOK_KEY="+rdHookKey, "HOOK_TOKEN="+rdHookToken,
				"SLACK_BOT_TOKEN="+rdSlackToken, "SLACK_WEBHOOK_URL="+srv.slackHook.URL+"/services/T0000/B0000/"+rdSlackHookKey,
				"SMTP_PASSWORD="+rdSMTPPassword,
				"AWS_SECRET_ACCESS_KEY="+rdAWSSecretKey, "AWS_SESSION_TOKEN="+rdAWSSession)
			var all strings.Builder // every stdout and stderr
			run := func(wantCode int, args ...string) (string, string) {
				t.Helper()
				args = append([]string{"--log-format", logFormat, "--log-level", "debug"}, args...)
				out, errs, code := e.runWithEnv(environ, args...)
				if code != wantCode {
					t.Errorf("%v: exit %d, want %d\nstdout: %s\nstderr: %s", args, code, wantCode, out, errs)
				}
				fmt.Fprintf(&all, "$ notifier %s\n%s\n%s\n", strings.Join(args, " "), out, errs)
				return out, errs
			}

			out, _ := run(0, "tick", "--at", "2026-11-21T00:00:00Z")
			if !strings.Contains(out, "0 sent, 0 skipped, 2 retrying, 4 failed") {
				t.Errorf("tick: want 2 retrying (hook, sns) and 4 failed:\n%s", out)
			}
			// The Retry-After of the webhook's 503 survived redaction.
			if !strings.Contains(out, "next attempt at 2026-11-21T02:00:00Z") {
				t.Errorf("tick: the webhook's Retry-After (2h) was lost:\n%s", out)
			}
			for name, n := range srv.saw {
				if n.Load() == 0 {
					t.Errorf("%s: the server never received the secret; the test proves nothing", name)
				}
			}

			histJSON, _ := run(0, "history", "--format", "json")
			run(0, "history", "--format", "table")
			run(0, "history", "--format", "csv")
			run(0, "status", "--at", "2026-11-21T00:00:00Z")
			run(0, "status", "--at", "2026-11-21T00:00:00Z", "--format", "json")

			// The history shows each channel's echo, redacted.
			var rows []struct{ Channel, Status, Detail string }
			if err := json.Unmarshal([]byte(histJSON), &rows); err != nil {
				t.Fatalf("history json: %v\n%s", err, histJSON)
			}
			redactedBy := map[string]bool{}
			for _, r := range rows {
				if strings.Contains(r.Detail, "<redacted>") {
					redactedBy[r.Channel] = true
				}
			}
			for _, r := range rows {
				if r.Channel == "mail-plain" && !strings.Contains(r.Detail, `AUTH PLAIN <redacted>"`) {
					t.Errorf("history: the AUTH PLAIN blob is not redacted whole: %s", r.Detail)
				}
			}
			for _, name := range channelNames {
				if !redactedBy[name] {
					t.Errorf("history: no redacted echo from %s:\n%s", name, histJSON)
				}
			}

			for _, name := range channelNames {
				_, errs := run(1, "test", name)
				want := "failed (permanent: fix the channel's config)"
				if name == "hook" || name == "sns" {
					want = "failed (temporary: the service may recover)"
				}
				if !strings.Contains(errs, want) || !strings.Contains(errs, "<redacted>") {
					t.Errorf("test %s: want %q and the redacted echo:\n%s", name, want, errs)
				}
			}

			if found := leak.Find(all.String(), forms); len(found) > 0 {
				t.Errorf("the outputs show %q:\n%s", found, all.String())
			}
			// The database files, as they are on disk after the commands.
			var db []byte
			for _, suffix := range []string{"", "-wal", "-shm"} {
				b, err := os.ReadFile(filepath.Join(e.dir, "notifier.db"+suffix))
				if err != nil && suffix == "" {
					t.Fatal(err)
				}
				db = append(db, b...)
			}
			if !bytes.Contains(db, []byte("<redacted>")) {
				t.Error("the database holds no redacted error")
			}
			if found := leak.Find(string(db), forms); len(found) > 0 {
				t.Errorf("the database files hold %q", found)
			}
		})
	}
}
