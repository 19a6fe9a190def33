package config

import (
	"strings"
	"testing"
	"time"
)

const httpSecretValue = "0123456789abcdef0123456789abcdef-secret"

func TestHTTPBlock(t *testing.T) {
	cfg := mustLoad(t, minimal+`http:
  listen: 127.0.0.1:9464
  public_url: https://notifier.example.com/
  ack_secret: ${ACK}
  ack_link_ttl: 30d
`, map[string]string{"ACK": httpSecretValue})
	h := cfg.HTTP
	if h == nil || h.Listen != "127.0.0.1:9464" || h.PublicURL != "https://notifier.example.com" ||
		string(h.AckSecret) != httpSecretValue || h.AckLinkTTL != 30*24*time.Hour {
		t.Fatalf("http = %+v", h)
	}
	if !strings.Contains(strings.Join(cfg.Secrets(), "\n"), httpSecretValue) {
		t.Error("ack_secret is not among the secrets the engine's redactor registers")
	}
	if h.Metrics != DefaultMetrics || DefaultMetrics.PerCredentialWithin.String() != "30d" || DefaultMetrics.PerCredentialMax != 10_000 {
		t.Errorf("http.metrics without the block = %+v, want the defaults (30d, 10000)", h.Metrics)
	}
	m := mustLoad(t, minimal+"http:\n  listen: :9464\n  metrics: {per_credential_within: 7d, per_credential_max: 0, owners_max: 50}\n", nil).HTTP.Metrics
	if m.PerCredentialWithin.String() != "7d" || m.PerCredentialMax != 0 || m.OwnersMax != 50 {
		t.Errorf("http.metrics = %+v, want 7d, 0, 50", m)
	}
	if mustLoad(t, minimal, nil).HTTP != nil {
		t.Error("no http: block, yet HTTP is set")
	}
}

// Each mistake is one problem naming the key and line (a missing key: the
// block's first line), and never quotes a secret.
func TestHTTPBlockProblems(t *testing.T) {
	slack := `  team: {type: slack, token: xoxb-1234-abcd, channel: "#ops"}  # @slack
`
	tests := []struct {
		name, http, channels string
		env                  map[string]string
		key, want, marker    string
	}{
		{"listen not host:port", "  listen: 9464  # @here\n", "", nil, "http.listen", "is not host:port", "@here"},
		{"listen missing", "  public_url: https://x.example.com\n  ack_secret: ${ACK}\n", "", map[string]string{"ACK": httpSecretValue}, "http.listen", "missing", "public_url:"},
		{"public_url not a URL", "  listen: :9464\n  public_url: notifier.example.com  # @here\n  ack_secret: ${ACK}\n", "", map[string]string{"ACK": httpSecretValue},
			"http.public_url", "is not an absolute http(s) URL", "@here"},
		{"public_url with a query", "  listen: :9464\n  public_url: https://x.example.com/?a=1  # @here\n  ack_secret: ${ACK}\n", "", map[string]string{"ACK": httpSecretValue},
			"http.public_url", "without user, query or fragment", "@here"},
		{"public_url from the environment, refused", "  listen: :9464\n  public_url: ${URL}  # @here\n  ack_secret: ${ACK}\n", "", map[string]string{"ACK": httpSecretValue, "URL": "gopher://secret-host"},
			"http.public_url", "${URL}: ${NAME} is for secrets only", "@here"},
		{"secret too short", "  listen: :9464\n  public_url: https://x.example.com\n  ack_secret: ${ACK}  # @here\n", "", map[string]string{"ACK": "short-secret-value"},
			"http.ack_secret", "${ACK} is 18 bytes; it must be at least 32", "@here"},
		{"secret written in the file", "  listen: :9464\n  public_url: https://x.example.com\n  ack_secret: " + httpSecretValue + "  # @here\n", "", nil,
			"http.ack_secret", "must come from the environment", "@here"},
		{"links without a secret", "  listen: :9464\n  public_url: https://x.example.com\n", "", nil, "http.ack_secret", "missing", "listen:"},
		{"ttl of zero", "  listen: :9464\n  ack_link_ttl: 0s  # @here\n", "", nil, "http.ack_link_ttl", "longer than 0s", "@here"},
		{"unknown key", "  listen: :9464\n  port: 80  # @here\n", "", nil, "http.port", "unknown key", "@here"},
		{"metrics window not a span", "  listen: :9464\n  metrics:\n    per_credential_within: soon  # @here\n", "", nil, "http.metrics.per_credential_within", "soon", "@here"},
		{"metrics cap negative", "  listen: :9464\n  metrics:\n    per_credential_max: -1  # @here\n", "", nil, "http.metrics.per_credential_max", "is not a whole number from 0 to 1000000", "@here"},
		{"metrics owners cap too large", "  listen: :9464\n  metrics:\n    owners_max: 5000000  # @here\n", "", nil, "http.metrics.owners_max", "is not a whole number from 0 to 1000000", "@here"},
		{"metrics unknown key", "  listen: :9464\n  metrics:\n    per_owner: 3  # @here\n", "", nil, "http.metrics.per_owner", "unknown key", "@here"},
		{"slack button without a signing secret", "  listen: :9464\n", slack, nil, "channels.team.signing_secret", "missing", "@slack"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := strings.Replace(minimal, "channels:\n", "channels:\n"+tc.channels, 1) + "http:\n" + tc.http
			_, err := loadYAML(t, body, tc.env)
			ps := problemsOf(t, err)
			if len(ps) != 1 {
				t.Fatalf("%d problems, want 1:\n%v", len(ps), ps)
			}
			p := ps[0]
			if p.Key != tc.key || !strings.Contains(p.Msg, tc.want) || p.Line != lineOf(t, body, tc.marker) {
				t.Errorf("problem %q, want key %s, line of %s, saying %q", p.String(), tc.key, tc.marker, tc.want)
			}
			for _, v := range tc.env {
				if strings.Contains(p.String(), v) {
					t.Errorf("the problem quotes a value from the environment: %s", p.String())
				}
			}
			if strings.Contains(p.String(), httpSecretValue) {
				t.Errorf("the problem quotes the secret: %s", p.String())
			}
		})
	}
}

// With a signing secret, a Slack channel is fine with http:.
func TestHTTPSlackSigningSecret(t *testing.T) {
	body := strings.Replace(minimal, "channels:\n", "channels:\n  team: {type: slack, token: xoxb-1234-abcd, channel: \"#ops\", signing_secret: \"${SIGN}\"}\n", 1) +
		"http:\n  listen: :9464\n"
	cfg := mustLoad(t, body, map[string]string{"SIGN": "slack-signing-secret-value"})
	if !strings.Contains(strings.Join(cfg.Secrets(), "\n"), "slack-signing-secret-value") {
		t.Error("the signing secret is not among the secrets")
	}
}
