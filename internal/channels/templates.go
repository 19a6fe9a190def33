package channels

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"text/template"
	"time"
)

// DateLayout is how messages show a time, in the configured zone.
const DateLayout = "Mon 2 Jan 2006 15:04 MST"

// DefaultSubject and DefaultText are the templates used when neither the
// stage nor the channel overrides them. Their data is a Message.
const (
	DefaultSubject = `{{if .Test}}[test] {{end}}{{.Name}}: {{.Status}}`
	DefaultText    = `{{if .Test}}This is a test message from notifier; no action is needed.
{{end}}{{.Name}} ({{.Credential}}){{if .Owner}}, owned by {{.Owner}}{{end}}: {{.Status}}.
Deadline: {{date .Deadline}} (last rotated {{date .RotatedAt}}).
{{if .Acknowledged}}{{if .SnoozedUntil.IsZero}}Acknowledged by {{.AcknowledgedBy}} at {{date .AcknowledgedAt}}{{else}}Snoozed by {{.AcknowledgedBy}} until {{date .SnoozedUntil}}{{end}}.
{{else}}{{if not .SnoozedUntil.IsZero}}Snooze by {{.AcknowledgedBy}} ended {{date .SnoozedUntil}}.
{{end}}Acknowledge: {{if .AckURL}}{{.AckURL}} or {{end}}notifier ack {{.Credential}} --by YOU
{{end}}{{if or .Runbook .RunbookURL}}How to rotate: {{if .Runbook}}{{.Runbook}}{{if .RunbookURL}}
  {{.RunbookURL}}{{end}}{{else}}{{.RunbookURL}}{{end}}
{{end}}{{if .Impact}}If nobody rotates: {{.Impact}}
{{end}}Once rotated, set rotated_at in the config or run: notifier rotate {{.Credential}}`
)

// defaultTemplates parses the defaults once, on first use: the engine
// renders them for nearly every message.
var defaultTemplates = sync.OnceValues(func() (subject, text *template.Template) {
	return template.Must(ParseTemplate("default", DefaultSubject)), template.Must(ParseTemplate("default", DefaultText))
})

// DefaultTemplates returns DefaultSubject and DefaultText, parsed. They are
// shared: execute them (safe from many goroutines), never change them
// (Parse, Funcs, Option, AddParseTree).
func DefaultTemplates() (subject, text *template.Template) {
	return defaultTemplates()
}

// Funcs are the functions every message template may call.
func Funcs() template.FuncMap {
	return template.FuncMap{
		"date":  func(t time.Time) string { return t.Format(DateLayout) },
		"day":   func(t time.Time) string { return t.Format("2006-01-02") },
		"upper": strings.ToUpper,
		"lower": strings.ToLower,
	}
}

// ParseTemplate parses a message template with Funcs. A missing field is an
// error at execution, so `notifier check` can find it by rendering Sample.
func ParseTemplate(name, src string) (*template.Template, error) {
	t, err := template.New(name).Funcs(Funcs()).Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	return t, nil
}

// Render executes t on m.
func Render(t *template.Template, m Message) (string, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, m); err != nil {
		return "", fmt.Errorf("template %s: %w", t.Name(), err)
	}
	return b.String(), nil
}

// CheckTemplate parses src and renders it on Sample, so that an error shows
// up in `notifier check` rather than at 3 a.m.
func CheckTemplate(name, src string) error {
	t, err := ParseTemplate(name, src)
	if err != nil {
		return err
	}
	for _, m := range []Message{Sample(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)), sampleOverdue()} {
		if _, err := Render(t, m); err != nil {
			return err
		}
	}
	return nil
}

// Sample is a representative reminder, used by `notifier test` and to check
// templates.
func Sample(now time.Time) Message {
	deadline := now.Add(7 * 24 * time.Hour)
	return Message{
		DeliveryKey:   "sample/0/7d/test/0",
		Credential:    "sample-credential",
		Name:          "Sample credential (notifier test)",
		Owner:         "ops",
		Stage:         "7d",
		RotatedAt:     deadline.Add(-180 * 24 * time.Hour),
		Deadline:      deadline,
		Now:           now,
		DaysRemaining: 7,
		Test:          true,
	}
}

func sampleOverdue() Message {
	m := Sample(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	m.Deadline = m.Now.Add(-50 * time.Hour)
	m.DaysRemaining, m.Overdue, m.DaysOverdue = -2, true, 2 // one rule: overdue is minus remaining
	m.Acknowledged, m.AcknowledgedBy, m.AcknowledgedAt = true, "alice", m.Now.Add(-time.Hour)
	m.AckURL = "http://127.0.0.1:8080/ack/sample"
	return m
}
