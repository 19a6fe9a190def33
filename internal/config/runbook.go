package config

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/notifier-dev/notifier/internal/domain"
)

// Bounds of the runbook: and impact: keys: a message carries them whole.
const (
	MaxRunbookText = 1000 // characters of runbook text
	MaxRunbookURL  = 2000 // characters of a runbook URL
	MaxImpact      = 300  // characters of impact:
)

// DefaultImpact is what a message says breaks when nothing more is known.
const DefaultImpact = "whatever uses this credential stops working once it expires"

// LWAImpact is what breaks when an SP-API client secret is not rotated.
const LWAImpact = "the integration loses SP-API access"

// Runbook is how to rotate a credential and what breaks if nobody does,
// as every reminder carries it. Any field may be empty.
type Runbook struct {
	URL    string // an http(s) page with the procedure
	Text   string // the procedure itself, short
	Impact string // what breaks if nobody rotates
}

// runbookBlock is a runbook: written as a mapping.
type runbookBlock struct {
	URL  *yaml.Node `yaml:"url"`
	Text *yaml.Node `yaml:"text"`
}

// runbook reads a runbook: value into rb: a URL (http:// or https://),
// a short text, or a mapping of url: and text:.
func (l *loader) runbook(n *yaml.Node, key string, rb *Runbook) {
	if n.Kind == yaml.MappingNode {
		var b runbookBlock
		if !l.decode(n, key, &b) {
			return
		}
		if b.URL == nil && b.Text == nil {
			l.errf(n, key, "give url:, text: or both")
		}
		if v := b.URL; v != nil {
			rb.URL = l.runbookURL(v, key+".url")
		}
		if v := b.Text; v != nil {
			rb.Text = l.boundedText(v, key+".text", MaxRunbookText, true)
		}
		return
	}
	s, ok := l.str(n, key)
	if !ok {
		return
	}
	if lower := strings.ToLower(s); strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") {
		rb.URL = l.runbookURL(n, key)
		return
	}
	rb.Text = l.boundedText(n, key, MaxRunbookText, true)
}

// runbookURL reads a runbook's URL: http(s), printable ASCII without
// the characters that end a link in Slack's or HTML's markup.
func (l *loader) runbookURL(n *yaml.Node, key string) string {
	s, ok := l.str(n, key)
	if !ok {
		return ""
	}
	switch {
	case len(s) > MaxRunbookURL:
		l.errf(n, key, "is %d characters long: at most %d", len(s), MaxRunbookURL)
		return ""
	case strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r >= 0x7f || strings.ContainsRune("<>|\"`\\{}^", r) }) >= 0:
		l.errf(n, key, "%s is not a printable URL: encode spaces and <>|\"`\\{}^ (e.g. %%20)", quoted(printable(s)))
		return ""
	}
	if msg := httpURLProblem(s, false); msg != "" {
		l.errf(n, key, "%s is not a runbook URL: %s", quoted(s), msg)
		return ""
	}
	return s
}

// boundedText reads a short text of at most max characters, printable
// (line breaks only where multiline).
func (l *loader) boundedText(n *yaml.Node, key string, max int, multiline bool) string {
	s, ok := l.str(n, key)
	if !ok {
		return ""
	}
	s = strings.TrimSpace(s)
	switch count := utf8.RuneCountInString(s); {
	case !utf8.ValidString(s):
		l.errf(n, key, "is not valid UTF-8")
	case count > max:
		hint := ""
		if multiline {
			hint = " (link a page with url: for more)"
		}
		l.errf(n, key, "is %d characters long: at most %d%s", count, max, hint)
	case s == "":
		l.errf(n, key, "must not be empty")
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && !(multiline && r == '\n') }) >= 0:
		if multiline {
			l.errf(n, key, "holds a control character: plain text and line breaks only")
		} else {
			l.errf(n, key, "holds a control character or a line break: one line of plain text only")
		}
	default:
		return s
	}
	return ""
}

// printable cuts s to a short, printable form for a problem's message.
func printable(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

// impact reads an impact: value.
func (l *loader) impact(n *yaml.Node, key string) string {
	return l.boundedText(n, key, MaxImpact, false)
}

// RunbookOf is what a reminder about cred, under policy, says about how
// to rotate it and what breaks otherwise. Each part comes from the first
// that gives it: the credential's own runbook:/impact: (main file only),
// the policy's, Amazon's procedure for an SP-API credential (lwa.client_id),
// then defaults:; impact: falls back to DefaultImpact.
func (c *Config) RunbookOf(cred domain.Credential, policy string) Runbook {
	var layers []Runbook
	if rb, ok := c.runbooks[cred.ID]; ok {
		layers = append(layers, rb)
	}
	if p := c.Policies[policy]; p != nil {
		layers = append(layers, p.Runbook)
	}
	if cred.LWAClientID != "" {
		layers = append(layers, c.lwaRunbook(cred))
	}
	layers = append(layers, c.defaultRunbook, Runbook{Impact: DefaultImpact})
	var out Runbook
	procedure := false // URL and text come together from one layer
	for _, rb := range layers {
		if !procedure && (rb.URL != "" || rb.Text != "") {
			out.URL, out.Text, procedure = rb.URL, rb.Text, true
		}
		if out.Impact == "" {
			out.Impact = rb.Impact
		}
	}
	return out
}

// LWAConsolePath is where Amazon's Developer Console rotates an LWA client
// secret.
const LWAConsolePath = "Seller Central, Vendor Central or Developer Central → Developer Console → LWA credentials → View → Rotate secret"

// lwaRunbook is Amazon's procedure for rotating cred's client secret.
func (c *Config) lwaRunbook(cred domain.Credential) Runbook {
	var b strings.Builder
	b.WriteString("Rotate the LWA client secret of client id " + cred.LWAClientID + ": " + LWAConsolePath + ".")
	if _, ok := c.LWAOf(cred.ID); ok {
		b.WriteString(" Or run: notifier rotate " + cred.ID + " --via-amazon")
	}
	b.WriteString("\nThe old secret keeps working for 7 days after a new one is generated; refresh tokens do not change. Put the new secret where the integration reads it before then.")
	return Runbook{Text: b.String(), Impact: LWAImpact}
}
