package main

// End-to-end tests of SP-API notifications (issue 11): the binary, driven
// as a user drives it, receives real notification payloads from a real SQS
// emulator (fauxqs) through the real AWS SDK.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/testutil/fauxqs"
	"github.com/notifier-dev/notifier/internal/testutil/leak"
)

const (
	spClient = "amzn1.application-oa2-client.e2e0123456789abcdef"
	// spNewSecret is the secret a new-secret notification carries: it
	// must appear nowhere. '+', '/' and '=' change under escaping.
	spNewSecret = "amzn1.oa2-cs.v1.E2ESEKRIT+new/secret=0042"
)

// Two channels: ops for the ladder's early stages, pager for its most
// urgent, where the follow-up of a new secret goes.
const amazonE2EConfig = `database: notifier.db
timezone: UTC
policies:
  standard:
    - {before: 30d, channels: [ops]}
    - {before: 7d,  channels: [ops]}
    - {before: 24h, channels: [pager]}
channels:
  ops: {type: webhook, url: "%s"}
  pager: {type: webhook, url: "%s"}
amazon:
  sqs_queue_url: %s
  region: us-east-1
  endpoint: %s
  sender_ids: ["` + fauxqs.SenderID + `"]
credentials:
  - id: sp-api-prod
    name: SP-API production
    rotated_at: 2026-06-01
    lwa: {client_id: ` + spClient + `}
`

// spEnv is a user's folder with the SP-API config, the emulator and the
// queue, and every output collected for the secret search.
type spEnv struct {
	*env
	sqs   *fauxqs.Server
	queue string
	pager *hook
	child []string
	all   strings.Builder
}

func newSPEnv(t *testing.T, endpoint string) *spEnv {
	t.Helper()
	s := &spEnv{env: newEnv(t, "2026-06-01"), pager: newHook(t)}
	s.sqs = fauxqs.Start(t)
	s.queue = s.sqs.CreateQueue(t, "sp-api-notifications", map[string]string{"VisibilityTimeout": "600"})
	if endpoint == "" {
		endpoint = s.sqs.URL
	}
	s.writeConfig(fmt.Sprintf(amazonE2EConfig, s.hook.srv.URL+"/ops", s.pager.srv.URL+"/pager", s.queue, endpoint))
	s.child = childEnv(t, fauxqs.Env()...)
	return s
}

// do runs the binary at debug level and collects what it printed.
func (s *spEnv) do(wantCode int, args ...string) (string, string) {
	s.t.Helper()
	args = append([]string{"--log-level", "debug"}, args...)
	out, errs, code := s.runWithEnv(s.child, args...)
	fmt.Fprintf(&s.all, "$ notifier %s\n%s\n%s\n", strings.Join(args, " "), out, errs)
	if code != wantCode {
		s.t.Fatalf("notifier %v: exit %d, want %d\nstdout: %s\nstderr: %s", args, code, wantCode, out, errs)
	}
	return out, errs
}

func (s *spEnv) send(body string) { s.t.Helper(); s.sqs.Send(s.t, s.queue, body) }

func spExpiry(id, client, eventTime, expiry string) string {
	return `{"notificationVersion":"1.0","notificationType":"APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY","payloadVersion":"2023-12-13",
"eventTime":"` + eventTime + `","payload":{"applicationOAuthClientSecretExpiry":{"clientId":"` + client + `",
"clientSecretExpiryTime":"` + expiry + `","clientSecretExpiryReason":"PERIODIC_ROTATION"}},
"notificationMetadata":{"applicationId":"amzn1.sellerapps.app.e2e","subscriptionId":"sub-e2e","publishTime":"` + eventTime + `","notificationId":"` + id + `"}}`
}

func spNew(id, eventTime, newExpiry, oldExpiry string) string {
	return `{"notificationVersion":"1.0","notificationType":"APPLICATION_OAUTH_CLIENT_NEW_SECRET","payloadVersion":"2023-12-13",
"eventTime":"` + eventTime + `","payload":{"applicationOAuthClientNewSecret":{"clientId":"` + spClient + `","newClientSecret":"` + spNewSecret + `",
"newClientSecretExpiryTime":"` + newExpiry + `","oldClientSecretExpiryTime":"` + oldExpiry + `"}},
"notificationMetadata":{"applicationId":"amzn1.sellerapps.app.e2e","subscriptionId":"sub-e2e","publishTime":"` + eventTime + `","notificationId":"` + id + `"}}`
}

// upcoming is `notifier plan --format json`'s row.
type upcoming struct {
	At, Stage, Deadline string
	DaysRemaining       int `json:"days_remaining"`
}

func (s *spEnv) plan(at string) []upcoming {
	s.t.Helper()
	out, _ := s.do(0, "plan", "--at", at, "--format", "json")
	var rows []upcoming
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		s.t.Fatalf("plan json: %v\n%s", err, out)
	}
	return rows
}

func (s *spEnv) queueIsEmpty() {
	s.t.Helper()
	if visible, inFlight := s.sqs.Count(s.t, s.queue); visible != 0 || inFlight != 0 {
		s.t.Errorf("queue: %d visible, %d in flight; want every handled message deleted", visible, inFlight)
	}
}

// TestEndToEndSPAPIExpiryMovesTheDeadline: an expiry notification moves
// the deadline, the plan and the reminders follow it; a duplicate, an
// unknown client id and a malformed message are handled as the issue says.
func TestEndToEndSPAPIExpiryMovesTheDeadline(t *testing.T) {
	s := newSPEnv(t, "")
	if out, _ := s.do(0, "check", "--at", "2026-10-01T00:00:00Z"); !strings.Contains(out, "amazon:      SP-API notifications from "+s.queue+" (us-east-1, endpoint "+s.sqs.URL+") for 1 credential(s)") {
		t.Errorf("check does not describe the amazon: block:\n%s", out)
	}
	// Rotated 2026-06-01: the config's deadline is 2026-11-28.
	if rows := s.plan("2026-10-01T00:00:00Z"); len(rows) == 0 || rows[0].Deadline != "2026-11-28T00:00:00Z" || rows[0].At != "2026-10-29T00:00:00Z" {
		t.Fatalf("plan before the notification = %+v, want the 30d notice on 2026-10-29 for 2026-11-28", rows)
	}

	// Amazon says the secret expires on 2026-10-20: 19 days after the tick.
	s.send(spExpiry("exp-0001", spClient, "2026-10-01T06:00:00.000Z", "2026-10-20T00:00:00.000Z"))
	out, _ := s.do(0, "tick", "--at", "2026-10-01T12:00:00Z")
	if !strings.Contains(out, "SP-API notifications: 1 received, 1 applied") {
		t.Errorf("tick output:\n%s", out)
	}
	want(t, s.hook.take(), "30d", 19)
	s.queueIsEmpty()
	if rows := s.plan("2026-10-01T12:00:00Z"); len(rows) == 0 || rows[0].Stage != "7d" || rows[0].At != "2026-10-13T00:00:00Z" || rows[0].Deadline != "2026-10-20T00:00:00Z" {
		t.Errorf("plan after the notification = %+v, want the 7d notice on 2026-10-13 for 2026-10-20", rows)
	}
	if st := s.status("2026-10-01T12:00:00Z")["sp-api-prod"]; st.Deadline != "2026-10-20T00:00:00Z" || st.DaysRemaining != 19 {
		t.Errorf("status = %+v, want the deadline Amazon states", st)
	}

	// The same notification again (SQS delivers at least once), a client
	// id nobody has, and a message that is not JSON.
	s.send(spExpiry("exp-0001", spClient, "2026-10-01T06:00:00.000Z", "2026-12-31T00:00:00.000Z"))
	s.send(spExpiry("exp-0002", "amzn1.application-oa2-client.stranger", "2026-10-01T06:00:00.000Z", "2026-10-05T00:00:00.000Z"))
	s.send(`{"notificationType": "APPLICATION_OAUTH_CLIENT_NEW_SECRET", "payload": {"newClientSecret": "` + spNewSecret + `"`)
	out, errs := s.do(0, "receive", "--at", "2026-10-02T00:00:00Z")
	if !strings.Contains(out, "3 received, 0 applied, 1 duplicate, 1 unknown client, 0 stale, 1 left in the queue") {
		t.Errorf("receive output:\n%s", out)
	}
	if !strings.Contains(errs, "malformed SP-API notification left in the queue for its dead-letter policy (body not shown)") {
		t.Errorf("receive log has no line for the malformed message:\n%s", errs)
	}
	if visible, inFlight := s.sqs.Count(t, s.queue); visible != 0 || inFlight != 1 {
		t.Errorf("queue: %d visible, %d in flight; want only the malformed message kept", visible, inFlight)
	}
	if st := s.status("2026-10-02T00:00:00Z")["sp-api-prod"]; st.Deadline != "2026-10-20T00:00:00Z" {
		t.Errorf("the duplicate moved the deadline: %+v", st)
	}
	var deadline, unknown int
	for _, h := range s.history() {
		switch {
		case h.Type == "notification" && h.Status == "deadline":
			deadline++
			if !strings.Contains(h.Detail, "exp-0001") || !strings.Contains(h.Detail, "2026-11-28T00:00:00Z -> 2026-10-20T00:00:00Z") {
				t.Errorf("deadline event = %+v, want the notification id and both deadlines", h)
			}
		case h.Type == "notification" && h.Status == "unknown":
			unknown++
			if !strings.Contains(h.Detail, "amzn1.application-oa2-client.stranger") {
				t.Errorf("unknown-client event = %+v", h)
			}
		}
	}
	if deadline != 1 || unknown != 1 {
		t.Errorf("history: %d deadline and %d unknown-client events, want 1 and 1", deadline, unknown)
	}
	s.noSecretAnywhere()
}

// TestEndToEndMalformedBounded: malformed messages on a queue without a
// dead-letter queue, visible again at once (visibility timeout 0), are
// received at most amazon.max_receives times (5, the default): each is
// then recorded in the history, logged once at ERROR, and deleted; below
// the bound one WARN per message. Later receives find nothing.
func TestEndToEndMalformedBounded(t *testing.T) {
	const messages = 20
	s := newSPEnv(t, "")
	s.queue = s.sqs.CreateQueue(t, "no-dead-letter-queue", map[string]string{"VisibilityTimeout": "0"})
	s.writeConfig(fmt.Sprintf(amazonE2EConfig, s.hook.srv.URL+"/ops", s.pager.srv.URL+"/pager", s.queue, s.sqs.URL))
	for i := range messages {
		s.send(fmt.Sprintf(`{"notificationType": "APPLICATION_OAUTH_CLIENT_NEW_SECRET", "payload": {"newClientSecret": "%s%d`, spNewSecret, i))
	}
	var outs, errs strings.Builder
	for range 3 {
		out, e := s.do(0, "receive", "--at", "2026-10-02T00:00:00Z")
		outs.WriteString(out)
		errs.WriteString(e)
	}
	errorLines, warnLines := strings.Count(errs.String(), "level=ERROR"), strings.Count(errs.String(), "level=WARN")
	t.Logf("%d malformed messages, 3 receives: %d ERROR lines, %d WARN lines", messages, errorLines, warnLines)
	if errorLines != messages || warnLines != messages {
		t.Errorf("%d ERROR and %d WARN lines, want %d of each: one per message", errorLines, warnLines, messages)
	}
	if want := fmt.Sprintf("%d received, 0 applied, 0 duplicate, 0 unknown client, 0 stale, %d left in the queue, %d malformed deleted", 5*messages, 4*messages, messages); !strings.Contains(outs.String(), want) {
		t.Errorf("receive output does not say %q:\n%s", want, outs.String())
	}
	s.queueIsEmpty()
	malformed := 0
	for _, h := range s.history() {
		if h.Type == "notification" && h.Status == "malformed" {
			malformed++
			if !strings.Contains(h.Detail, "not a usable SP-API notification") || !strings.Contains(h.Detail, "received 5 times") {
				t.Errorf("malformed event = %+v", h)
			}
		}
	}
	if malformed != messages {
		t.Errorf("history: %d malformed events, want %d", malformed, messages)
	}
	s.noSecretAnywhere()
}

// TestEndToEndSPAPINewSecret: a new-secret notification records the
// rotation, supersedes the old cycle's pending reminder, and the follow-up
// goes out on the most urgent channel before the old secret stops working.
func TestEndToEndSPAPINewSecret(t *testing.T) {
	s := newSPEnv(t, "")
	// The operator's tooling takes the new secret from a private folder.
	secrets := filepath.Join(t.TempDir(), "secrets")
	if err := os.Mkdir(secrets, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(s.config)
	if err != nil {
		t.Fatal(err)
	}
	s.writeConfig(strings.Replace(string(cfg), "  region: us-east-1\n", "  region: us-east-1\n  new_secret_dir: "+secrets+"\n", 1))
	s.hook.answer(503) // the 30d notice is still being retried when Amazon rotates
	out, _ := s.do(0, "tick", "--at", "2026-11-01T00:00:00Z")
	if !strings.Contains(out, "1 retrying") {
		t.Fatalf("tick: want the 30d notice retrying:\n%s", out)
	}

	s.send(spNew("new-0001", "2026-11-02T10:00:00.000Z", "2027-05-01T10:00:00.000Z", "2026-11-09T10:00:00.000Z"))
	out, _ = s.do(0, "tick", "--at", "2026-11-02T12:00:00Z")
	if !strings.Contains(out, "1 received, 1 applied") || !strings.Contains(out, "0 sent, 0 skipped, 0 retrying, 0 failed") {
		t.Errorf("tick after the new secret:\n%s", out)
	}
	if got := s.hook.take(); len(got) != 0 {
		t.Errorf("ops got %+v after the rotation; the old cycle's retry must be superseded", got)
	}
	s.queueIsEmpty()
	kept := filepath.Join(secrets, spClient)
	if b, err := os.ReadFile(kept); err != nil || string(b) != spNewSecret {
		t.Errorf("the new secret is not in %s: %v", kept, err)
	}
	if fi, err := os.Stat(kept); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v, %v; want 0600", kept, fi.Mode(), err)
	}
	st := s.status("2026-11-02T12:00:00Z")["sp-api-prod"]
	if st.RotatedAt != "2026-11-02T10:00:00Z" || st.Deadline != "2027-05-01T10:00:00Z" {
		t.Errorf("status = %+v, want rotated at the notification's eventTime, due at newClientSecretExpiryTime", st)
	}
	var rotation, superseded bool
	for _, h := range s.history() {
		rotation = rotation || h.Type == "rotation" && h.Status == "sp-api" && h.Time == "2026-11-02T10:00:00Z" && strings.Contains(h.Detail, "new-0001")
		superseded = superseded || h.Type == "reminder" && h.Status == "superseded" && h.Stage == "30d"
	}
	if !rotation || !superseded {
		t.Errorf("history: sp-api rotation %v, 30d superseded %v; want both", rotation, superseded)
	}

	// The day before the old secret dies: the follow-up, on pager only.
	s.do(0, "tick", "--at", "2026-11-08T09:59:59Z")
	if got := s.pager.take(); len(got) != 0 {
		t.Errorf("pager got %+v before the follow-up's time", got)
	}
	s.do(0, "tick", "--at", "2026-11-08T10:00:00Z")
	got := s.pager.take()
	if len(got) != 1 {
		t.Fatalf("pager got %+v, want the follow-up", got)
	}
	f := got[0]
	if f.Stage != "sp-api:old-secret" || !strings.Contains(f.Subject, "the old secret stops working at 2026-11-09 10:00 UTC") ||
		!strings.Contains(f.Text, "the old secret stops working at 2026-11-09 10:00 UTC: make sure every deployment uses the new one") {
		t.Errorf("follow-up = %+v", f)
	}
	if f.Deadline != "2027-05-01T10:00:00Z" {
		t.Errorf("follow-up's deadline = %s, want the new secret's", f.Deadline)
	}
	if got := s.hook.take(); len(got) != 0 {
		t.Errorf("ops got %+v; the follow-up goes to the most urgent channel only", got)
	}
	// The same notification again changes nothing.
	s.send(spNew("new-0001", "2026-11-02T10:00:00.000Z", "2027-05-01T10:00:00.000Z", "2026-11-09T10:00:00.000Z"))
	out, _ = s.do(0, "receive", "--at", "2026-11-08T11:00:00Z")
	if !strings.Contains(out, "1 received, 0 applied, 1 duplicate") {
		t.Errorf("receive of the duplicate:\n%s", out)
	}
	s.noSecretAnywhere()
}

// noSecretAnywhere searches every output and the database files.
func (s *spEnv) noSecretAnywhere() {
	s.t.Helper()
	forms := append(leak.Forms(spNewSecret), "E2ESEKRIT")
	// history and status in every format are outputs too.
	for _, args := range [][]string{{"history", "--format", "table"}, {"history", "--format", "json"}, {"history", "--format", "csv"},
		{"status", "--format", "json"}} {
		s.do(0, args...)
	}
	if found := leak.Find(s.all.String(), forms); len(found) > 0 {
		s.t.Errorf("the outputs show %q:\n%s", found, s.all.String())
	}
	var db []byte
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(filepath.Join(s.dir, "notifier.db"+suffix))
		if err != nil && suffix == "" {
			s.t.Fatal(err)
		}
		db = append(db, b...)
	}
	if !bytes.Contains(db, []byte("sp-api-prod")) {
		s.t.Fatal("the database files hold no credential: the search proves nothing")
	}
	if found := leak.Find(string(db), forms); len(found) > 0 {
		s.t.Errorf("the database files hold %q", found)
	}
}

// TestEndToEndSPAPIHostileQueue: a queue that is down or hangs does not
// keep tick from sending, makes receive fail with one line, and does not
// keep the daemon from stopping on SIGTERM; the daemon records what
// arrives during its long poll and stops at once on SIGTERM in one.
func TestEndToEndSPAPIHostileQueue(t *testing.T) {
	t.Run("down", func(t *testing.T) {
		s := newSPEnv(t, "http://127.0.0.1:1")
		out, errs := s.do(0, "tick", "--at", "2026-11-01T00:00:00Z")
		want(t, s.hook.take(), "30d", 27)
		if !strings.Contains(errs, "SP-API notifications not received; planning without them") || !strings.Contains(out, "1 sent") {
			t.Errorf("tick with the queue down:\nstdout: %s\nstderr: %s", out, errs)
		}
		_, errs = s.do(1, "receive")
		if !strings.Contains(errs, "notifier: amazon: receive from "+s.queue) {
			t.Errorf("receive with the queue down:\n%s", errs)
		}
	})
	t.Run("hangs", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				t.Cleanup(func() { c.Close() })
			}
		}()
		s := newSPEnv(t, "http://"+ln.Addr().String())
		_, errs := s.do(1, "receive")
		if !strings.Contains(errs, "notifier: amazon: receive from") {
			t.Errorf("receive from a hung queue:\n%s", errs)
		}
		// SIGTERM while the daemon's poll hangs: it stops within the bound.
		d := startDaemonEnv(t, s.dir, s.config, s.child)
		d.await(t, "receiving SP-API notifications", time.Minute)
		d.cmd.Process.Signal(syscall.SIGTERM)
		d.await(t, "stopped", StopGrace)
	})
	t.Run("SIGTERM in a long poll", func(t *testing.T) {
		s := newSPEnv(t, "")
		d := startDaemonEnv(t, s.dir, s.config, s.child)
		d.await(t, "receiving SP-API notifications", time.Minute)
		s.send(spExpiry("exp-run", spClient, time.Now().UTC().Format(time.RFC3339), time.Now().UTC().AddDate(0, 0, 40).Format(time.RFC3339)))
		d.await(t, "SP-API notification recorded", time.Minute)
		d.cmd.Process.Signal(syscall.SIGTERM)
		d.await(t, "stopped", StopGrace)
		if err := <-d.done; err != nil {
			t.Errorf("daemon exit: %v\n%s", err, d.logs())
		}
		s.queueIsEmpty()
	})
}
