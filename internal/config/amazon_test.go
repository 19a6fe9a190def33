package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
  endpoint: ${SQS_ENDPOINT}
credentials:
  - id: sp-api-prod
    rotated_at: 2026-06-01
    lwa:
      client_id: amzn1.application-oa2-client.abc123
  - id: erp
    rotated_at: 2026-06-01
`, map[string]string{"SQS_ENDPOINT": "http://127.0.0.1:4566"})
	if a := cfg.Amazon; a == nil || a.SQSQueueURL != "https://sqs.us-east-1.amazonaws.com/123456789012/sp-api-notifications" ||
		a.Region != "us-east-1" || a.Endpoint != "http://127.0.0.1:4566" {
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
		{"a key not built yet", "amazon:\n" + queue + "  region: us-east-1\n  sink: /tmp/x\n" + cred, []string{
			`config.yaml:9: amazon.sink: unknown key (known: sqs_queue_url, region, endpoint, new_secret_dir)`}},
		{"lwa keys of the probe and rotation, not built yet", cred + "    lwa:\n      client_id: amzn1.application-oa2-client.abc\n      client_secret: ${LWA_SECRET}\n      probe: 24h\n", []string{
			`config.yaml:11: credentials[0].lwa.client_secret: unknown key (known: client_id)`,
			`config.yaml:12: credentials[0].lwa.probe: unknown key (known: client_id)`}},
		{"lwa without client_id", cred + "    lwa: {}\n", []string{
			`config.yaml:9: credentials[0].lwa.client_id: missing: the LWA client id of the SP-API application (amzn1.application-oa2-client.…)`}},
		{"not a client id", cred + "    lwa: {client_id: my-app}\n", []string{
			`config.yaml:9: credentials[0].lwa.client_id: "my-app" is not an LWA client id (amzn1.application-oa2-client.…)`}},
		{"a client id from the environment is not quoted back", cred + "    lwa: {client_id: '${CID}'}\n", []string{
			`config.yaml:9: credentials[0].lwa.client_id: ${CID} is not an LWA client id (amzn1.application-oa2-client.…)`}},
		{"two credentials with one client id", "credentials:\n  - id: a\n    rotated_at: 2026-06-01\n    lwa: {client_id: amzn1.application-oa2-client.x1}\n  - id: b\n    rotated_at: 2026-06-01\n    lwa:\n      client_id: amzn1.application-oa2-client.x1\n", []string{
			`config.yaml:13: credentials[1].lwa.client_id: amzn1.application-oa2-client.x1 is already the client id of another credential at config.yaml:9; each SP-API application is one credential`}},
		{"source and aws of the AWS sources, not built yet", cred + "    source: {ssm_parameter: /x}\n", []string{
			`config.yaml:9: credentials[0].source: unknown key (known: id, name, owner, rotated_at, rotation_period, expires_at, policy, lwa)`}},
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

// TestAmazonClientIDAcrossFiles: a client id the main file and a credential
// file share is a problem of check (Load), at the file that repeats it.
func TestAmazonClientIDAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "creds/b.yaml", "credentials:\n  - id: b\n    rotated_at: 2026-06-01\n    lwa: {client_id: amzn1.application-oa2-client.x1}\n")
	path := writeFile(t, dir, "config.yaml", amazonBase+"credential_files: [creds/*.yaml]\ncredentials:\n  - id: a\n    rotated_at: 2026-06-01\n    lwa: {client_id: amzn1.application-oa2-client.x1}\n")
	_, err := Load(path, At(testNow), envOf(nil))
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
	cfg, err := Load(writeFile(t, t.TempDir(), "config.yaml", strings.Join(lines, "\n")), At(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)), envOf(nil))
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
			cfg, err := Load(path, At(testNow), envOf(nil))
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
