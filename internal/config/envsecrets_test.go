package config

import (
	"strconv"
	"strings"
	"testing"
)

// envOnlyValue is what every variable of these tests holds: distinctive, so
// that any problem quoting it is found.
const envOnlyValue = "Zq9-ENVONLY-v4lue"

// ${NAME} is accepted only where a secret belongs: a value from the
// environment anywhere else would be stored in the database and printed,
// though every environment value is taken for a secret. Each key is
// refused at its line, naming the reference, never the value.
func TestEnvOnlyWhereSecretsBelong(t *testing.T) {
	cred := "credentials:\n  - {id: one, rotated_at: 2026-06-01}\n"
	chans := "channels:\n  console: {type: stdout}\n"
	pols := "policies:\n  standard: [{before: 7d, channels: [console]}]\n"
	tests := []struct {
		name, body, key string
	}{
		{"owner", chans + pols + "credentials:\n  - {id: one, owner: '${OWNER}', rotated_at: 2026-06-01}  # @here\n", "credentials[0].owner"},
		{"name, inside text", chans + pols + "credentials:\n  - {id: one, name: 'API ${OWNER} key', rotated_at: 2026-06-01}  # @here\n", "credentials[0].name"},
		{"id", chans + pols + "credentials:\n  - {id: '${OWNER}', rotated_at: 2026-06-01}  # @here\n", "credentials[0].id"},
		{"policy", chans + pols + "credentials:\n  - {id: one, policy: '${OWNER}', rotated_at: 2026-06-01}  # @here\n", "credentials[0].policy"},
		{"rotated_at", chans + pols + "credentials:\n  - {id: one, rotated_at: '${OWNER}'}  # @here\n", "credentials[0].rotated_at"},
		{"rotation_period", chans + pols + "credentials:\n  - {id: one, rotated_at: 2026-06-01, rotation_period: '${OWNER}'}  # @here\n", "credentials[0].rotation_period"},
		{"source", chans + pols + "credentials:\n  - {id: one, rotated_at: 2026-06-01, source: {ssm_parameter: '${OWNER}'}}  # @here\n", "credentials[0].source.ssm_parameter"},
		{"lwa client_id", chans + pols + "credentials:\n  - {id: one, rotated_at: 2026-06-01, lwa: {client_id: '${OWNER}'}}  # @here\n", "credentials[0].lwa.client_id"},
		{"timezone", "timezone: ${OWNER}  # @here\n" + chans + pols + cred, "timezone"},
		{"check_schedule", "check_schedule: '${OWNER}'  # @here\n" + chans + pols + cred, "check_schedule"},
		{"retry.max_attempts", "retry: {max_attempts: '${OWNER}'}  # @here\n" + chans + pols + cred, "retry.max_attempts"},
		{"defaults.policy", "defaults: {policy: '${OWNER}'}  # @here\n" + chans + pols + cred, "defaults.policy"},
		{"credential_files", "credential_files: ['${OWNER}/*.yaml']  # @here\n" + chans + pols + cred, "credential_files[0]"},
		{"stage name", chans + "policies:\n  standard: [{before: 7d, name: '${OWNER}', channels: [console]}]  # @here\n" + cred, "policies.standard[0].name"},
		{"stage before", chans + "policies:\n  standard: [{before: '${OWNER}', channels: [console]}]  # @here\n" + cred, "policies.standard[0].before"},
		{"stage channels", chans + "policies:\n  standard: [{before: 7d, channels: ['${OWNER}']}]  # @here\n" + cred, "policies.standard[0].channels[0]"},
		{"channel type", "channels:\n  console: {type: '${OWNER}'}  # @here\n" + pols + cred, "channels.console.type"},
		{"channel template", "channels:\n  console: {type: stdout, text_template: '${OWNER}'}  # @here\n" + pols + cred, "channels.console.text_template"},
		{"channel concurrency", "channels:\n  console: {type: stdout, concurrency: '${OWNER}'}  # @here\n" + pols + cred, "channels.console.concurrency"},
		{"stdout format", "channels:\n  console: {type: stdout, format: '${OWNER}'}  # @here\n" + pols + cred, "channels.console.format"},
		{"slack channel", "channels:\n  console: {type: slack, token: xoxb-1-2, channel: '${OWNER}'}  # @here\n" + pols + cred, "channels.console.channel"},
		{"email to", "channels:\n  console: {type: email, smtp: 'smtp.example.com:587', from: a@example.com, to: ['${OWNER}']}  # @here\n" + pols + cred, "channels.console.to[0]"},
		{"http.public_url", "http:\n  listen: 127.0.0.1:9464\n  public_url: '${OWNER}'  # @here\n" + chans + pols + cred, "http.public_url"},
		{"amazon.region", "amazon:\n  sqs_queue_url: https://sqs.us-east-1.amazonaws.com/1/q\n  region: '${OWNER}'  # @here\n" + chans + pols + cred, "amazon.region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadYAML(t, tt.body, map[string]string{"OWNER": envOnlyValue})
			ps := problemsOf(t, err)
			want := "config.yaml:" + strconv.Itoa(lineOf(t, tt.body, "@here")) + ": " + tt.key + ": " +
				"${OWNER}: ${NAME} is for secrets only (tokens, passwords, keys, secret URLs and headers, the database URL), " +
				"and this value would be stored and shown: write it into the file"
			found := false
			for _, p := range ps {
				found = found || p.String() == want
				if strings.Contains(p.String(), envOnlyValue) {
					t.Errorf("problem quotes the environment value: %s", p)
				}
			}
			if !found {
				t.Errorf("problems:\n%v\nwant the line\n%s", err, want)
			}
		})
	}
}

// No problem quotes a value that came from the environment: here every key
// that takes ${NAME} holds a distinctive value that is wrong for it, and
// every other key holds ${NAME} by mistake.
func TestEnvValueInNoProblem(t *testing.T) {
	body := `database: ""
timezone: ${V}
check_schedule: ${V}
retry: {max_attempts: "${V}", initial_backoff: "${V}", max_backoff: "${V}"}
defaults: {policy: "${V}", rotation_period: "${V}"}
credential_files: ["${V}"]
audit: {key: "${V}"}
http:
  listen: "${V}"
  public_url: "${V}"
  ack_secret: "${V}"
  ack_link_ttl: "${V}"
amazon:
  sqs_queue_url: "${V}"
  region: "${V}"
  endpoint: "${V}"
  new_secret_dir: "${V}"
  new_secret_parameter: "${V}"
  new_secret_kms_key: "${V}"
  ssm_endpoint: "${V}"
channels:
  a: {type: webhook, url: "${V}", headers: {X-A: "${V}"}, timeout: "${V}"}
  b: {type: webhook, url: "${V}", headers: "${V}"}
  c: {type: slack, token: "${V}", channel: "${V}", webhook_url: "${V}", signing_secret: "${V}", api_url: "${V}", username: "${V}", mention: "${V}"}
  d: {type: email, smtp: "${V}", username: "${V}", password: "${V}", from: "${V}", to: ["${V}"], tls: "${V}"}
  e: {type: stdout, format: "${V}", concurrency: "${V}", subject_template: "${V}"}
  f: {type: sns, topic_arn: "${V}", region: "${V}"}
  g: {type: "${V}"}
policies:
  standard: [{before: "${V}", after: "${V}", name: "${V}", repeat: "${V}", unless_acknowledged: "${V}", channels: ["${V}"]}]
credentials:
  - {id: "${V}", name: "${V}", owner: "${V}", policy: "${V}", rotated_at: "${V}", rotation_period: "${V}", expires_at: "${V}"}
  - {id: two, rotated_at: 2026-06-01, source: {ssm_parameter: "${V}"}, aws: {region: "${V}", endpoint: "${V}"}}
  - {id: three, rotated_at: 2026-06-01, lwa: {client_id: "${V}", client_secret: "${V}", refresh_token: "${V}", region: "${V}", token_url: "${V}", api_url: "${V}", probe: "${V}"}}
`
	for _, value := range []string{envOnlyValue, "Europe/Berlin", "0", "101", "2026-06-01", "abc def ghi"} {
		t.Run(value, func(t *testing.T) {
			_, err := loadYAML(t, body, map[string]string{"V": value})
			ps := problemsOf(t, err)
			for _, p := range ps {
				if strings.Contains(p.Msg, `"`+value+`"`) || (len(value) > 3 && strings.Contains(p.Msg, value)) {
					t.Errorf("problem quotes the environment value %q: %s", value, p)
				}
			}
		})
	}
}

// Where a secret belongs, ${NAME} still works: every such key takes its
// value from the environment, and each value is registered as a secret.
func TestEnvWhereSecretsBelong(t *testing.T) {
	body := `database: postgres://notifier:${DB}@127.0.0.1:5432/notifier
audit: {key: "${AUDIT}"}
http: {listen: "127.0.0.1:9464", public_url: "https://n.example.com", ack_secret: "${ACK}"}
channels:
  hook: {type: webhook, url: "https://h.example.com/${HOOK}", headers: {Authorization: "Bearer ${TOKEN}"}}
  bot: {type: slack, token: "xoxb-${SLACK}", channel: "#ops", signing_secret: "${SIGN}"}
  incoming: {type: slack, webhook_url: "https://hooks.slack.com/${SLACKHOOK}", signing_secret: "${SIGN}"}
  mail: {type: email, smtp: "smtp.example.com:587", username: "${SMTPUSER}", password: "${SMTPPASS}", from: n@example.com, to: [a@example.com]}
policies:
  standard: [{before: 7d, channels: [hook, bot, incoming, mail]}]
credentials:
  - {id: one, rotated_at: 2026-06-01, lwa: {client_id: amzn1.application-oa2-client.a, client_secret: "${LWAS}", refresh_token: "${LWAR}"}}
`
	env := map[string]string{}
	for _, name := range []string{"DB", "AUDIT", "ACK", "HOOK", "TOKEN", "SLACK", "SIGN", "SLACKHOOK", "SMTPUSER", "SMTPPASS", "LWAS", "LWAR"} {
		env[name] = strings.ToLower(name) + "-" + envOnlyValue + "-0123456789abcdef"
	}
	cfg := mustLoad(t, body, env)
	secrets := strings.Join(cfg.Secrets(), "\n")
	for name, v := range env {
		if !strings.Contains(secrets, v) {
			t.Errorf("${%s}'s value is not among the secrets", name)
		}
	}
	if want := "postgres://notifier:" + env["DB"] + "@127.0.0.1:5432/notifier"; cfg.Database != want {
		t.Errorf("database %q, want %q", cfg.Database, want)
	}
}
