package email

import (
	"bytes"
	"fmt"
	"html/template"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
)

// DefaultHTML is the HTML body used when html_template is not set. Its data
// is a channels.Message; html/template escapes every field.
const DefaultHTML = `<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: sans-serif; line-height: 1.4">
{{if .Test}}<p><em>This is a test message from notifier; no action is needed.</em></p>
{{end}}<h2 style="border-left: 6px solid {{color .}}; padding-left: 8px">{{.Name}}: {{.Status}}</h2>
<table cellpadding="4">
<tr><th align="left">Credential</th><td><code>{{.Credential}}</code></td></tr>
{{if .Owner}}<tr><th align="left">Owner</th><td>{{.Owner}}</td></tr>
{{end}}<tr><th align="left">Deadline</th><td>{{date .Deadline}}</td></tr>
<tr><th align="left">Last rotated</th><td>{{date .RotatedAt}}</td></tr>
<tr><th align="left">Acknowledged</th><td>{{if .Acknowledged}}{{if .SnoozedUntil.IsZero}}by {{.AcknowledgedBy}} at {{date .AcknowledgedAt}}{{else}}{{.AckState}}{{end}}{{else if not .SnoozedUntil.IsZero}}{{.AckState}}; not acknowledged since{{else}}not yet{{end}}</td></tr>
</table>
{{if or .Runbook .RunbookURL}}<h3>How to rotate</h3>
{{if .Runbook}}<p style="white-space: pre-line">{{.Runbook}}</p>
{{end}}{{if .RunbookURL}}<p><a href="{{.RunbookURL}}">{{.RunbookURL}}</a></p>
{{end}}{{end}}{{if .Impact}}<p><strong>If nobody rotates:</strong> {{.Impact}}</p>
{{end}}{{if not (or .Acknowledged .Announcement)}}<p>{{if .AckURL}}<a href="{{.AckURL}}">Acknowledge this reminder</a>, or run{{else}}Acknowledge with{{end}} <code>notifier ack {{.Credential}} --by YOU</code></p>
{{end}}<p>Once rotated, set <code>rotated_at</code> in the config or run <code>notifier rotate {{.Credential}}</code>.</p>
</body>
</html>
`

// htmlFuncs are channels.Funcs plus color, the urgency's colour.
func htmlFuncs() template.FuncMap {
	f := template.FuncMap(channels.Funcs())
	f["color"] = func(m channels.Message) string {
		switch m.Urgency() {
		case channels.UrgencyOverdue:
			return "#8b0000"
		case channels.UrgencyCritical:
			return "#d00000"
		case channels.UrgencyWarning:
			return "#e69500"
		default:
			return "#2f6fba"
		}
	}
	return f
}

func parseHTML(src string) (*template.Template, error) {
	return template.New("html_template").Funcs(htmlFuncs()).Option("missingkey=error").Parse(src)
}

// renderHTML is m's HTML body: a digest's table, else the html_template.
func (c *Channel) renderHTML(m channels.Message) (string, error) {
	if m.Digest != nil {
		return m.Digest.HTML()
	}
	return renderHTML(c.html, m)
}

func renderHTML(t *template.Template, m channels.Message) (string, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, m); err != nil {
		return "", err
	}
	return b.String(), nil
}

// checkHTMLTemplate parses src and renders it on channels.Sample and on an
// acknowledged, overdue variant with an ack link, so that a template error
// (a misspelt field, an html/template context error) shows up in
// `notifier check`.
func checkHTMLTemplate(src string) error {
	t, err := parseHTML(src)
	if err != nil {
		return err
	}
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	overdue := channels.Sample(now)
	overdue.Deadline = now.Add(-50 * time.Hour)
	overdue.DaysRemaining, overdue.Overdue, overdue.DaysOverdue = -2, true, 2
	overdue.Acknowledged, overdue.AcknowledgedBy, overdue.AcknowledgedAt = true, "alice", now.Add(-time.Hour)
	overdue.AckURL = "http://127.0.0.1:8080/ack/sample"
	for _, m := range []channels.Message{channels.Sample(now), overdue} {
		if _, err := renderHTML(t, m); err != nil {
			return fmt.Errorf("rendering a sample: %v", err)
		}
	}
	return nil
}
