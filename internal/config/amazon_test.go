package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/domain"
)

const amazonBase = `channels:
  console: {type: stdout}
policies:
  standard:
    - {before: 7d, channels: [console]}
`

func TestAmazonConfig(t *testing.T) {
	cfg := mustLoad(t, amazonBase+`amazon:
  sqs_queue_url: https://sqs.us-east-1.amazonaws.com/123456789012/sp-api-notifications
  region: us-east-1
  endpoint: http://127.0.0.1:4566
credentials:
  - id: sp-api-prod
    rotated_at: 2026-06-01
    lwa:
      client_id: amzn1.application-oa2-client.abc123
  - id: erp
    rotated_at: 2026-06-01
`, nil)
	if a := cfg.Amazon; a == nil || a.SQSQueueURL != "https://sqs.us-east-1.amazonaws.com/123456789012/sp-api-notifications" ||
		a.Region != "us-east-1" || a.Endpoint != "http://127.0.0.1:4566" || a.MaxReceives != DefaultMaxReceives {
		t.Errorf("Amazon = %+v", cfg.Amazon)
	}
	if c, _ := cfg.Credential("sp-api-prod"); c.LWAClientID != "amzn1.application-oa2-client.abc123" {
		t.Errorf("client id = %q", c.LWAClientID)
	}
	if c, _ := cfg.Credential("erp"); c.LWAClientID != "" {
		t.Errorf("erp's client id = %q, want none", c.LWAClientID)
	}
	if got := cfg.SPAPICredentials(); len(got) != 1 || got["amzn1.application-oa2-client.abc123"].ID != "sp-api-prod" {
		t.Errorf("SPAPICredentials = %+v", got)
	}
	sink := mustLoad(t, amazonBase+"amazon:\n  sqs_queue_url: https://sqs.us-east-1.amazonaws.com/1/q\n  region: us-east-1\n  new_secret_parameter: /sp-api/{client_id}/client-secret\n  new_secret_kms_key: alias/sp-api\n  ssm_endpoint: http://127.0.0.1:9\ncredentials:\n  - {id: a, rotated_at: 2026-06-01}\n", nil)
	bound := mustLoad(t, amazonBase+"amazon:\n  sqs_queue_url: https://sqs.us-east-1.amazonaws.com/1/q\n  region: us-east-1\n  max_receives: 12\ncredentials:\n  - {id: a, rotated_at: 2026-06-01}\n", nil)
	if got := bound.Amazon.MaxReceives; got != 12 {
		t.Errorf("max_receives = %d, want 12", got)
	}
	if got := strings.Join(cfg.Amazon.SenderIDs, ","); got != "437568002678" {
		t.Errorf("sender_ids by default = %q, want Amazon's SP-API account 437568002678", got)
	}
	senders := mustLoad(t, amazonBase+"amazon:\n  sqs_queue_url: https://sqs.us-east-1.amazonaws.com/1/q\n  region: us-east-1\n  sender_ids: [\"437568002678\", \"AROAEXAMPLEID:sp-api\"]\ncredentials:\n  - {id: a, rotated_at: 2026-06-01}\n", nil)
	if got := strings.Join(senders.Amazon.SenderIDs, ","); got != "437568002678,AROAEXAMPLEID:sp-api" {
		t.Errorf("sender_ids = %q", got)
	}
	if a := sink.Amazon; a.NewSecretParameter != "/sp-api/{client_id}/client-secret" || a.NewSecretKMSKey != "alias/sp-api" || a.SSMEndpoint != "http://127.0.0.1:9" {
		t.Errorf("the parameter sink = %+v", a)
	}
	if cfg := mustLoad(t, amazonBase+"credentials:\n  - {id: a, rotated_at: 2026-06-01}\n", nil); cfg.Amazon != nil {
		t.Errorf("Amazon without an amazon: block = %+v, want nil", cfg.Amazon)
	}
}

func TestAmazonProblems(t *testing.T) {
	cred := "credentials:\n  - id: a\n    rotated_at: 2026-06-01\n"
	queue := "  sqs_queue_url: https://sqs.us-east-1.amazonaws.com/123456789012/q\n"
	tests := []struct {
		name, body string
		want       []string
	}{
		{"missing url and region", "amazon: {}\n" + cred, []string{
			`config.yaml:6: amazon.sqs_queue_url: missing: the SQS queue SP-API notifications are sent to (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)`,
			`config.yaml:6: amazon.region: missing: the queue's AWS region (e.g. us-east-1)`}},
		{"not a mapping", "amazon: yes\n" + cred, []string{`config.yaml:6: amazon: must be a mapping`}},
		{"bad url, region, endpoint", "amazon:\n  sqs_queue_url: sqs.us-east-1.amazonaws.com/1/q\n  region: US East\n  endpoint: ftp://x\n" + cred, []string{
			`config.yaml:7: amazon.sqs_queue_url: "sqs.us-east-1.amazonaws.com/1/q" is not a queue URL: give an https:// URL`,
			`config.yaml:8: amazon.region: "US East" is not an AWS region (e.g. us-east-1, eu-west-1)`,
			`config.yaml:9: amazon.endpoint: "ftp://x" is not an endpoint URL: give an https:// URL`}},
		{"url without the queue's path", "amazon:\n  sqs_queue_url: https://sqs.us-east-1.amazonaws.com/q\n  region: us-east-1\n" + cred, []string{
			`config.yaml:7: amazon.sqs_queue_url: "https://sqs.us-east-1.amazonaws.com/q" is not a queue URL: the path must be /ACCOUNT/QUEUE-NAME`}},
		{"a mistyped key", "amazon:\n" + queue + "  region: us-east-1\n  sink: /tmp/x\n" + cred, []string{
			`config.yaml:9: amazon.sink: unknown key (known: sqs_queue_url, region, endpoint, new_secret_dir, new_secret_parameter, new_secret_kms_key, ssm_endpoint, max_receives, sender_ids)`}},
		{"bad sender ids", "amazon:\n" + queue + "  region: us-east-1\n  sender_ids: [\"\", \"a b\"]\n" + cred, []string{
			`config.yaml:9: amazon.sender_ids[0]: "" is not an SQS SenderId (an account, IAM user or role id)`,
			`config.yaml:9: amazon.sender_ids[1]: "a b" is not an SQS SenderId (an account, IAM user or role id)`}},
		{"no sender ids", "amazon:\n" + queue + "  region: us-east-1\n  sender_ids: []\n" + cred, []string{
			`config.yaml:9: amazon.sender_ids: is empty: no message would be accepted; leave it out for Amazon's (437568002678)`}},
		{"a bad parameter sink", "amazon:\n" + queue + "  region: us-east-1\n  new_secret_parameter: 'my secret'\n  ssm_endpoint: 'ftp://x'\n" + cred, []string{
			`config.yaml:9: amazon.new_secret_parameter: "my secret" is not a Parameter Store name (letters, digits and _ . - /, and {client_id})`,
			`config.yaml:10: amazon.ssm_endpoint: "ftp://x" is not an endpoint URL: give an https:// URL`}},
		{"a KMS key without a parameter", "amazon:\n" + queue + "  region: us-east-1\n  new_secret_kms_key: alias/x\n" + cred, []string{
			`config.yaml:9: amazon.new_secret_kms_key: is the key of new_secret_parameter, which is not set`}},
		{"a probe without a refresh token", cred + "    lwa:\n      client_id: amzn1.application-oa2-client.abc\n      client_secret: ${LWA_SECRET}\n      probe: 24h\n", []string{
			`config.yaml:12: credentials[0].lwa.probe: needs client_secret and refresh_token (from ${NAME}) to exchange`}},
		{"secrets written in the file, a bad region, URL and interval", cred + "    lwa:\n      client_id: amzn1.application-oa2-client.abc\n      client_secret: plain-text-secret\n      refresh_token: ${LWA_SECRET}\n      region: us\n      token_url: 'ftp://x'\n      probe: 10s\n", []string{
			`config.yaml:11: credentials[0].lwa.client_secret: must come from the environment (${NAME}), never be written in the file`,
			`config.yaml:13: credentials[0].lwa.region: "us" is not an SP-API region (na, eu or fe)`,
			`config.yaml:14: credentials[0].lwa.token_url: "ftp://x" is not a URL: give an https:// URL`,
			`config.yaml:15: credentials[0].lwa.probe: must be at least 1m (the token endpoint is Amazon's)`}},
		{"auto_rotate_before without a secret", cred + "    lwa:\n      client_id: amzn1.application-oa2-client.abc\n      auto_rotate_before: 7d\n", []string{
			`config.yaml:11: credentials[0].lwa.auto_rotate_before: needs client_secret (from ${NAME}) to ask Amazon`}},
		{"a mistyped lwa key", cred + "    lwa:\n      client_id: amzn1.application-oa2-client.abc\n      auto_rotate: 7d\n", []string{
			`config.yaml:11: credentials[0].lwa.auto_rotate: unknown key (known: client_id, client_secret, refresh_token, region, token_url, api_url, probe, auto_rotate_before)`}},
		{"lwa without client_id", cred + "    lwa: {}\n", []string{
			`config.yaml:9: credentials[0].lwa.client_id: missing: the LWA client id of the SP-API application (amzn1.application-oa2-client.…)`}},
		{"not a client id", cred + "    lwa: {client_id: my-app}\n", []string{
			`config.yaml:9: credentials[0].lwa.client_id: "my-app" is not an LWA client id (amzn1.application-oa2-client.…)`}},
		{"a client id from the environment is refused, not quoted back", cred + "    lwa: {client_id: '${CID}'}\n", []string{
			`config.yaml:9: credentials[0].lwa.client_id: ${CID}: ${NAME} is for secrets only (tokens, passwords, keys, secret URLs and headers, the database URL), and this value would be stored and shown: write it into the file`}},
		{"two credentials with one client id", "credentials:\n  - id: a\n    rotated_at: 2026-06-01\n    lwa: {client_id: amzn1.application-oa2-client.x1}\n  - id: b\n    rotated_at: 2026-06-01\n    lwa:\n      client_id: amzn1.application-oa2-client.x1\n", []string{
			`config.yaml:13: credentials[1].lwa.client_id: amzn1.application-oa2-client.x1 is already the client id of another credential at config.yaml:9; each SP-API application is one credential`}},
		{"a mistyped source", cred + "    source: {ssm_paramter: /x}\n", []string{
			`config.yaml:9: credentials[0].source.ssm_paramter: unknown key (known: ssm_parameter, secretsmanager_secret)`}},
		{"two sources", cred + "    source: {ssm_parameter: /x, secretsmanager_secret: y}\n", []string{
			`config.yaml:9: credentials[0].source: give exactly one of ssm_parameter: NAME or secretsmanager_secret: ARN-or-name`}},
		{"an empty source", cred + "    source: {}\n", []string{
			`config.yaml:9: credentials[0].source: give exactly one of ssm_parameter: NAME or secretsmanager_secret: ARN-or-name`}},
		{"not a parameter name", cred + "    source: {ssm_parameter: 'my db password'}\n", []string{
			`config.yaml:9: credentials[0].source.ssm_parameter: "my db password" is not a Parameter Store name (letters, digits and _ . - /, e.g. /my-app/db/password) or ARN`}},
		{"not a secret name", cred + "    source: {secretsmanager_secret: 'a|b'}\n", []string{
			`config.yaml:9: credentials[0].source.secretsmanager_secret: "a|b" is not a Secrets Manager secret name (letters, digits and / _ + = . @ -) or ARN`}},
		{"aws without a source", cred + "    aws: {region: us-east-2}\n", []string{
			`config.yaml:9: credentials[0].aws: is the AWS region and endpoint of a source:, and this credential has none`}},
		{"bad aws region and endpoint", cred + "    source: {ssm_parameter: /x}\n    aws: {region: Ohio, endpoint: 'ftp://x'}\n", []string{
			`config.yaml:10: credentials[0].aws.region: "Ohio" is not an AWS region (e.g. us-east-2)`,
			`config.yaml:10: credentials[0].aws.endpoint: "ftp://x" is not an endpoint URL: give an https:// URL`}},
		{"a mistyped aws key", cred + "    source: {ssm_parameter: /x}\n    aws: {regoin: us-east-2}\n", []string{
			`config.yaml:10: credentials[0].aws.regoin: unknown key (known: region, endpoint)`}},
		{"neither rotated_at nor source", "credentials:\n  - id: a\n", []string{
			`config.yaml:7: credentials[0].rotated_at: missing: when was this secret last rotated? (e.g. 2026-06-01)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadYAML(t, amazonBase+tt.body, map[string]string{"LWA_SECRET": "s3cr3t-lwa", "CID": "s3cr3t-cid"})
			var got []string
			for _, p := range problemsOf(t, err) {
				got = append(got, p.String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("a value from the environment is quoted: %v", err)
			}
		})
	}
}

// TestAWSSource: a source: makes rotated_at optional; aws: sets its region
// and endpoint.
func TestAWSSource(t *testing.T) {
	cfg := mustLoad(t, amazonBase+`credentials:
  - id: erp-db-password
    source: {ssm_parameter: /my-erp/db/password}
    aws: {region: us-east-2, endpoint: "http://127.0.0.1:9"}
  - id: erp-api-key
    rotated_at: 2026-06-01
    source: {secretsmanager_secret: "arn:aws:secretsmanager:us-east-1:123456789012:secret:erp/api-AbCdEf"}
  - id: plain
    rotated_at: 2026-06-01
`, nil)
	tests := []struct {
		id      string
		want    domain.AWSSource
		rotated bool
	}{
		{"erp-db-password", domain.AWSSource{Kind: domain.SourceSSM, Name: "/my-erp/db/password", Region: "us-east-2", Endpoint: "http://127.0.0.1:9"}, false},
		{"erp-api-key", domain.AWSSource{Kind: domain.SourceSecretsManager, Name: "arn:aws:secretsmanager:us-east-1:123456789012:secret:erp/api-AbCdEf"}, true},
		{"plain", domain.AWSSource{}, true},
	}
	for _, tt := range tests {
		c, ok := cfg.Credential(tt.id)
		if !ok || c.Source != tt.want || c.RotatedAt.IsZero() == tt.rotated {
			t.Errorf("%s: source %+v, rotated_at %v; want %+v, rotated_at set %v", tt.id, c.Source, c.RotatedAt, tt.want, tt.rotated)
		}
	}
}

// TestReservedStageNames: a policy's stage may not take the name of
// notifier's own SP-API alerts, whose deliveries share the cycle's.
func TestReservedStageNames(t *testing.T) {
	for _, name := range []string{"rejected", "sp-api:old-secret"} {
		body := "channels:\n  console: {type: stdout}\npolicies:\n  standard:\n    - {name: '" + name + "', before: 7d, channels: [console]}\ncredentials:\n  - {id: a, rotated_at: 2026-06-01}\n"
		_, err := loadYAML(t, body, nil)
		ps := problemsOf(t, err)
		want := `config.yaml:5: policies.standard[0].name: "` + name + `" is the stage of notifier's own SP-API alerts; choose another name`
		if len(ps) != 1 || ps[0].String() != want {
			t.Errorf("problems = %v; want %s", err, want)
		}
	}
}

// TestLWAProbeSettings: the probe's keys, defaults by region, secrets from
// the environment registered as secrets; a credential file may not hold them.
func TestLWAProbeSettings(t *testing.T) {
	cfg := mustLoad(t, amazonBase+`credentials:
  - id: prod
    rotated_at: 2026-06-01
    lwa:
      client_id: amzn1.application-oa2-client.p1
      client_secret: ${LWA_SECRET}
      refresh_token: ${LWA_REFRESH}
      region: eu
      probe: 24h
  - id: local
    rotated_at: 2026-06-01
    lwa: {client_id: amzn1.application-oa2-client.p2, client_secret: "${LWA_SECRET}", token_url: "http://127.0.0.1:9/token", api_url: "http://127.0.0.1:9"}
  - id: bare
    rotated_at: 2026-06-01
    lwa: {client_id: amzn1.application-oa2-client.p3}
`, map[string]string{"LWA_SECRET": "lwa-SEKRIT-1", "LWA_REFRESH": "Atzr|refresh-SEKRIT"})
	tests := []struct {
		id   string
		want LWA
		ok   bool
	}{
		{"prod", LWA{ClientID: "amzn1.application-oa2-client.p1", ClientSecret: "lwa-SEKRIT-1", RefreshToken: "Atzr|refresh-SEKRIT", Region: "eu",
			TokenURL: DefaultTokenURL, APIURL: "https://sellingpartnerapi-eu.amazon.com", Probe: 24 * time.Hour}, true},
		{"local", LWA{ClientID: "amzn1.application-oa2-client.p2", ClientSecret: "lwa-SEKRIT-1", Region: "na",
			TokenURL: "http://127.0.0.1:9/token", APIURL: "http://127.0.0.1:9"}, true},
		{"bare", LWA{}, false},
	}
	for _, tt := range tests {
		if got, ok := cfg.LWAOf(tt.id); ok != tt.ok || got != tt.want {
			t.Errorf("LWAOf(%s) = %+v, %v; want %+v, %v", tt.id, got, ok, tt.want, tt.ok)
		}
	}
	if got := cfg.Probed(); strings.Join(got, ",") != "prod" {
		t.Errorf("Probed = %v", got)
	}
	secrets := strings.Join(cfg.Secrets(), "\n")
	for _, s := range []string{"lwa-SEKRIT-1", "Atzr|refresh-SEKRIT"} {
		if !strings.Contains(secrets, s) {
			t.Errorf("%q is not among the secrets", s)
		}
	}

	dir := t.TempDir()
	writeFile(t, dir, "creds/b.yaml", "credentials:\n  - id: b\n    rotated_at: 2026-06-01\n    lwa: {client_id: amzn1.application-oa2-client.x1, client_secret: '${LWA_SECRET}'}\n")
	path := writeFile(t, dir, "config.yaml", amazonBase+"credential_files: [creds/*.yaml]\n")
	_, err := Load(path, At(testNow), envOf(map[string]string{"LWA_SECRET": "s"}), registry.Default())
	ps := problemsOf(t, err)
	if len(ps) != 1 || !strings.Contains(ps[0].String(), "creds/b.yaml:4: credentials[0].lwa.client_secret: belongs in the main config file") {
		t.Errorf("problems = %v", err)
	}
}

// TestAmazonClientIDAcrossFiles: a client id the main file and a credential
// file share is a problem of check (Load), at the file that repeats it.
func TestAmazonClientIDAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "creds/b.yaml", "credentials:\n  - id: b\n    rotated_at: 2026-06-01\n    lwa: {client_id: amzn1.application-oa2-client.x1}\n")
	path := writeFile(t, dir, "config.yaml", amazonBase+"credential_files: [creds/*.yaml]\ncredentials:\n  - id: a\n    rotated_at: 2026-06-01\n    lwa: {client_id: amzn1.application-oa2-client.x1}\n")
	_, err := Load(path, At(testNow), envOf(nil), registry.Default())
	ps := problemsOf(t, err)
	if len(ps) != 1 || ps[0].String() != "creds/b.yaml:4: credentials[0].lwa.client_id: amzn1.application-oa2-client.x1 is already the client id of another credential at config.yaml:10; each SP-API application is one credential" {
		t.Errorf("problems = %v", err)
	}
}

// TestAmazonExampleUncommented: the example's commented amazon: block and
// lwa: line load once uncommented.
func TestAmazonExampleUncommented(t *testing.T) {
	data, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(l, "# amazon:"), strings.HasPrefix(l, "#   sqs_queue_url:"), strings.HasPrefix(l, "#   region:"), strings.HasPrefix(l, "#   endpoint:"):
			l = strings.TrimPrefix(l, "# ")
		case strings.HasPrefix(strings.TrimSpace(l), "# lwa:"):
			l = strings.Replace(l, "# lwa:", "lwa:", 1)
		}
		lines = append(lines, l)
	}
	dir := t.TempDir()
	exampleUsersBeside(t, dir)
	cfg, err := Load(writeFile(t, dir, "config.yaml", strings.Join(lines, "\n")), At(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)), envOf(nil), registry.Default())
	if err != nil {
		t.Fatalf("uncommented example: %v", err)
	}
	if cfg.Amazon == nil || cfg.Amazon.Region != "us-east-1" || len(cfg.SPAPICredentials()) != 1 {
		t.Errorf("uncommented example: amazon %+v, SP-API credentials %v", cfg.Amazon, cfg.SPAPICredentials())
	}
}

func TestAmazonNewSecretDir(t *testing.T) {
	dir := t.TempDir()
	private := filepath.Join(dir, "secrets")
	open := filepath.Join(dir, "open")
	file := filepath.Join(dir, "file")
	for _, d := range []string{private, open} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(open, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "file", "x")
	tests := []struct {
		name, value, want string
	}{
		{"relative to the config", "secrets", ""},
		{"absolute", private, ""},
		{"missing", filepath.Join(dir, "nope"), "amazon.new_secret_dir: \"" + filepath.Join(dir, "nope") + "\" is not a folder notifier can use: no such file or directory"},
		{"a file", file, "amazon.new_secret_dir: \"" + file + "\" is not a folder"},
		{"others can enter", open, "amazon.new_secret_dir: \"" + open + "\" can be entered by others (mode 0755): it will hold client secrets; chmod 700 it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := amazonBase + "amazon:\n  sqs_queue_url: https://sqs.us-east-1.amazonaws.com/1/q\n  region: us-east-1\n  new_secret_dir: " + tt.value +
				"\ncredentials:\n  - {id: a, rotated_at: 2026-06-01}\n"
			path := writeFile(t, dir, "config.yaml", body)
			cfg, err := Load(path, At(testNow), envOf(nil), registry.Default())
			if tt.want == "" {
				if err != nil || cfg.Amazon.NewSecretDir != private {
					t.Errorf("new_secret_dir = %+v, %v; want %s", cfg, err, private)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
