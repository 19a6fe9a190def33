package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/engine"
)

// A click that records nothing (a snooze refused, a button of a closed
// cycle, a reminder notifier does not know) is told to the person who
// clicked, in Slack, in words: only to them (an ephemeral message), the
// clicked message left as it is. Through the interaction's response_url
// when Slack gave one, else chat.postEphemeral with the bot token.
func TestSlackRefusedClickIsToldToTheClicker(t *testing.T) {
	tests := []struct {
		name        string
		actionID    string
		before      func(*fixture)
		unknown     bool // the button names a delivery notifier does not know
		responseURL bool
		want        string
	}{
		{"until next stage after the last stage, response_url", "notifier_snooze_next_stage", nil, false, true, "no stage comes after"},
		{"until next stage after the last stage, bot token", "notifier_snooze_next_stage", nil, false, false, "no stage comes after"},
		{"snooze of a closed cycle", "notifier_snooze_1d", rotate, false, true, "rotated since"},
		{"acknowledge of a closed cycle", "notifier_ack", rotate, false, false, "rotated since"},
		{"unknown reminder", "notifier_snooze_1w", nil, true, true, "does not know this reminder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.tick()
			id := f.deliveryTo("ops-slack").ID
			if tt.unknown {
				id += 1000
			}
			if tt.before != nil {
				tt.before(f)
			}
			acks := len(f.acks())
			told := make(chan map[string]any, 4)
			respond := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				var m map[string]any
				if err := json.Unmarshal(body, &m); err != nil {
					t.Errorf("response_url body %q: %v", body, err)
				}
				told <- m
			}))
			defer respond.Close()
			responseURL := ""
			if tt.responseURL {
				responseURL = respond.URL + "/actions/T0/1/abc"
			}
			payload := fmt.Sprintf(`{"type":"block_actions","user":{"id":"U0ALICE","name":"alice.slack"},
				"container":{"type":"message","message_ts":"1795737600.000100","channel_id":"C0OPS"},
				"channel":{"id":"C0OPS","name":"ops"},"response_url":%q,
				"actions":[{"type":"button","action_id":%q,"block_id":"notifier_actions","value":"%d"}]}`, responseURL, tt.actionID, id)
			if code, body := do(t, signedSlack(t, f.api.URL, payload, signingSecret, time.Now())); code != http.StatusOK {
				t.Fatalf("status %d: %s", code, body)
			}
			if n := len(f.acks()); n != acks {
				t.Errorf("a refused click recorded %d acknowledgments", n-acks)
			}
			if ups := f.drained(); len(ups) != 0 {
				t.Errorf("a refused click updated the message: %v", ups)
			}
			var text string
			if tt.responseURL {
				select {
				case m := <-told:
					if m["response_type"] != "ephemeral" || m["replace_original"] != false {
						t.Errorf("response_url got %v, want an ephemeral message that keeps the original", m)
					}
					text, _ = m["text"].(string)
				default:
					t.Fatal("the clicker was told nothing through response_url")
				}
			} else {
				select {
				case form := <-f.ephemerals:
					if form.Get("user") != "U0ALICE" || form.Get("channel") != "C0OPS" {
						t.Errorf("chat.postEphemeral to user %q in %q, want U0ALICE in C0OPS", form.Get("user"), form.Get("channel"))
					}
					text = form.Get("text")
				default:
					t.Fatal("the clicker was told nothing through chat.postEphemeral")
				}
			}
			if !strings.HasPrefix(text, "Nothing was recorded: ") || !strings.Contains(text, tt.want) {
				t.Errorf("the clicker was told %q, want \"Nothing was recorded: …%s…\"", text, tt.want)
			}
			if !tt.unknown && !strings.Contains(text, "SP-API &lt;production&gt;") {
				t.Errorf("the clicker was told %q, want the credential's name escaped for Slack", text)
			}
		})
	}
}

// rotate records a rotation now: the clicked reminder's cycle is closed.
func rotate(f *fixture) {
	f.t.Helper()
	if err := f.eng.Rotate(context.Background(), engine.Rotation{Credential: "sp-api-prod", At: f.now, By: "op", Source: "cli"}); err != nil {
		f.t.Fatal(err)
	}
}
