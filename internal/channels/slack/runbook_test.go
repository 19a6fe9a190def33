package slack_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/channels/slack"
)

// The runbook shows in the blocks whatever the template: its text as
// plain_text (no mrkdwn, no mention, no link), its URL as one escaped
// link, the impact escaped in mrkdwn.
func TestBlocksRunbook(t *testing.T) {
	hostile := "*bold* <https://evil.example|click> <!channel> & `code`"
	tests := []struct {
		name              string
		runbook, url, imp string
		text              string // m.Text, when not reminder()'s
		wantPlain         string // a plain_text section's whole text
		wantMrkdwn        []string
		refused           []string // never in any mrkdwn text
		sections          int      // plain_text sections, header excluded
	}{
		{"hostile text", hostile, "", "everything <!here> breaks", "",
			"How to rotate:\n" + hostile, []string{"*If nobody rotates:* everything &lt;!here&gt; breaks"},
			[]string{"<!channel>", "<!here>", "<https://evil.example|click>"}, 2},
		{"url", "", "https://wiki.example.com/rotate?a=1&b=2", "", "",
			"", []string{"*How to rotate:* <https://wiki.example.com/rotate?a=1&amp;b=2|https://wiki.example.com/rotate?a=1&amp;b=2>"},
			[]string{"If nobody rotates"}, 1},
		{"said by the template already", "Use vault.", "", "billing stops", "How to rotate: Use vault.\nIf nobody rotates: billing stops",
			"How to rotate: Use vault.\nIf nobody rotates: billing stops", nil, []string{"If nobody rotates"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := reminder()
			m.Runbook, m.RunbookURL, m.Impact = tt.runbook, tt.url, tt.imp
			if tt.text != "" {
				m.Text = tt.text
			}
			blocks := wireBlocks(t, m)
			var plains, mrkdwns []string
			sections := 0
			for _, b := range blocks {
				if b.Type == "section" && b.Text != nil && b.Text.Type == "plain_text" {
					sections++
				}
				texts := append([]wireText{}, b.Fields...)
				if b.Text != nil {
					texts = append(texts, *b.Text)
				}
				for _, e := range b.Elements {
					if s, ok := e["text"].(string); ok && e["type"] == "mrkdwn" {
						texts = append(texts, wireText{Type: "mrkdwn", Text: s})
					}
				}
				for _, tx := range texts {
					if tx.Type == "plain_text" {
						plains = append(plains, tx.Text)
					} else {
						mrkdwns = append(mrkdwns, tx.Text)
					}
				}
			}
			if sections != tt.sections {
				t.Errorf("%d plain_text sections, want %d", sections, tt.sections)
			}
			if tt.wantPlain != "" && !contains(plains, func(s string) bool { return s == tt.wantPlain }) {
				t.Errorf("no plain_text %q among %q", tt.wantPlain, plains)
			}
			for _, w := range tt.wantMrkdwn {
				if !contains(mrkdwns, func(s string) bool { return strings.Contains(s, w) }) {
					t.Errorf("no mrkdwn with %q among %q", w, mrkdwns)
				}
			}
			for _, r := range tt.refused {
				if contains(mrkdwns, func(s string) bool { return strings.Contains(s, r) }) {
					t.Errorf("mrkdwn carries %q: %q", r, mrkdwns)
				}
			}
		})
	}
}

func contains(ss []string, f func(string) bool) bool {
	for _, s := range ss {
		if f(s) {
			return true
		}
	}
	return false
}

// wireBlocks are m's blocks as Slack receives them.
func wireBlocks(t *testing.T, m channels.Message) []wireBlock {
	t.Helper()
	raw, err := json.Marshal(slack.Blocks(m))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []wireBlock
	if err := json.Unmarshal(raw, &blocks); err != nil {
		t.Fatal(err)
	}
	return blocks
}
