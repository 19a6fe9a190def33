package channels_test

import (
	"sync"
	"testing"
	"text/template"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
)

// The pre-parsed defaults render exactly what parsing the sources does.
func TestDefaultTemplates(t *testing.T) {
	subject, text := channels.DefaultTemplates()
	overdue := channels.Sample(now)
	overdue.Test, overdue.Overdue, overdue.DaysOverdue, overdue.DaysRemaining = false, true, 2, -2
	overdue.Acknowledged, overdue.AcknowledgedBy, overdue.AcknowledgedAt = true, "alice", now.Add(-time.Hour)
	tests := []struct {
		name string
		pre  *template.Template
		src  string
	}{
		{"subject", subject, channels.DefaultSubject},
		{"text", text, channels.DefaultText},
	}
	for _, tt := range tests {
		parsed, err := channels.ParseTemplate("default", tt.src)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []channels.Message{channels.Sample(now), overdue} {
			want, err := channels.Render(parsed, m)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := channels.Render(tt.pre, m); err != nil || got != want {
				t.Errorf("%s: Render = %q, %v; want %q", tt.name, got, err, want)
			}
		}
	}
}

// Parsed once: every call returns the same templates.
func TestDefaultTemplatesParsedOnce(t *testing.T) {
	s1, t1 := channels.DefaultTemplates()
	s2, t2 := channels.DefaultTemplates()
	if s1 != s2 || t1 != t2 {
		t.Error("DefaultTemplates parsed the sources again")
	}
	if s1 == t1 {
		t.Error("subject and text are one template")
	}
}

// Dispatch workers render the shared defaults at once (run with -race).
func TestDefaultTemplatesConcurrent(t *testing.T) {
	subject, text := channels.DefaultTemplates()
	m := channels.Sample(now)
	want, err := channels.Render(text, m)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if _, err := channels.Render(subject, m); err != nil {
					t.Error(err)
				}
				if got, err := channels.Render(text, m); err != nil || got != want {
					t.Errorf("Render = %q, %v", got, err)
				}
			}
		})
	}
	wg.Wait()
}
