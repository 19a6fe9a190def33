package config

import (
	"strings"
	"testing"
)

// retention: is refused with the reason, whatever its value: the database
// holds no message bodies to prune, and facts are kept for good.
func TestRetentionRefusedWithReason(t *testing.T) {
	for _, value := range []string{"365d", "0s", "{bodies: 90d}"} {
		body := "retention: " + value + "\n" + minimalRest
		_, err := loadYAML(t, body, nil)
		ps := problemsOf(t, err)
		if len(ps) != 1 || ps[0].Key != "retention" || ps[0].Line != 1 ||
			!strings.Contains(ps[0].Msg, "nothing to prune: notifier keeps facts only") || strings.Contains(ps[0].String(), "\n") {
			t.Errorf("retention: %s: problems %v, want one line at config.yaml:1 naming retention and why", value, ps)
		}
	}
	// Below the top level it is an ordinary unknown key.
	_, err := loadYAML(t, "defaults: {retention: 1d}\n"+minimalRest, nil)
	if ps := problemsOf(t, err); len(ps) != 1 || !strings.Contains(ps[0].Msg, "unknown key") {
		t.Errorf("defaults.retention: %v", ps)
	}
}

const minimalRest = `policies:
  standard:
    - {before: 7d, channels: [console]}
channels:
  console: {type: stdout}
credentials:
  - {id: a, rotated_at: 2026-01-01}
`
