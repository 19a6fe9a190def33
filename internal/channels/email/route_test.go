package email

import (
	"context"
	"slices"
	"testing"
)

// A message with To (the owner's route) goes to those addresses instead
// of the channel's to:; cc: still gets it.
func TestSendToOwnerRoute(t *testing.T) {
	ts := startServer(t, serverOpts{})
	cfg := baseConfig(ts, "")
	cfg.TLS = TLSNone
	ch := newChannel(t, cfg)
	for _, tt := range []struct {
		to, want []string
	}{
		{nil, []string{"admins@example.com", "bob@example.org", "audit@example.net"}},
		{[]string{"pay@example.com", "Payments Lead <lead@example.com>"}, []string{"pay@example.com", "lead@example.com", "audit@example.net"}},
	} {
		before := len(ts.messages())
		m := reminder(t)
		m.To = tt.to
		if err := ch.Send(context.Background(), m); err != nil {
			t.Fatalf("Send: %v", err)
		}
		msgs := ts.messages()
		if len(msgs) != before+1 {
			t.Fatalf("server received %d messages, want %d", len(msgs), before+1)
		}
		got := msgs[len(msgs)-1]
		if !slices.Equal(got.rcpts, tt.want) {
			t.Errorf("To %q: RCPT TO = %v, want %v", tt.to, got.rcpts, tt.want)
		}
		if tt.to != nil {
			want := []string{" <pay@example.com>", "Payments Lead <lead@example.com>"}
			if h := addresses(t, parse(t, got.data).header, "To"); !slices.Equal(h, want) {
				t.Errorf("To header = %v, want %v", h, want)
			}
		}
	}
}
