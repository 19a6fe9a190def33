package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
)

const dryRunConfig = `timezone: UTC
database: notifier.db
policies:
  standard:
    - {before: 30d, channels: [hook, ops, mail, topic]}
    - {before: 7d, channels: [hook]}
channels:
  hook:
    type: webhook
    url: "http://127.0.0.1:9/services/${HOOK_PATH_KEY}/hook?key=${HOOK_KEY}"
  ops: {type: slack, token: "${SLACK_TOKEN}", channel: "#ops"}
  mail: {type: email, smtp: "127.0.0.1:9", tls: none, from: notifier@example.com, to: [admins@example.com], cc: [audit@example.com]}
  topic: {type: sns, topic_arn: "arn:aws:sns:eu-west-1:123456789012:rotations"}
credentials:
  - {id: sp-api-prod, name: SP-API, owner: integrations, rotated_at: 2026-06-01}
`

// A dry run with no store plans from the config alone, as a first run:
// the missed stage is skipped, the active one rendered for each channel
// with its recipient, and no secret of the config shows.
func TestDryRunFromTheConfigAlone(t *testing.T) {
	env := map[string]string{"HOOK_PATH_KEY": "pathkey-SEKRIT-0042", "HOOK_KEY": "qkey-SEKRIT-0042", "SLACK_TOKEN": "xoxb-SEKRIT-0042"}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(dryRunConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC) // 30d stage active
	cfg, err := config.Load(path, config.At(now), func(k string) (string, bool) { v, ok := env[k]; return v, ok }, registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := e.DryRun(t.Context(), now)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Intended{}
	for _, r := range rows {
		got[r.Channel] = r
		for _, s := range env {
			if strings.Contains(r.Recipient+r.Subject+r.Text, s) {
				t.Errorf("%s: a secret shows: %+v", r.Channel, r)
			}
		}
		if r.Stage != "30d" || r.Status != domain.StatusPending || !strings.Contains(r.Text, "27 days remaining") {
			t.Errorf("%s: %+v", r.Channel, r)
		}
	}
	for ch, want := range map[string]string{
		// Every long path segment of a secret URL is a secret to the
		// redactor; the host says where it goes.
		"hook":  "http://127.0.0.1:9/<redacted>/<redacted>/hook",
		"ops":   "#ops",
		"mail":  "to admins@example.com; cc audit@example.com",
		"topic": "arn:aws:sns:eu-west-1:123456789012:rotations",
	} {
		if got[ch].Recipient != want {
			t.Errorf("%s: recipient %q, want %q", ch, got[ch].Recipient, want)
		}
	}
	if len(rows) != 4 {
		t.Errorf("%d rows, want 4: %+v", len(rows), rows)
	}
	// Three weeks later the 30d stage was never sent: skipped, 7d sent.
	rows, err = e.DryRun(t.Context(), now.AddDate(0, 0, 21))
	if err != nil {
		t.Fatal(err)
	}
	var skipped, pending int
	for _, r := range rows {
		switch {
		case r.Stage == "30d" && r.Status == domain.StatusSkipped && r.Text == "":
			skipped++
		case r.Stage == "7d" && r.Status == domain.StatusPending && r.Channel == "hook":
			pending++
		default:
			t.Errorf("unexpected: %+v", r)
		}
	}
	if skipped != 4 || pending != 1 {
		t.Errorf("%d skipped, %d pending; want 4, 1", skipped, pending)
	}
}
