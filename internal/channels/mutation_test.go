package channels_test

// Tests that pin down behaviour mutation testing (scripts/mutation) found
// unasserted in this package's own tests (the integrations test much of it
// too, but from their own packages).

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
)

func TestMessageUrgencyAndStatus(t *testing.T) {
	tests := []struct {
		name    string
		m       channels.Message
		urgency channels.Urgency
		status  string
	}{
		{"30 days", channels.Message{DaysRemaining: 30}, channels.UrgencyNotice, "30 days remaining"},
		{"8 days", channels.Message{DaysRemaining: 8}, channels.UrgencyNotice, "8 days remaining"},
		{"7 days", channels.Message{DaysRemaining: 7}, channels.UrgencyWarning, "7 days remaining"},
		{"2 days", channels.Message{DaysRemaining: 2}, channels.UrgencyWarning, "2 days remaining"},
		{"1 day", channels.Message{DaysRemaining: 1}, channels.UrgencyWarning, "1 day remaining"},
		{"final notice", channels.Message{DaysRemaining: 1, Final: true}, channels.UrgencyCritical, "24-hour notice"},
		{"deadline reached", channels.Message{Overdue: true}, channels.UrgencyOverdue, "deadline reached"},
		{"overdue by a day", channels.Message{DaysRemaining: -1, Overdue: true, DaysOverdue: 1}, channels.UrgencyOverdue, "overdue by 1 day"},
		{"overdue by 3 days", channels.Message{DaysRemaining: -3, Overdue: true, DaysOverdue: 3}, channels.UrgencyOverdue, "overdue by 3 days"},
		{"overdue wins over final", channels.Message{Overdue: true, Final: true, DaysOverdue: 2}, channels.UrgencyOverdue, "overdue by 2 days"},
	}
	for _, tt := range tests {
		if got := tt.m.Urgency(); got != tt.urgency {
			t.Errorf("%s: Urgency = %d, want %d", tt.name, got, tt.urgency)
		}
		if got := tt.m.Status(); got != tt.status {
			t.Errorf("%s: Status = %q, want %q", tt.name, got, tt.status)
		}
	}
}

func TestErrorClassification(t *testing.T) {
	base := errors.New("boom")
	tests := []struct {
		name      string
		err       error
		retry     bool
		after     time.Duration
		permanent bool
	}{
		{"nil", nil, false, 0, false},
		{"unmarked", base, true, 0, false},
		{"permanent", channels.Permanent(base), false, 0, true},
		{"retryable", channels.Retryable(base), true, 0, false},
		{"retry after", channels.RetryAfter(base, 90*time.Second), true, 90 * time.Second, false},
		{"wrapped permanent", fmt.Errorf("slack: %w", channels.Permanent(base)), false, 0, true},
		{"wrapped retry after", fmt.Errorf("slack: %w", channels.RetryAfter(base, time.Minute)), true, time.Minute, false},
	}
	for _, tt := range tests {
		retry, after := channels.Classify(tt.err)
		if retry != tt.retry || after != tt.after {
			t.Errorf("%s: Classify = (%v, %v), want (%v, %v)", tt.name, retry, after, tt.retry, tt.after)
		}
		if got := channels.IsPermanent(tt.err); got != tt.permanent {
			t.Errorf("%s: IsPermanent = %v, want %v", tt.name, got, tt.permanent)
		}
		if tt.err != nil && (!errors.Is(tt.err, base) || !strings.HasSuffix(tt.err.Error(), "boom")) {
			t.Errorf("%s: %v does not keep the error it marks", tt.name, tt.err)
		}
	}
	// Marking no error leaves no error.
	for name, err := range map[string]error{
		"Permanent": channels.Permanent(nil), "Retryable": channels.Retryable(nil), "RetryAfter": channels.RetryAfter(nil, time.Minute),
	} {
		if err != nil {
			t.Errorf("%s(nil) = %v, want nil", name, err)
		}
	}
}

func TestRedact(t *testing.T) {
	const secret = "to/ken value"
	raw := errors.New(`POST https://h.example/x/to/ken value?k=to%2Fken+value failed: path /x/to%2Fken%20value`)
	tests := []struct {
		name    string
		err     error
		secrets []string
		want    string
		retry   bool
		after   time.Duration
	}{
		{"every form", raw, []string{secret}, "POST https://h.example/x/<redacted>?k=<redacted> failed: path /x/<redacted>", true, 0},
		{"empty secrets are ignored", raw, []string{"", secret, ""}, "POST https://h.example/x/<redacted>?k=<redacted> failed: path /x/<redacted>", true, 0},
		{"only empty secrets", raw, []string{""}, raw.Error(), true, 0},
		{"permanent stays permanent", channels.Permanent(raw), []string{secret}, "POST https://h.example/x/<redacted>?k=<redacted> failed: path /x/<redacted>", false, 0},
		{"retry after is kept", channels.RetryAfter(errors.New("token to/ken value throttled"), time.Minute), []string{secret}, "token <redacted> throttled", true, time.Minute},
		{"nothing to redact", channels.Permanent(errors.New("400 Bad Request")), []string{secret}, "400 Bad Request", false, 0},
	}
	for _, tt := range tests {
		got := channels.Redact(tt.err, tt.secrets...)
		if got == nil || got.Error() != tt.want {
			t.Errorf("%s: Redact = %v, want %q", tt.name, got, tt.want)
			continue
		}
		if retry, after := channels.Classify(got); retry != tt.retry || after != tt.after {
			t.Errorf("%s: Classify = (%v, %v), want (%v, %v)", tt.name, retry, after, tt.retry, tt.after)
		}
		if !errors.Is(got, tt.err) {
			t.Errorf("%s: the redacted error no longer wraps the original", tt.name)
		}
	}
	if got := channels.Redact(nil, secret); got != nil {
		t.Errorf("Redact(nil) = %v", got)
	}
}

func TestRedactURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://hooks.slack.com/services/T0/B0/XXXX": "https://hooks.slack.com/…",
		"https://example.com":                         "https://example.com",
		"https://example.com/":                        "https://example.com",
		"https://example.com?key=k":                   "https://example.com/…",
		"https://example.com/?key=k":                  "https://example.com/…",
		"https://user:pw@example.com:8443/":           "https://example.com:8443",
		"/relative/path":                              "<redacted url>",
		"https://exa mple.com/x":                      "<redacted url>",
	} {
		if got := channels.RedactURL(raw); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestRetryableStatus(t *testing.T) {
	for code, want := range map[int]bool{
		100: false, 204: false, 302: false, 400: false, 404: false, 407: false,
		408: true, 409: true, 410: false, 424: false, 425: true, 428: false, 429: true, 431: false, 499: false,
		500: true, 503: true, 599: true, 600: true,
	} {
		if got := channels.RetryableStatus(code); got != want {
			t.Errorf("RetryableStatus(%d) = %v, want %v", code, got, want)
		}
	}
}

// ClassifyHTTP on what http.Client.Do never returns, or a Response built by
// hand: no panic, and an error that names the status.
func TestClassifyHTTPHandBuiltAnswers(t *testing.T) {
	err := channels.ClassifyHTTP(nil, nil, now)
	if retry, _ := channels.Classify(err); err == nil || !retry || err.Error() != "no HTTP response" {
		t.Errorf("no response: %v (retry %v)", err, retry)
	}
	resp := &http.Response{StatusCode: http.StatusTeapot, Body: http.NoBody, Header: http.Header{}}
	err = channels.ClassifyHTTP(resp, nil, now)
	if err == nil || err.Error() != "418 I'm a teapot" || !channels.IsPermanent(err) {
		t.Errorf("hand-built 418: %v", err)
	}
	resp = &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}
	if err := channels.ClassifyHTTP(resp, nil, now); err != nil {
		t.Errorf("hand-built 200: %v", err)
	}
}

// Sample, what `notifier test` sends, is a reminder 7 days before its
// deadline in a 180-day cycle.
func TestSample(t *testing.T) {
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	m := channels.Sample(at)
	if !m.Deadline.Equal(at.AddDate(0, 0, 7)) || !m.RotatedAt.Equal(at.AddDate(0, 0, 7-180)) || !m.Now.Equal(at) ||
		m.DaysRemaining != 7 || m.Overdue || m.Final || !m.Test || m.Stage != "7d" {
		t.Errorf("Sample = %+v", m)
	}
	_, text := channels.DefaultTemplates()
	got, err := channels.Render(text, m)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Deadline: Fri 8 May 2026 09:00 UTC (last rotated Sun 9 Nov 2025 09:00 UTC)."; !strings.Contains(got, want) {
		t.Errorf("sample text:\n%s\nwant a line %q", got, want)
	}
}

// CheckTemplate renders a template on a reminder before its deadline and on
// an overdue, acknowledged one with an ack link, so a mistake in a branch
// that only a late reminder takes is found by `notifier check` too.
func TestCheckTemplateRendersEveryBranch(t *testing.T) {
	if err := channels.CheckTemplate("ok", "{{.Name}}: {{.Status}} {{date .Deadline}} {{day .Now | upper}}"); err != nil {
		t.Errorf("a valid template: %v", err)
	}
	if err := channels.CheckTemplate("syntax", "{{.Name"); err == nil || !strings.Contains(err.Error(), "template syntax") {
		t.Errorf("a syntax error: %v", err)
	}
	for _, branch := range []string{
		"not .Overdue", "not .Acknowledged", "not .AckURL", "gt .DaysRemaining 0", ".Now.Before .Deadline",
		".Overdue", ".Acknowledged", ".AckURL", "lt .DaysRemaining 0", "gt .DaysOverdue 0",
		".Deadline.Before .Now", "and .Acknowledged (.AcknowledgedAt.Before .Now)", ".RotatedAt.Before .Deadline",
	} {
		src := "{{if " + branch + "}}{{.NoSuchField}}{{end}}"
		if err := channels.CheckTemplate("branch", src); err == nil || !strings.Contains(err.Error(), "NoSuchField") {
			t.Errorf("CheckTemplate(%q) = %v, want the missing field found", src, err)
		}
	}
}
