package channels_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/channels/email"
	"github.com/notifier-dev/notifier/internal/channels/slack"
	"github.com/notifier-dev/notifier/internal/channels/sns"
	"github.com/notifier-dev/notifier/internal/channels/stdout"
	"github.com/notifier-dev/notifier/internal/channels/webhook"
)

// TestChannelPrintsOnlyNameAndType: a built channel formatted by fmt (which
// does not call a Secret's String on an unexported field) or logged by
// slog shows its name and type, never its URL, token or password.
func TestChannelPrintsOnlyNameAndType(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_PROFILE", "")

	configs := []struct {
		name, typ string
		cfg       channels.Config
	}{
		{"ops-hook", "webhook", &webhook.Config{URL: channels.Secret(urlValue), Headers: map[string]channels.Secret{"Authorization": headerValue}}},
		{"ops-slack", "slack", &slack.Config{Token: tokenValue, Channel: "#ops"}},
		{"ops-incoming", "slack", &slack.Config{WebhookURL: channels.Secret(urlValue)}},
		{"ops-mail", "email", &email.Config{SMTP: "smtp.example.com:587", Username: "notifier", Password: passwordVal,
			From: "notifier@example.com", To: []string{"ops@example.com"}}},
		{"ops-sms", "sns", &sns.Config{PhoneNumber: "+4915112345678", Region: "eu-west-1"}},
		{"ops-out", "stdout", &stdout.Config{}},
	}
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			ch, err := c.cfg.Build(c.name, channels.Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := c.typ + ` channel "` + c.name + `"`
			for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
				if got := fmt.Sprintf(verb, ch); got != want {
					t.Errorf("Sprintf(%q) = %q, want %q", verb, got, want)
				}
			}
			if got := fmt.Sprintf("%+v", struct{ C channels.Channel }{ch}); !strings.Contains(got, want) {
				t.Errorf("in a struct: %q", got)
			}
			for _, asJSON := range []bool{false, true} {
				out := logLine(asJSON, "channel", ch)
				if !strings.Contains(out, c.name) || !strings.Contains(out, c.typ) {
					t.Errorf("log line lacks the name or type: %s", out)
				}
				if strings.Contains(out, marker) || strings.Contains(out, "15112345678") {
					t.Errorf("log line leaks: %s", out)
				}
			}
		})
	}
}
