package config

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/channels/registry"
)

const runbookConfig = `channels:
  console: {type: stdout}
defaults:
  runbook: {url: "https://wiki.example.com/rotate", text: "Generic procedure."}
  impact: the nightly export fails
policies:
  standard:
    - {before: 7d, channels: [console]}
  vault:
    stages:
      - {before: 7d, channels: [console]}
    runbook: Rotate it in Vault, then restart the billing job.
    impact: billing stops
credentials:
  - {id: plain, rotated_at: 2026-06-01}
  - {id: own, rotated_at: 2026-06-01, policy: vault, runbook: "https://wiki.example.com/own", impact: "own thing breaks"}
  - {id: by-policy, rotated_at: 2026-06-01, policy: vault}
  - {id: sp-api, rotated_at: 2026-06-01, lwa: {client_id: amzn1.application-oa2-client.0123456789abcdef}}
  - {id: sp-api-own, rotated_at: 2026-06-01, runbook: "Ask the Amazon team.", lwa: {client_id: amzn1.application-oa2-client.fedcba9876543210}}
  - id: sp-api-rotatable
    rotated_at: 2026-06-01
    lwa: {client_id: amzn1.application-oa2-client.aaaabbbbccccdddd, client_secret: "${LWA_SECRET}"}
`

// A message's runbook comes from the credential, else its policy, else
// Amazon's procedure for an SP-API credential, else defaults:; URL and
// text together from one place, the impact from the first that has one.
func TestRunbookPrecedence(t *testing.T) {
	cfg := mustLoad(t, runbookConfig, map[string]string{"LWA_SECRET": "lwa-secret-value-never-shown"})
	lwaText := func(client string, via string) string {
		return "Rotate the LWA client secret of client id " + client + ": " + LWAConsolePath + "." + via +
			"\nThe old secret keeps working for 7 days after a new one is generated; refresh tokens do not change. Put the new secret where the integration reads it before then."
	}
	tests := []struct {
		id   string
		want Runbook
	}{
		{"plain", Runbook{URL: "https://wiki.example.com/rotate", Text: "Generic procedure.", Impact: "the nightly export fails"}},
		{"own", Runbook{URL: "https://wiki.example.com/own", Impact: "own thing breaks"}},
		{"by-policy", Runbook{Text: "Rotate it in Vault, then restart the billing job.", Impact: "billing stops"}},
		{"sp-api", Runbook{Text: lwaText("amzn1.application-oa2-client.0123456789abcdef", ""), Impact: LWAImpact}},
		{"sp-api-own", Runbook{Text: "Ask the Amazon team.", Impact: LWAImpact}},
		{"sp-api-rotatable", Runbook{Text: lwaText("amzn1.application-oa2-client.aaaabbbbccccdddd", " Or run: notifier rotate sp-api-rotatable --via-amazon"), Impact: LWAImpact}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			cred, ok := cfg.Credential(tt.id)
			if !ok {
				t.Fatalf("no credential %s", tt.id)
			}
			got := cfg.RunbookOf(cred, cred.Policy)
			if got != tt.want {
				t.Errorf("RunbookOf(%s) =\n  %+v\nwant\n  %+v", tt.id, got, tt.want)
			}
			if strings.Contains(got.Text, "lwa-secret-value-never-shown") {
				t.Error("the runbook carries the client secret")
			}
		})
	}
	// Without defaults: a neutral impact and no runbook.
	bare := mustLoad(t, minimal, nil)
	cred, _ := bare.Credential("one")
	if got := bare.RunbookOf(cred, cred.Policy); got != (Runbook{Impact: DefaultImpact}) {
		t.Errorf("RunbookOf without runbooks = %+v", got)
	}
}

// A main file whose credentials give a runbook is never deferred: its
// messages read the runbook from the config, not from the database.
func TestRunbookNotDeferred(t *testing.T) {
	path := writeFile(t, t.TempDir(), "config.yaml", strings.Replace(minimal, "rotated_at: 2026-06-01}", "rotated_at: 2026-06-01, runbook: https://wiki.example.com/one}", 1))
	cfg, err := LoadMainDeferred(path, At(testNow), envOf(nil), registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	cred, ok := cfg.Credential("one")
	if cfg.Deferred() || !ok {
		t.Fatalf("deferred %v, credential found %v", cfg.Deferred(), ok)
	}
	if got := cfg.RunbookOf(cred, cred.Policy).URL; got != "https://wiki.example.com/one" {
		t.Errorf("runbook URL = %q", got)
	}
}

// A 1 MB runbook is refused at load, in one line that does not quote it.
func TestRunbookHugeRefused(t *testing.T) {
	huge := strings.Repeat("a", 1<<20)
	for _, key := range []string{"runbook", "impact"} {
		body := strings.Replace(minimal, "rotated_at: 2026-06-01}", "rotated_at: 2026-06-01, "+key+": "+huge+"}", 1)
		dir := t.TempDir()
		path := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path, At(testNow), envOf(nil), registry.Default())
		if err == nil {
			t.Fatalf("%s of 1 MB accepted", key)
		}
		max := map[string]int{"runbook": MaxRunbookText, "impact": MaxImpact}[key]
		hint := map[string]string{"runbook": " (link a page with url: for more)"}[key]
		want := "config.yaml:7: credentials[0]." + key + ": is 1048576 characters long: at most " + strconv.Itoa(max) + hint
		if got := err.Error(); got != want {
			t.Errorf("%s: error = %.200q, want %q", key, got, want)
		}
	}
}
