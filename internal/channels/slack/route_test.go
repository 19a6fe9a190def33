package slack_test

import (
	"context"
	"testing"

	"github.com/notifier-dev/notifier/internal/channels/slack"
)

// A message with To (the owner's route) is posted to that Slack channel
// or user instead of the channel's own.
func TestSendToOwnerRoute(t *testing.T) {
	for _, tt := range []struct {
		to   []string
		want string
	}{
		{nil, "#ops"},
		{[]string{"#team-payments"}, "#team-payments"},
		{[]string{"U024BE7LH"}, "U024BE7LH"},
	} {
		rec := &recorder{}
		srv := newSlack(t, rec)
		ch := newChannel(t, slack.Config{Token: testToken, Channel: "#ops", APIURL: srv.GetAPIURL()})
		m := reminder()
		m.To = tt.to
		if err := ch.Send(context.Background(), m); err != nil {
			t.Fatalf("Send: %v", err)
		}
		got := rec.received()
		if len(got) != 1 || got[0].form.Get("channel") != tt.want {
			t.Errorf("To %q: posted %d messages, channel %q; want one to %q", tt.to, len(got), got[0].form.Get("channel"), tt.want)
		}
	}
}
