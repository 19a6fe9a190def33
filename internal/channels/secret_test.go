package channels_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/channels/email"
	"github.com/notifier-dev/notifier/internal/channels/slack"
	"github.com/notifier-dev/notifier/internal/channels/webhook"
)

// Every secret value below carries this marker, so one search finds a leak
// of any of them.
const marker = "SEKRIT"

const (
	tokenValue   = "xoxb-1111-SEKRIT-token"
	urlValue     = "https://hooks.example.com/services/T000/B000/SEKRIT-url?key=SEKRIT-key"
	headerValue  = "Bearer SEKRIT-header"
	passwordVal  = "hunter2-SEKRIT-password"
	redactedForm = "<secret>"
)

// unescapeJSON undoes encoding/json's HTML escaping of < and >, which turns
// "<secret>" into "\u003csecret\u003e".
var unescapeJSON = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">")

func marshalJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	return unescapeJSON.Replace(string(b))
}

// logLine logs one record with attrs through a text or JSON handler and
// returns what the handler wrote.
func logLine(asJSON bool, args ...any) string {
	var buf bytes.Buffer
	var h slog.Handler = slog.NewTextHandler(&buf, nil)
	if asJSON {
		h = slog.NewJSONHandler(&buf, nil)
	}
	slog.New(h).Info("channel configured", args...)
	return buf.String()
}

func TestSecretNeverRevealsItsValue(t *testing.T) {
	s := channels.Secret(tokenValue)
	type holder struct {
		Name  string
		Token channels.Secret
	}
	h := holder{Name: "ops", Token: s}
	hook := webhook.Config{
		URL:     channels.Secret(urlValue),
		Headers: map[string]channels.Secret{"Authorization": channels.Secret(headerValue)},
		Timeout: 5 * time.Second,
	}
	// Each slack.Config has three Secret fields (token, webhook_url, signing_secret):
	// every one prints as the marker, set or not; the signing secret is set here.
	bot := slack.Config{Token: s, Channel: "#ops", SigningSecret: s}
	incoming := slack.Config{WebhookURL: channels.Secret(urlValue)}
	mail := email.Config{SMTP: "smtp.example.com:587", Username: "notifier", Password: channels.Secret(passwordVal),
		From: "notifier@example.com", To: []string{"ops@example.com"}}

	tests := []struct {
		name string
		out  func(t *testing.T) string
		// want is how many times "<secret>" must appear: once per Secret
		// in what was formatted, so none was dropped or printed raw (an
		// empty Secret prints "<secret>" too: slack.Config has two).
		want int
	}{
		{"%v", func(*testing.T) string { return fmt.Sprintf("%v", s) }, 1},
		{"%s", func(*testing.T) string { return fmt.Sprintf("%s", s) }, 1},
		{"%+v", func(*testing.T) string { return fmt.Sprintf("%+v", s) }, 1},
		{"%#v", func(*testing.T) string { return fmt.Sprintf("%#v", s) }, 1},
		{"%q", func(*testing.T) string { return fmt.Sprintf("%q", s) }, 1},
		{"Sprint", func(*testing.T) string { return fmt.Sprint("token ", s) }, 1},
		{"Errorf %v", func(*testing.T) string { return fmt.Errorf("bad token %v", s).Error() }, 1},
		{"struct field %v", func(*testing.T) string { return fmt.Sprintf("%v", h) }, 1},
		{"struct field %+v", func(*testing.T) string { return fmt.Sprintf("%+v", h) }, 1},
		{"struct field %#v", func(*testing.T) string { return fmt.Sprintf("%#v", h) }, 1},
		{"struct pointer %+v", func(*testing.T) string { return fmt.Sprintf("%+v", &h) }, 1},
		{"json value", func(t *testing.T) string { return marshalJSON(t, s) }, 1},
		{"json struct field", func(t *testing.T) string { return marshalJSON(t, h) }, 1},
		{"json map value", func(t *testing.T) string { return marshalJSON(t, map[string]channels.Secret{"token": s}) }, 1},

		{"slog text attr", func(*testing.T) string { return logLine(false, "token", s) }, 1},
		{"slog json attr", func(*testing.T) string { return logLine(true, "token", s) }, 1},
		{"slog text slog.Any", func(*testing.T) string { return logLine(false, slog.Any("token", s)) }, 1},
		{"slog json slog.Any", func(*testing.T) string { return logLine(true, slog.Any("token", s)) }, 1},
		{"slog text group", func(*testing.T) string { return logLine(false, slog.Group("slack", "token", s)) }, 1},
		{"slog json group", func(*testing.T) string { return logLine(true, slog.Group("slack", "token", s)) }, 1},
		{"slog text struct", func(*testing.T) string { return logLine(false, "holder", h) }, 1},
		{"slog json struct", func(*testing.T) string { return logLine(true, "holder", h) }, 1},
		{"slog text With", func(*testing.T) string {
			var buf bytes.Buffer
			slog.New(slog.NewTextHandler(&buf, nil)).With("token", s).WithGroup("g").Info("x", "again", s)
			return buf.String()
		}, 2},

		{"webhook.Config %v", func(*testing.T) string { return fmt.Sprintf("%v", hook) }, 2},
		{"webhook.Config %+v", func(*testing.T) string { return fmt.Sprintf("%+v", hook) }, 2},
		{"webhook.Config %#v", func(*testing.T) string { return fmt.Sprintf("%#v", hook) }, 2},
		{"webhook.Config pointer %+v", func(*testing.T) string { return fmt.Sprintf("%+v", &hook) }, 2},
		{"webhook.Config json", func(t *testing.T) string { return marshalJSON(t, hook) }, 2},
		{"webhook.Config yaml", func(t *testing.T) string {
			b, err := yaml.Marshal(hook)
			if err != nil {
				t.Fatalf("yaml.Marshal: %v", err)
			}
			return string(b)
		}, 2},
		{"webhook.Config slog text", func(*testing.T) string { return logLine(false, "cfg", hook) }, 2},
		{"webhook.Config slog json", func(*testing.T) string { return logLine(true, "cfg", hook) }, 2},
		{"slack.Config token %v", func(*testing.T) string { return fmt.Sprintf("%v", bot) }, 3},
		{"slack.Config token %+v", func(*testing.T) string { return fmt.Sprintf("%+v", bot) }, 3},
		{"slack.Config token %#v", func(*testing.T) string { return fmt.Sprintf("%#v", bot) }, 3},
		{"slack.Config token json", func(t *testing.T) string { return marshalJSON(t, bot) }, 3},
		{"slack.Config webhook_url %+v", func(*testing.T) string { return fmt.Sprintf("%+v", incoming) }, 3},
		{"slack.Config webhook_url %#v", func(*testing.T) string { return fmt.Sprintf("%#v", incoming) }, 3},
		{"slack.Config webhook_url json", func(t *testing.T) string { return marshalJSON(t, incoming) }, 3},
		{"email.Config %v", func(*testing.T) string { return fmt.Sprintf("%v", mail) }, 1},
		{"email.Config %+v", func(*testing.T) string { return fmt.Sprintf("%+v", mail) }, 1},
		{"email.Config %#v", func(*testing.T) string { return fmt.Sprintf("%#v", mail) }, 1},
		{"email.Config json", func(t *testing.T) string { return marshalJSON(t, mail) }, 1},
		{"email.Config slog json", func(*testing.T) string { return logLine(true, slog.Group("email", "cfg", mail)) }, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := tc.out(t)
			if strings.Contains(out, marker) {
				t.Errorf("the secret leaks: %s", out)
			}
			if got := strings.Count(out, redactedForm); got != tc.want {
				t.Errorf("%q appears %d times, want %d: %s", redactedForm, got, tc.want, out)
			}
		})
	}
}
