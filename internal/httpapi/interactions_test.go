package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// click is a block_actions payload as Slack sends it: a click by the user
// (id U0ALICE, name) of team on the delivery's Acknowledge button, with
// Slack's trigger_id and action_ts.
func click(t *testing.T, team, name string, delivery int64) string {
	t.Helper()
	user, err := json.Marshal(map[string]string{"id": "U0ALICE", "name": name, "team_id": team})
	if err != nil {
		t.Fatal(err)
	}
	return `{"type":"block_actions","team":{"id":"` + team + `","domain":"acme"},"user":` + string(user) + `,
		"trigger_id":"1795737600.0001.abcdef","container":{"type":"message","message_ts":"1795737600.000100","channel_id":"C0OPS"},
		"channel":{"id":"C0OPS","name":"ops"},
		"actions":[{"type":"button","action_id":"notifier_ack","block_id":"notifier_actions","value":"` +
		strconv.FormatInt(delivery, 10) + `","action_ts":"1795737601.000200"}]}`
}

// do sends req and returns the status and the body.
func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return read(t, resp)
}

// drained counts the chat.update requests that reached slacktest. The
// handler updates the message before it answers, so after the answer
// every update has arrived.
func (f *fixture) drained() []url.Values {
	var out []url.Values
	for {
		select {
		case form := <-f.updates:
			out = append(out, form)
		default:
			return out
		}
	}
}

// With team_id set, a click from another workspace is refused (403) and
// changes nothing; one from the configured team acknowledges.
func TestSlackInteractionOfAnotherTeamRefused(t *testing.T) {
	tests := []struct {
		name, team string
		want       int
		acks       int
	}{
		{"another team", "T0THEIRS", http.StatusForbidden, 0},
		{"no team", "", http.StatusForbidden, 0},
		{"the configured team", "T0OURS", http.StatusOK, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixtureWith(t, botSlack+"\n    team_id: T0OURS")
			f.tick()
			d := f.deliveryTo("ops-slack")
			if code, body := do(t, signedSlack(t, f.api.URL, click(t, tc.team, "alice.slack", d.ID), signingSecret, time.Now())); code != tc.want {
				t.Fatalf("status %d, want %d: %s", code, tc.want, body)
			}
			if evs := f.acks(); len(evs) != tc.acks {
				t.Fatalf("%d acknowledgments, want %d: %+v", len(evs), tc.acks, evs)
			}
			if c := f.cycle(); (c.AckBy != "") != (tc.acks == 1) {
				t.Errorf("cycle acknowledged by %q, want acknowledged %v", c.AckBy, tc.acks == 1)
			}
			if ups := f.drained(); len(ups) != tc.acks {
				t.Errorf("%d chat.update calls, want %d", len(ups), tc.acks)
			}
		})
	}
}

// A Slack user name is taken as the ack form's `by` field would take it:
// trimmed, and refused when it holds control or bidirectional characters,
// in which case the user's Slack id stands for the name. A mention is kept
// as text and never reaches Slack as a mention.
func TestSlackInteractionNameSanitisedLikeTheForm(t *testing.T) {
	tests := []struct {
		name, user, want string
	}{
		{"escape", "alice\x1b[2J", "U0ALICE"},
		{"newline", "alice\nroot acknowledged everything", "U0ALICE"},
		{"right-to-left override", "\u202eecila", "U0ALICE"},
		{"mention", "<!channel>", "<!channel>"},
		{"spaces", "  alice.slack  ", "alice.slack"},
		{"too long", strings.Repeat("a", 101), "U0ALICE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The form, with the same name as by.
			form := newFixture(t)
			code, _ := form.post(form.tick(), url.Values{"by": {tc.user}})
			formBy := "U0ALICE" // refused by the form: the Slack id stands in
			if code == http.StatusOK {
				formBy = form.acks()[0].Actor
			}

			f := newFixture(t)
			f.tick()
			d := f.deliveryTo("ops-slack")
			if code, body := do(t, signedSlack(t, f.api.URL, click(t, "T0OURS", tc.user, d.ID), signingSecret, time.Now())); code != http.StatusOK {
				t.Fatalf("status %d: %s", code, body)
			}
			evs := f.acks()
			if len(evs) != 1 || evs[0].Actor != tc.want || evs[0].Actor != formBy {
				t.Fatalf("history: %+v, want one ack by %q (the form's by: %q)", evs, tc.want, formBy)
			}
			ups := f.drained()
			if len(ups) != 1 {
				t.Fatalf("%d chat.update calls, want 1", len(ups))
			}
			if blocks := ups[0].Get("blocks"); strings.Contains(blocks, "<!channel>") || strings.Contains(blocks, "\\u003c!channel\\u003e") || strings.Contains(blocks, "\u202e") {
				t.Errorf("chat.update carries the name as is: %s", blocks)
			}
		})
	}
}

// The same signed click POSTed again (within Slack's five minutes)
// changes nothing: one acknowledgment, one chat.update.
func TestSlackInteractionReplayChangesNothing(t *testing.T) {
	f := newFixture(t)
	f.tick()
	d := f.deliveryTo("ops-slack")
	at := time.Now()
	payload := click(t, "T0OURS", "alice.slack", d.ID)
	for i := range 3 {
		if code, body := do(t, signedSlack(t, f.api.URL, payload, signingSecret, at)); code != http.StatusOK {
			t.Fatalf("POST %d: status %d: %s", i+1, code, body)
		}
	}
	if evs := f.acks(); len(evs) != 1 || evs[0].Actor != "alice.slack" {
		t.Errorf("history: %+v, want one ack by alice.slack", evs)
	}
	if ups := f.drained(); len(ups) != 1 {
		t.Errorf("%d chat.update calls, want 1", len(ups))
	}
	// Another click (another trigger) on the same message is not a replay:
	// it is answered, records nothing more, and updates the message.
	other := strings.Replace(payload, "abcdef", "fedcba", 1)
	if code, body := do(t, signedSlack(t, f.api.URL, other, signingSecret, at)); code != http.StatusOK {
		t.Fatalf("another click: status %d: %s", code, body)
	}
	if evs := f.acks(); len(evs) != 1 {
		t.Errorf("another click: %d acknowledgments, want 1", len(evs))
	}
	if ups := f.drained(); len(ups) != 1 {
		t.Errorf("another click: %d chat.update calls, want 1", len(ups))
	}
}
