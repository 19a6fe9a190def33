package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
)

// The snooze buttons on a Slack message snooze through the engine, as the
// CLI and the ack page do, and chat.update then says who snoozed until
// when, without buttons; "until next stage" after the last stage is
// refused: nothing recorded, the message left with its buttons.
func TestSlackSnoozeButtons(t *testing.T) {
	tests := []struct {
		name     string
		actionID string
		until    time.Duration // 0: refused
	}{
		{"snooze 1 day", "notifier_snooze_1d", 24 * time.Hour},
		{"snooze 1 week", "notifier_snooze_1w", 7 * 24 * time.Hour},
		{"until next stage, after the last stage", "notifier_snooze_next_stage", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.tick()
			d := f.deliveryTo("ops-slack")
			payload := fmt.Sprintf(`{"type":"block_actions","user":{"id":"U0ALICE","name":"alice.slack"},
				"container":{"type":"message","message_ts":"1795737600.000100","channel_id":"C0OPS"},
				"channel":{"id":"C0OPS","name":"ops"},
				"actions":[{"type":"button","action_id":%q,"block_id":"notifier_actions","value":"%d"}]}`, tt.actionID, d.ID)
			code, body := do(t, signedSlack(t, f.api.URL, payload, signingSecret, time.Now()))
			if code != http.StatusOK {
				t.Fatalf("status %d: %s", code, body)
			}
			c := f.cycle()
			if tt.until == 0 {
				if n := len(f.acks()); n != 0 || c.AckBy != "" {
					t.Errorf("a refused snooze recorded %d acknowledgments (cycle by %q)", n, c.AckBy)
				}
				select {
				case form := <-f.updates:
					t.Errorf("a refused snooze updated the message: %s", form.Get("blocks"))
				default:
				}
				return
			}
			want := f.now.Add(tt.until)
			if c.AckBy != "alice.slack" || !c.AckUntil.Equal(want) {
				t.Errorf("cycle snoozed by %q until %s, want alice.slack until %s", c.AckBy, c.AckUntil, want)
			}
			if evs := f.acks(); len(evs) != 1 || evs[0].Status != "slack" || evs[0].DeliveryID != d.ID {
				t.Errorf("history: %+v, want one ack via slack of delivery %d", evs, d.ID)
			}
			select {
			case form := <-f.updates:
				line := "Snoozed by alice.slack until " + want.In(f.eng.Config().Location).Format(channels.DateLayout)
				if blocks := form.Get("blocks"); !strings.Contains(blocks, line) || strings.Contains(blocks, "notifier_snooze") || strings.Contains(blocks, "Acknowledged by") {
					t.Errorf("chat.update blocks lack %q or keep buttons:\n%s", line, blocks)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no chat.update reached slacktest")
			}
		})
	}
}
