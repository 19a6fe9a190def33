package email

import (
	"context"
	"strings"
	"testing"
)

// Through a real SMTP server: the default HTML part shows the runbook
// escaped and its URL as a link; the text part is the rendered template
// the engine hands over (m.Text), sent as it is.
func TestSendRunbook(t *testing.T) {
	tests := []struct {
		name              string
		runbook, url, imp string
		want, refused     []string
	}{
		{"hostile text", `<script>alert("x")</script><a href="https://evil.example">click</a>`, "", "billing & invoices stop",
			[]string{`How to rotate`, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;a href=&#34;https://evil.example&#34;&gt;click&lt;/a&gt;`, `If nobody rotates`, `billing &amp; invoices stop`},
			[]string{`<script>`, `href="https://evil.example"`}},
		{"url", "", "https://wiki.example.com/rotate?a=1&b=2", "",
			[]string{`<a href="https://wiki.example.com/rotate?a=1&amp;b=2">https://wiki.example.com/rotate?a=1&amp;b=2</a>`}, []string{`If nobody rotates`}},
		{"none", "", "", "", nil, []string{`How to rotate`, `If nobody rotates`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, serverOpts{})
			cfg := baseConfig(ts, "")
			cfg.TLS = TLSNone
			m := reminder(t)
			m.Runbook, m.RunbookURL, m.Impact = tt.runbook, tt.url, tt.imp
			m.Text = "How to rotate: " + tt.runbook
			if err := newChannel(t, cfg).Send(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			msgs := ts.messages()
			if len(msgs) != 1 {
				t.Fatalf("received %d messages", len(msgs))
			}
			p := parse(t, msgs[0].data)
			html := p.parts["text/html"]
			for _, w := range tt.want {
				if !strings.Contains(html, w) {
					t.Errorf("HTML part lacks %q:\n%s", w, html)
				}
			}
			for _, r := range tt.refused {
				if strings.Contains(html, r) {
					t.Errorf("HTML part has %q:\n%s", r, html)
				}
			}
			if got := p.parts["text/plain"]; got != m.Text {
				t.Errorf("text part = %q, want %q", got, m.Text)
			}
		})
	}
}
