package channels_test

import (
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/channels"
)

// hostileRunbook is runbook text that would be markup in some channel.
const hostileRunbook = "<script>alert(1)</script> *bold* <https://evil.example|click> <!channel> & more\nstep 2"

// The default text carries how to rotate and what breaks, in every
// channel that sends it (stdout, email's text part, SNS topics); it says
// nothing of a runbook when there is none.
func TestDefaultTextRunbook(t *testing.T) {
	_, text := channels.DefaultTemplates()
	tests := []struct {
		name         string
		runbook, url string
		impact       string
		want, absent []string
	}{
		{"text and url", "Rotate in the vault.", "https://wiki.example.com/rotate", "billing stops",
			[]string{"How to rotate: Rotate in the vault.\n  https://wiki.example.com/rotate\n", "If nobody rotates: billing stops\n"}, nil},
		{"url only", "", "https://wiki.example.com/rotate", "",
			[]string{"How to rotate: https://wiki.example.com/rotate\n"}, []string{"If nobody rotates"}},
		{"text only, hostile kept verbatim", hostileRunbook, "", "x",
			[]string{"How to rotate: " + hostileRunbook + "\n", "If nobody rotates: x\n"}, nil},
		{"none", "", "", "", nil, []string{"How to rotate", "If nobody rotates"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := channels.Sample(now)
			m.Runbook, m.RunbookURL, m.Impact = tt.runbook, tt.url, tt.impact
			got, err := channels.Render(text, m)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("text lacks %q:\n%s", w, got)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(got, a) {
					t.Errorf("text has %q:\n%s", a, got)
				}
			}
			if !strings.HasSuffix(got, "notifier rotate sample-credential") {
				t.Errorf("text no longer ends with how to record the rotation:\n%s", got)
			}
		})
	}
}

// The JSON form (webhook body, stdout json) carries them as fields.
func TestPayloadRunbook(t *testing.T) {
	m := channels.Sample(now)
	m.Runbook, m.RunbookURL, m.Impact = hostileRunbook, "https://wiki.example.com/rotate", "the integration loses SP-API access"
	p := channels.NewPayload(m)
	if p.Runbook != hostileRunbook || p.RunbookURL != "https://wiki.example.com/rotate" || p.Impact != "the integration loses SP-API access" {
		t.Errorf("payload runbook = %q, %q, %q", p.Runbook, p.RunbookURL, p.Impact)
	}
}
