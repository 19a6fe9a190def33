package config

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/channels/webhook"
	"github.com/notifier-dev/notifier/internal/schedule"
)

const webhookConfig = `channels:
  hook:
    type: webhook
    url: ${HOOK_URL}          # @url
    headers: {Authorization: "Bearer ${HOOK_TOKEN}", X-Team: ops}
    timeout: 5s
policies:
  standard: [{before: 1d, channels: [hook]}]
credentials:
  - {id: one, rotated_at: 2026-06-01}
`

func TestEnvSubstitution(t *testing.T) {
	cfg := mustLoad(t, webhookConfig, map[string]string{
		"HOOK_URL": "https://hooks.example.com/T0/B1/xyz", "HOOK_TOKEN": "tok-123"})
	ch := cfg.Channels["hook"]
	if ch == nil || ch.Type != "webhook" {
		t.Fatalf("hook = %+v", ch)
	}
	wc, ok := ch.Config.(*webhook.Config)
	if !ok {
		t.Fatalf("hook config is %T, want *webhook.Config", ch.Config)
	}
	if string(wc.URL) != "https://hooks.example.com/T0/B1/xyz" {
		t.Errorf("url = %q, want the value of HOOK_URL", string(wc.URL))
	}
	want := map[string]channels.Secret{"Authorization": "Bearer tok-123", "X-Team": "ops"}
	if len(wc.Headers) != len(want) {
		t.Errorf("headers = %d entries, want %d", len(wc.Headers), len(want))
	}
	for k, v := range want {
		if string(wc.Headers[k]) != string(v) {
			t.Errorf("header %s = %q, want %q", k, string(wc.Headers[k]), string(v))
		}
	}
	if wc.Timeout != 5*time.Second {
		t.Errorf("timeout = %v, want 5s", wc.Timeout)
	}
}

// Secrets are every value ${NAME} put into the file, alone and as part of
// its whole value, sorted and each once; literal values are not secrets.
func TestSecrets(t *testing.T) {
	cfg := mustLoad(t, webhookConfig, map[string]string{
		"HOOK_URL": "https://hooks.example.com/T0/B1/xyz", "HOOK_TOKEN": "tok-123"})
	want := []string{"Bearer tok-123", "https://hooks.example.com/T0/B1/xyz", "tok-123"}
	if got := cfg.Secrets(); !slices.Equal(got, want) {
		t.Errorf("Secrets() = %q, want %q", got, want)
	}
	cfg.Secrets()[0] = "changed"
	if got := cfg.Secrets(); got[0] != want[0] {
		t.Error("Secrets() shares its slice with the Config")
	}
}

// ${NAME} works outside channel blocks too, where a secret belongs (the
// database URL's password), and the literal text around it is kept. The
// other keys are written as they are: ${NAME} is refused there
// (TestEnvOnlyWhereSecretsBelong).
func TestEnvSubstitutionInScalars(t *testing.T) {
	cfg := mustLoad(t, `timezone: Europe/Berlin
database: postgres://notifier:${DB_PASSWORD}@db.internal:5432/notifier?sslmode=verify-full
channels:
  console: {type: stdout}
policies:
  standard: [{before: 1d, channels: [console]}]
credentials:
  - {id: one, name: "API prod key", rotated_at: "2026-06-01", rotation_period: "90d"}
`, map[string]string{"DB_PASSWORD": "pw-0123456789"})
	c := cfg.Credentials[0]
	if want := "postgres://notifier:pw-0123456789@db.internal:5432/notifier?sslmode=verify-full"; cfg.Database != want ||
		!slices.Equal(cfg.Secrets(), []string{"postgres://notifier:pw-0123456789@db.internal:5432/notifier?sslmode=verify-full", "pw-0123456789"}) {
		t.Errorf("database %q, secrets %q", cfg.Database, cfg.Secrets())
	}
	if cfg.Timezone != "Europe/Berlin" || c.Name != "API prod key" || c.RotationPeriod != (schedule.Span{Days: 90}) ||
		!c.RotatedAt.Equal(utc("2026-05-31T22:00:00Z")) {
		t.Errorf("timezone %q, credential %+v", cfg.Timezone, c)
	}
}

func TestEnvValueNeverQuoted(t *testing.T) {
	tests := []struct {
		name, value, key, msg string
	}{
		{"not a url", "not a url", "channels.hook.url", "is not an absolute http(s) URL"},
		{"ftp url", "ftp://files.example.com/secret-path", "channels.hook.url", "is not an absolute http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadYAML(t, webhookConfig, map[string]string{"HOOK_URL": tt.value, "HOOK_TOKEN": "tok-123"})
			ps := problemsOf(t, err)
			if len(ps) != 1 {
				t.Fatalf("%d problems, want 1:\n%v", len(ps), err)
			}
			p := ps[0]
			if p.Line != lineOf(t, webhookConfig, "@url") || p.Key != tt.key || !strings.Contains(p.Msg, tt.msg) {
				t.Errorf("problem = %s", p)
			}
			if strings.Contains(p.String(), tt.value) {
				t.Errorf("problem %q quotes the environment's value %q", p, tt.value)
			}
		})
	}
}

func TestUnsetEnvNamesTheVariable(t *testing.T) {
	_, err := loadYAML(t, webhookConfig, map[string]string{"HOOK_URL": "https://h.example.com"})
	ps := problemsOf(t, err)
	want := "config.yaml:5: channels.hook.headers.Authorization: ${HOOK_TOKEN} is not set in the environment"
	if len(ps) != 1 || ps[0].String() != want {
		t.Errorf("problems:\n%v\nwant\n%s", err, want)
	}
	// Both missing: both named, in one problem for the url.
	_, err = loadYAML(t, `channels:
  hook: {type: webhook, url: "https://${HOST}/${PATH_KEY}"}
policies:
  standard: [{before: 1d, channels: [hook]}]
credentials:
  - {id: one, rotated_at: 2026-06-01}
`, nil)
	ps = problemsOf(t, err)
	want = "config.yaml:2: channels.hook.url: ${HOST}, ${PATH_KEY} is not set in the environment"
	if len(ps) != 1 || ps[0].String() != want {
		t.Errorf("problems:\n%v\nwant\n%s", err, want)
	}
}

// A secret from the environment appears in no problem, wherever it is put
// by mistake: yaml's own decoding errors quote values, so they are redacted.
func TestSecretNeverInProblems(t *testing.T) {
	const secret = "s3cr3t-T0KEN-value"
	body := `channels:
  a: {type: webhook, url: "${SECRET}"}
  b: {type: webhook, url: "https://h.example.com", timeout: "${SECRET}"}
  c: {type: webhook, url: "https://h.example.com", headers: "${SECRET}"}
  e: {type: stdout, format: "${SECRET}"}
policies:
  standard: [{before: 1d, channels: [a, b, c, e]}]
credentials:
  - {id: one, rotated_at: "${SECRET}", rotation_period: "${SECRET}"}
  - {id: two, rotated_at: 2026-06-01, expires_at: "${SECRET}"}
`
	_, err := loadYAML(t, body, map[string]string{"SECRET": secret})
	ps := problemsOf(t, err)
	wantKeys := []string{"channels.a.url", "channels.b.timeout", "channels.c", "channels.e.format",
		"credentials[0].rotation_period", "credentials[0].rotated_at", "credentials[1].expires_at"}
	if len(ps) != len(wantKeys) {
		t.Errorf("%d problems, want %d:\n%v", len(ps), len(wantKeys), err)
	}
	for i, p := range ps {
		if i < len(wantKeys) && p.Key != wantKeys[i] {
			t.Errorf("problem %d key %q, want %q (%s)", i, p.Key, wantKeys[i], p)
		}
		for _, part := range []string{secret, secret[:7], "T0KEN"} {
			if strings.Contains(p.String(), part) {
				t.Errorf("problem leaks the secret (%q): %s", part, p)
			}
		}
	}
	// The ones that say what was wrong name the variable instead.
	for _, p := range ps {
		if strings.HasPrefix(p.Key, "credentials[") && !strings.Contains(p.Msg, "${SECRET}") {
			t.Errorf("problem %s does not name ${SECRET}", p)
		}
	}
}
