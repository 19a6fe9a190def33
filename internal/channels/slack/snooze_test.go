package slack_test

import (
	"strings"
	"testing"
	"time"
)

// While a snooze lasts, the blocks say who snoozed until when and carry
// no Acknowledge button; never "Acknowledged by".
func TestBlocksSnoozed(t *testing.T) {
	m := reminder()
	m.Acknowledged, m.AcknowledgedBy, m.AcknowledgedAt = true, "alice", m.Now.Add(-time.Hour)
	m.SnoozedUntil = time.Date(2026, 4, 3, 9, 0, 0, 0, zone)
	var texts []string
	for _, b := range wireBlocks(t, m) {
		if b.Type == "actions" {
			t.Errorf("a snoozed message has an actions block")
		}
		for _, e := range b.Elements {
			if s, ok := e["text"].(string); ok {
				texts = append(texts, s)
			}
		}
	}
	all := strings.Join(texts, "\n")
	if want := "Snoozed by alice until " + m.SnoozedUntil.Format("Mon 2 Jan 2006 15:04 MST"); !strings.Contains(all, want) {
		t.Errorf("blocks lack %q:\n%s", want, all)
	}
	if strings.Contains(all, "Acknowledged by") {
		t.Errorf("a snoozed message says acknowledged:\n%s", all)
	}
}
