package engine

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
	"github.com/notifier-dev/notifier/internal/testutil/leak"
)

// leakyChannel fails every send with an error that quotes secrets as a
// careless integration would, unredacted, marked as the service asked.
type leakyChannel struct {
	name string
	err  error
}

func (c *leakyChannel) Name() string                                 { return c.name }
func (c *leakyChannel) Type() string                                 { return "webhook" }
func (c *leakyChannel) Send(context.Context, channels.Message) error { return c.err }

const redactConfig = `timezone: UTC
database: notifier.db
retry: {max_attempts: 3, initial_backoff: 1m, max_backoff: 10m}
policies:
  standard:
    - {before: 30d, channels: [hook]}
channels:
  hook:
    type: webhook
    url: "http://127.0.0.1:9/hook?key=${HOOK_KEY}"
    headers: {Authorization: "Bearer ${HOOK_TOKEN}"}
  mail:
    type: email
    smtp: 127.0.0.1:9
    tls: none
    username: ${SMTP_USER}
    password: ${SMTP_PASSWORD}
    from: notifier@example.com
    to: [admins@example.com]
credentials:
  - {id: sp-api-prod, name: SP-API, owner: integrations, rotated_at: 2026-06-01}
`

// TestAttemptRedactsWhateverTheIntegrationDid: an integration that lets a
// service's echo of the config's ${ENV} secrets through unredacted still
// leaks nothing: the engine redacts the delivery's last error, the history
// event, the tick's report and the log line in one place, and keeps the
// error's classification (retryable, after the service's Retry-After).
// The SMTP user name is a secret only because it came from ${ENV}: no
// integration registers it, the engine does (config.Secrets).
func TestAttemptRedactsWhateverTheIntegrationDid(t *testing.T) {
	const (
		key   = "hk+SEKRIT/key=0042"
		token = "tok-SEKRIT-bearer-0042"
		user  = "apikey-SEKRIT-smtp-user"
	)
	env := map[string]string{"HOOK_KEY": key, "HOOK_TOKEN": token, "SMTP_USER": user, "SMTP_PASSWORD": "smtp-password-0042"}
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(redactConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	cfg, err := config.Load(path, config.At(now), func(k string) (string, bool) { v, ok := env[k]; return v, ok }, registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(context.Background(), cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var logs bytes.Buffer
	e, err := New(store, cfg, WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	echo := fmt.Sprintf("500 echo: GET /hook?key=%s Authorization: Bearer %s auth=%s raw=%s user=%s",
		url.QueryEscape(key), token, base64.StdEncoding.EncodeToString([]byte(token)), key, user)
	e.mu.Lock()
	e.chans["hook"] = &leakyChannel{name: "hook", err: channels.RetryAfter(fmt.Errorf("webhook hook: %s", echo), 2*time.Hour)}
	e.mu.Unlock()

	rep, err := e.Tick(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Outcomes) != 1 || rep.Outcomes[0].Status != domain.StatusRetry {
		t.Fatalf("outcomes = %+v, want one retry", rep.Outcomes)
	}
	detail := rep.Outcomes[0].Detail
	t.Logf("detail: %s", detail)
	if want := "next attempt at " + now.Add(2*time.Hour).Format(time.RFC3339); !strings.Contains(detail, want) {
		t.Errorf("detail %q lacks %q: the Retry-After was lost", detail, want)
	}
	if !strings.Contains(detail, "Authorization: "+channels.Redacted) {
		t.Errorf("detail %q does not show the redacted echo", detail)
	}
	forms := append(leak.Forms(key, token, user), "SEKRIT")
	if found := leak.Find(detail, forms); len(found) > 0 {
		t.Errorf("the report shows %q: %s", found, detail)
	}
	if found := leak.Find(logs.String(), forms); len(found) > 0 {
		t.Errorf("the log shows %q: %s", found, logs.String())
	}
	if !strings.Contains(logs.String(), "delivery failed") {
		t.Errorf("no log line of the failure: %s", logs.String())
	}
	// The database: the delivery's last error and the event's detail.
	var db []byte
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, _ := os.ReadFile(cfg.Database + suffix)
		db = append(db, b...)
	}
	if !bytes.Contains(db, []byte("Authorization: "+channels.Redacted)) {
		t.Error("the database does not hold the redacted error")
	}
	if found := leak.Find(string(db), forms); len(found) > 0 {
		t.Errorf("the database holds %q", found)
	}
}
