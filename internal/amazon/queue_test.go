package amazon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/store"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
	"github.com/notifier-dev/notifier/internal/testutil/fauxqs"
)

// now is the tests' moment; the config's credential was rotated on
// 2026-03-01, so its config deadline is 2026-08-28.
var now = date("2026-06-01T12:00:00Z")

// rig is a real engine on a real SQLite file, and a consumer of a real
// fauxqs queue through the real SDK.
type rig struct {
	t      testing.TB
	sqs    *fauxqs.Server
	queue  string
	store  *sqlite.Store
	engine *engine.Engine
	log    *bytes.Buffer
	logMu  *sync.Mutex
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

var queues int // each test its own queue

func newRig(t testing.TB, sqs *fauxqs.Server) *rig {
	t.Helper()
	for _, kv := range fauxqs.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	dir := t.TempDir()
	queues++
	queue := sqs.CreateQueue(t, fmt.Sprintf("sp-api-notifications-%d", queues), map[string]string{"VisibilityTimeout": "300"})
	path := filepath.Join(dir, "config.yaml")
	body := `database: notifier.db
channels:
  console: {type: stdout}
  pager: {type: stdout}
policies:
  standard:
    - {before: 30d, channels: [console]}
    - {before: 24h, channels: [pager, console]}
amazon:
  sqs_queue_url: ` + queue + `
  region: us-east-1
  endpoint: ` + sqs.URL + `
  sender_ids: ["` + fauxqs.SenderID + `"]
credentials:
  - id: sp-api-prod
    rotated_at: 2026-03-01
    lwa: {client_id: ` + testClient + `}
`
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadMain(path, config.At(now), nil, registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(t.Context(), cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	eng, err := engine.New(store, cfg, engine.WithStdout(&bytes.Buffer{}))
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Sync(t.Context(), now); err != nil {
		t.Fatal(err)
	}
	return &rig{t: t, sqs: sqs, queue: queue, store: store, engine: eng, log: &bytes.Buffer{}, logMu: &sync.Mutex{}}
}

func (r *rig) consumer(rec store.NoticeRecorder) *Consumer {
	r.t.Helper()
	if rec == nil {
		rec = r.engine
	}
	cfg := r.engine.Config().Amazon
	logger := slog.New(slog.NewTextHandler(lockedWriter{r.logMu, r.log}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := NewConsumer(cfg, rec, logger, r.engine.Redactor(), func() time.Time { return now })
	if err != nil {
		r.t.Fatal(err)
	}
	c.WallClock = func() time.Time { return now }
	return c
}

func (r *rig) logText() string {
	r.logMu.Lock()
	defer r.logMu.Unlock()
	return r.log.String()
}

func (r *rig) cycle() domain.Cycle {
	r.t.Helper()
	c, err := r.store.Cycle(r.t.Context(), "sp-api-prod")
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

func TestDrain(t *testing.T) {
	sqs := fauxqs.Start(t)
	configDeadline := date("2026-08-28T00:00:00Z")
	tests := []struct {
		name         string
		bodies       []string
		want         Counts
		leftInFlight int // received, not deleted
		deadline     time.Time
		source       string // of the current cycle
		history      string // an event detail that must be in the history
	}{
		{"an expiry moves the deadline", []string{expiryBody("n-exp", testClient, "2026-06-20T00:00:00Z")},
			Counts{Received: 1, Applied: 1}, 0, date("2026-06-20T00:00:00Z"), "config", "deadline 2026-08-28T00:00:00Z -> 2026-06-20T00:00:00Z"},
		{"a duplicate changes nothing", []string{expiryBody("n-dup", testClient, "2026-06-20T00:00:00Z"), expiryBody("n-dup", testClient, "2026-06-05T00:00:00Z")},
			Counts{Received: 2, Applied: 1, Duplicate: 1}, 0, date("2026-06-20T00:00:00Z"), "config", "n-dup"},
		{"an unknown client id is recorded and deleted", []string{expiryBody("n-unk", "amzn1.application-oa2-client.someoneelse", "2026-06-20T00:00:00Z")},
			Counts{Received: 1, Unknown: 1}, 0, configDeadline, "config", "for client id amzn1.application-oa2-client.someoneelse: no credential has this lwa.client_id"},
		{"malformed JSON is left for the dead-letter policy", []string{`{"notificationType": "APPLICATION_OAUTH_CLIENT_NEW_SECRET", "payload": {"newClientSecret": "` + newSecretValue},
			Counts{Received: 1, Left: 1}, 1, configDeadline, "config", ""},
		{"a new secret records the rotation", []string{newSecretBody("n-new", testClient, "2026-06-01T08:00:00Z", "2026-11-28T08:00:00Z", "2026-06-08T08:00:00Z")},
			Counts{Received: 1, Applied: 1}, 0, date("2026-11-28T08:00:00Z"), domain.SourceSPAPI, "rotated at 2026-06-01T08:00:00Z (source sp-api)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, sqs)
			for _, b := range tt.bodies {
				sqs.Send(t, r.queue, b)
			}
			got, err := r.consumer(nil).Drain(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("counts = %+v, want %+v", got, tt.want)
			}
			if visible, inFlight := sqs.Count(t, r.queue); visible != 0 || inFlight != tt.leftInFlight {
				t.Errorf("queue: %d visible, %d in flight; want 0 and %d", visible, inFlight, tt.leftInFlight)
			}
			c := r.cycle()
			if !c.Deadline(time.UTC).Equal(tt.deadline) || c.Source != tt.source {
				t.Errorf("cycle: deadline %s source %s, want %s and %s", c.Deadline(time.UTC), c.Source, tt.deadline, tt.source)
			}
			evs, err := r.store.History(t.Context(), domain.HistoryFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var all strings.Builder
			for _, e := range evs {
				all.WriteString(e.Detail + "\n")
			}
			if tt.history != "" && !strings.Contains(all.String(), tt.history) {
				t.Errorf("history does not say %q:\n%s", tt.history, all.String())
			}
			log := r.logText()
			if strings.Contains(log+all.String(), "NEWSEKRIT") || strings.Contains(log, "payload") {
				t.Errorf("the log or history shows a message's body or secret:\n%s", log)
			}
			if tt.want.Left > 0 && !strings.Contains(log, "malformed SP-API notification left in the queue") {
				t.Errorf("no log line for the malformed message:\n%s", log)
			}
			// A second drain finds nothing: what was handled is gone, what
			// was left is invisible until its visibility timeout.
			if again, err := r.consumer(nil).Drain(t.Context()); err != nil || again != (Counts{}) {
				t.Errorf("second drain = %+v, %v; want nothing", again, err)
			}
		})
	}
}

// TestNotRecordedIsNotDeleted: a notification whose recording fails (the
// database is gone) stays in the queue.
func TestNotRecordedIsNotDeleted(t *testing.T) {
	sqs := fauxqs.Start(t)
	r := newRig(t, sqs)
	sqs.Send(t, r.queue, expiryBody("n-1", testClient, "2026-06-20T00:00:00Z"))
	c := r.consumer(nil)
	r.store.Close()
	got, err := c.Drain(t.Context())
	if err != nil || got != (Counts{Received: 1, Left: 1}) {
		t.Errorf("drain = %+v, %v; want 1 received, left", got, err)
	}
	if visible, inFlight := sqs.Count(t, r.queue); visible+inFlight != 1 {
		t.Errorf("queue: %d visible, %d in flight; want the message kept", visible, inFlight)
	}
	if !strings.Contains(r.logText(), "not recorded; left in the queue") {
		t.Errorf("log:\n%s", r.logText())
	}
}

// TestQueueDown: a queue that does not answer is an error of the drain,
// which says which queue, and shows no credential.
func TestQueueDown(t *testing.T) {
	sqs := fauxqs.Start(t)
	r := newRig(t, sqs)
	cfg := *r.engine.Config().Amazon
	cfg.Endpoint = "http://127.0.0.1:1" // nothing listens there
	c, err := NewConsumer(&cfg, r.engine, nil, r.engine.Redactor(), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Drain(t.Context())
	if err == nil || !strings.Contains(err.Error(), "amazon: receive from "+cfg.SQSQueueURL) {
		t.Fatalf("err = %v, want a receive error naming the queue", err)
	}
	if strings.Contains(err.Error(), fauxqs.SecretKey) {
		t.Errorf("the error shows the secret key: %v", err)
	}
}

// recordSignal passes notifications to the engine and says when one is
// recorded.
type recordSignal struct {
	*engine.Engine
	done chan domain.NoticeResult
}

func (r recordSignal) RecordNotice(ctx context.Context, n domain.Notice, at time.Time) (domain.NoticeResult, error) {
	res, err := r.Engine.RecordNotice(ctx, n, at)
	if err == nil {
		r.done <- res
	}
	return res, err
}

// TestRunLongPolls: the daemon's loop records what arrives while it polls
// and returns when its context ends, in the middle of a long poll.
func TestRunLongPolls(t *testing.T) {
	sqs := fauxqs.Start(t)
	r := newRig(t, sqs)
	sig := recordSignal{r.engine, make(chan domain.NoticeResult, 1)}
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() {
		r.consumer(sig).Run(ctx)
		close(stopped)
	}()
	sqs.Send(t, r.queue, expiryBody("n-run", testClient, "2026-06-15T00:00:00Z"))
	res := <-sig.done
	if res.Status != domain.NoticeApplied || !res.NewDeadline.Equal(date("2026-06-15T00:00:00Z")) {
		t.Errorf("recorded %+v", res)
	}
	cancel() // the loop is in a 20-second long poll now, or about to be
	<-stopped
	if strings.Contains(r.logText(), "receive failed") {
		t.Errorf("a cancelled poll was logged as a failure:\n%s", r.logText())
	}
}

// TestNewSecretKept: with new_secret_dir, the secret is written before
// anything is recorded; when it cannot be written, nothing is recorded and
// the message stays in the queue, so the secret is not lost.
func TestNewSecretKept(t *testing.T) {
	sqs := fauxqs.Start(t)
	body := newSecretBody("n-keep", testClient, "2026-06-01T08:00:00Z", "2026-11-28T08:00:00Z", "2026-06-08T08:00:00Z")
	t.Run("written", func(t *testing.T) {
		r := newRig(t, sqs)
		dir := t.TempDir()
		r.engine.Config().Amazon.NewSecretDir = dir
		sqs.Send(t, r.queue, body)
		got, err := r.consumer(nil).Drain(t.Context())
		if err != nil || got != (Counts{Received: 1, Applied: 1}) {
			t.Fatalf("drain = %+v, %v", got, err)
		}
		if b, err := os.ReadFile(filepath.Join(dir, testClient)); err != nil || string(b) != newSecretValue {
			t.Errorf("secret file = %q, %v", b, err)
		}
		if r.cycle().Source != domain.SourceSPAPI {
			t.Errorf("rotation not recorded")
		}
		if strings.Contains(r.logText(), "NEWSEKRIT") || !strings.Contains(r.logText(), "new client secret written") {
			t.Errorf("log:\n%s", r.logText())
		}
	})
	t.Run("not writable", func(t *testing.T) {
		r := newRig(t, sqs)
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, testClient), 0o700); err != nil { // in the file's place
			t.Fatal(err)
		}
		r.engine.Config().Amazon.NewSecretDir = dir
		sqs.Send(t, r.queue, body)
		got, err := r.consumer(nil).Drain(t.Context())
		if err != nil || got != (Counts{Received: 1, Left: 1}) {
			t.Fatalf("drain = %+v, %v; want the message left", got, err)
		}
		if r.cycle().Source != "config" {
			t.Errorf("a rotation was recorded though the secret could not be kept")
		}
		if visible, inFlight := sqs.Count(t, r.queue); visible+inFlight != 1 {
			t.Errorf("queue: %d visible, %d in flight; want the message kept", visible, inFlight)
		}
		if !strings.Contains(r.logText(), "new client secret not written; the notification is left in the queue") {
			t.Errorf("log:\n%s", r.logText())
		}
	})
}

// TestQueueEchoingSecrets: a queue endpoint that answers every request
// with an error quoting the request's headers (the session token among
// them): the error notifier shows holds none of the AWS secrets.
func TestQueueEchoingSecrets(t *testing.T) {
	const token = "FwoGZXIvYXdzSQSSEKRITsessionTOKEN+abc/def42=="
	sqs := fauxqs.Start(t)
	r := newRig(t, sqs)
	t.Setenv("AWS_SESSION_TOKEN", token)
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var b strings.Builder
		for k, v := range req.Header {
			fmt.Fprintf(&b, "%s=%s; ", k, strings.Join(v, ","))
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusBadRequest)
		msg, _ := json.Marshal(b.String())
		fmt.Fprintf(w, `{"__type":"com.amazonaws.sqs#InvalidSecurity","message":%s}`, msg)
	}))
	defer echo.Close()
	cfg := *r.engine.Config().Amazon
	cfg.Endpoint = echo.URL
	c, err := NewConsumer(&cfg, r.engine, nil, r.engine.Redactor(), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Drain(t.Context())
	if err == nil || !strings.Contains(err.Error(), "X-Amz-Security-Token=<redacted>") {
		t.Fatalf("err = %v; want the echo, or the test proves nothing", err)
	}
	for _, secret := range []string{token, fauxqs.SecretKey, "SQSSEKRIT"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows %q: %v", secret, err)
		}
	}
}

// TestMalformedBounded: malformed messages on a queue without a
// dead-letter queue, redelivered at once (visibility timeout 0), are not
// received and logged forever: at the bound each is recorded once in the
// history, logged once at ERROR, and deleted; below it, one WARN per
// message, however often it comes back. A few drains in a row, as ticks
// do, leave the queue empty.
func TestMalformedBounded(t *testing.T) {
	const messages, drains = 100, 3
	sqs := fauxqs.Start(t)
	r := newRig(t, sqs)
	r.engine.Config().Amazon.SQSQueueURL = sqs.CreateQueue(t, "no-dead-letter-queue", map[string]string{"VisibilityTimeout": "0"})
	r.engine.Config().Amazon.MaxReceives = 2
	for i := range messages {
		sqs.Send(t, r.engine.Config().Amazon.SQSQueueURL, fmt.Sprintf(`{"notificationType": "APPLICATION_OAUTH_CLIENT_NEW_SECRET", "payload": {"newClientSecret": "%s-%d`, newSecretValue, i))
	}
	c := r.consumer(nil)
	var total Counts
	for range drains {
		got, err := c.Drain(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		total.add(got)
	}
	log := r.logText()
	errorLines, warnLines := strings.Count(log, "level=ERROR"), strings.Count(log, "level=WARN")
	t.Logf("%d malformed messages, %d drains: %d receives, %d ERROR lines, %d WARN lines", messages, drains, total.Received, errorLines, warnLines)
	if errorLines != messages {
		t.Errorf("ERROR lines = %d, want %d: one per malformed message", errorLines, messages)
	}
	if warnLines != messages {
		t.Errorf("WARN lines = %d, want %d: one per malformed message below the bound", warnLines, messages)
	}
	if want := (Counts{Received: 2 * messages, Left: messages, Malformed: messages}); total != want {
		t.Errorf("counts = %+v, want %+v", total, want)
	}
	if visible, inFlight := sqs.Count(t, r.engine.Config().Amazon.SQSQueueURL); visible+inFlight != 0 {
		t.Errorf("queue: %d visible, %d in flight; want it empty", visible, inFlight)
	}
	evs, err := r.store.History(t.Context(), domain.HistoryFilter{Type: domain.EventNotification})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, e := range evs {
		if e.Status != domain.NoticeMalformed || !strings.Contains(e.Detail, "invalid JSON at byte") || !strings.Contains(e.Detail, "received 2 times") {
			t.Errorf("event %s %s: %q; want a malformed message's record", e.Type, e.Status, e.Detail)
		}
		ids[e.Detail] = true
	}
	if len(evs) != messages || len(ids) != messages {
		t.Errorf("history: %d events, %d distinct; want one per message (%d)", len(evs), len(ids), messages)
	}
	if strings.Contains(log, newSecretValue) || strings.Contains(log, "payload") {
		t.Errorf("the log shows a message's body")
	}
}
