package slack_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/channels/slack"
)

// Made up for these tests, never real.
const testSigningSecret = "test-slack-signing-secret-0000000000"

func interactiveChannel(t *testing.T, secret string) channels.InteractiveChannel {
	t.Helper()
	ch, err := slack.New("ops", slack.Config{WebhookURL: "https://hooks.slack.invalid" + hookPath, SigningSecret: channels.Secret(secret)}, channels.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// signed is Slack's signature header of body with secret at ts.
func signed(secret string, ts time.Time, body []byte) http.Header {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", stamp, body)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", stamp)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return h
}

// A request verifies only when signed with the channel's secret, within
// five minutes of the real clock.
func TestVerifyInteraction(t *testing.T) {
	body := []byte("payload=%7B%7D")
	tests := []struct {
		name    string
		channel string // the channel's signing secret
		header  http.Header
		ok      bool
	}{
		{"good", testSigningSecret, signed(testSigningSecret, time.Now(), body), true},
		{"unsigned", testSigningSecret, http.Header{}, false},
		{"another secret", testSigningSecret, signed("another-secret-000000000000000000", time.Now(), body), false},
		{"stale", testSigningSecret, signed(testSigningSecret, time.Now().Add(-6*time.Minute), body), false},
		{"from the future", testSigningSecret, signed(testSigningSecret, time.Now().Add(6*time.Minute), body), false},
		{"no signing secret configured", "", signed("", time.Now(), body), false},
	}
	for _, tc := range tests {
		err := interactiveChannel(t, tc.channel).VerifyInteraction(tc.header, body)
		if (err == nil) != tc.ok {
			t.Errorf("%s: VerifyInteraction = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

func TestParseInteraction(t *testing.T) {
	form := func(payload string) []byte { return []byte(url.Values{"payload": {payload}}.Encode()) }
	tests := []struct {
		name string
		body []byte
		want channels.Interaction
		err  bool
	}{
		{"the Acknowledge button", form(`{"type":"block_actions","user":{"id":"U0ALICE","name":"alice"},
			"container":{"message_ts":"1.2","channel_id":"C0OPS"},"response_url":"https://hooks.slack.invalid/actions/1",
			"actions":[{"type":"button","block_id":"notifier_actions","action_id":"notifier_ack","value":"42"}]}`),
			channels.Interaction{Action: channels.ActionAcknowledge, DeliveryID: 42, Actor: "alice", ActorID: "U0ALICE", Conversation: "C0OPS", MessageID: "1.2", ResponseURL: "https://hooks.slack.invalid/actions/1"}, false},
		{"no container, no user name", form(`{"type":"block_actions","user":{"id":"U0ALICE"},
			"channel":{"id":"C0OPS"},"message":{"ts":"1.3"},"actions":[{"type":"button","block_id":"notifier_actions","action_id":"notifier_ack","value":"7"}]}`),
			channels.Interaction{Action: channels.ActionAcknowledge, DeliveryID: 7, Actor: "U0ALICE", ActorID: "U0ALICE", Conversation: "C0OPS", MessageID: "1.3"}, false},
		{"another app's button", form(`{"type":"block_actions","user":{"id":"U0ALICE"},"actions":[{"type":"button","block_id":"notifier_actions","action_id":"other","value":"7"}]}`),
			channels.Interaction{}, false},
		{"not a block action", form(`{"type":"view_submission","user":{"id":"U0ALICE"},"actions":[{"type":"button","block_id":"notifier_actions","action_id":"notifier_ack","value":"7"}]}`),
			channels.Interaction{}, false},
		{"not a delivery id", form(`{"type":"block_actions","user":{"id":"U0ALICE"},"actions":[{"type":"button","block_id":"notifier_actions","action_id":"notifier_ack","value":"x"}]}`),
			channels.Interaction{}, false},
		{"not JSON", form(`{`), channels.Interaction{}, true},
		{"not a form", []byte("payload=%zz"), channels.Interaction{}, true},
	}
	ch := interactiveChannel(t, testSigningSecret)
	for _, tc := range tests {
		got, err := ch.ParseInteraction(tc.body)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("%s: ParseInteraction = %+v, %v; want %+v, error %v", tc.name, got, err, tc.want, tc.err)
		}
	}
}

// With team_id set, a click from another workspace (or one that names
// none) is refused with channels.ErrNotAllowed; one from the team is read.
func TestParseInteractionTeam(t *testing.T) {
	// team_id is a workspace (T…) or, in an Enterprise Grid, the
	// organisation (E…): a click carries both its workspace's team.id and,
	// in a Grid, its organisation's enterprise.id.
	tests := []struct {
		teamID, team, enterprise string
		allowed                  bool
	}{
		{"T0OURS", "T0OURS", "", true},
		{"T0OURS", "T0THEIRS", "", false},
		{"T0OURS", "", "", false},
		{"T0OURS", "T0THEIRS", "T0OURS", false}, // an enterprise id is no workspace id
		{"E0ORG", "T0WS", "E0ORG", true},
		{"E0ORG", "T0WS", "E0OTHER", false},
		{"E0ORG", "E0ORG", "", false}, // a workspace's team.id never names the organisation
		{"E0ORG", "T0WS", "", false},
	}
	for _, tc := range tests {
		ch, err := slack.New("ops", slack.Config{WebhookURL: "https://hooks.slack.invalid" + hookPath, SigningSecret: testSigningSecret, TeamID: tc.teamID}, channels.Options{})
		if err != nil {
			t.Fatal(err)
		}
		body := []byte(url.Values{"payload": {`{"type":"block_actions","team":{"id":"` + tc.team + `"},"enterprise":{"id":"` + tc.enterprise + `"},"user":{"id":"U0ALICE","name":"alice"},
			"container":{"message_ts":"1.2","channel_id":"C0OPS"},"actions":[{"type":"button","block_id":"notifier_actions","action_id":"notifier_ack","value":"42"}]}`}}.Encode())
		in, err := ch.ParseInteraction(body)
		if tc.allowed && (err != nil || in.DeliveryID != 42 || in.Actor != "alice") {
			t.Errorf("team_id %s, team %q, enterprise %q: ParseInteraction = %+v, %v; want delivery 42 by alice", tc.teamID, tc.team, tc.enterprise, in, err)
		}
		if !tc.allowed && (!errors.Is(err, channels.ErrNotAllowed) || in != (channels.Interaction{})) {
			t.Errorf("team_id %s, team %q, enterprise %q: ParseInteraction = %+v, %v; want channels.ErrNotAllowed", tc.teamID, tc.team, tc.enterprise, in, err)
		}
	}
}
