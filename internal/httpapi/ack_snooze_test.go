package httpapi_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
)

// The ack page offers for this cycle, 1 day, 1 week and until the next
// stage; GET writes nothing; POST snoozes through the engine as the CLI
// does and is refused as the CLI is, in one line on the page.
func TestAckLinkSnooze(t *testing.T) {
	tests := []struct {
		name    string
		choice  string
		code    int
		want    []string
		until   time.Duration // the cycle's snooze end after now; 0: none
		ackedBy string
	}{
		{"1 day", "1d", http.StatusOK, []string{`id="title" class="ok">Snoozed<`, "Thank you, alice: snoozed until", `id="acknowledged">snoozed by alice until`}, 24 * time.Hour, "alice"},
		{"1 week", "1w", http.StatusOK, []string{"Snoozed<", "snoozed by alice until"}, 7 * 24 * time.Hour, "alice"},
		{"for this cycle", "cycle", http.StatusOK, []string{`class="ok">Acknowledged<`, `id="acknowledged">by alice at`}, 0, "alice"},
		{"until the next stage, after the last one: refused", "next-stage", http.StatusConflict,
			[]string{`class="bad">Not snoozed<`, "Not snoozed: no stage comes after", "Nothing was recorded", `value="next-stage" checked`}, 0, ""},
		{"an unknown choice", "1y", http.StatusBadRequest, []string{"Choose how long", "Nothing was recorded"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			link := f.tick()
			_, page := f.get(link)
			contains(t, "the page", page, `<input type="radio" name="for" value="cycle" checked>`, `value="1d"`, `value="1w"`, `value="next-stage"`)
			if n := len(f.acks()); n != 0 {
				t.Fatalf("GET recorded %d acknowledgments", n)
			}
			code, body := f.post(link, url.Values{"by": {"alice"}, "for": {tt.choice}})
			if code != tt.code {
				t.Fatalf("POST: %d, want %d\n%s", code, tt.code, body)
			}
			contains(t, "the answer", body, tt.want...)
			c := f.cycle()
			if c.AckBy != tt.ackedBy {
				t.Errorf("cycle acknowledged by %q, want %q", c.AckBy, tt.ackedBy)
			}
			var want time.Time
			if tt.until > 0 {
				want = f.now.Add(tt.until)
				contains(t, "the answer", body, "until "+want.In(f.eng.Config().Location).Format(channels.DateLayout))
			}
			if !c.AckUntil.Equal(want) {
				t.Errorf("snoozed until %s, want %s", c.AckUntil, want)
			}
		})
	}
}

// While a snooze lasts the page says who snoozed until when, and a second
// snooze names the first and writes nothing.
func TestAckLinkSnoozedTwice(t *testing.T) {
	f := newFixture(t)
	link := f.tick()
	if code, body := f.post(link, url.Values{"by": {"alice"}, "for": {"1d"}}); code != http.StatusOK {
		t.Fatalf("POST: %d\n%s", code, body)
	}
	_, body := f.get(link)
	contains(t, "the page while snoozed", body, `class="ok">Snoozed<`, "Snoozed by alice until")
	code, body := f.post(link, url.Values{"by": {"bob"}, "for": {"1w"}})
	if code != http.StatusOK {
		t.Fatalf("second POST: %d\n%s", code, body)
	}
	contains(t, "the second answer", body, "Already acknowledged", "Snoozed by alice until", "before you. Nothing more was recorded")
	if n := len(f.acks()); n != 1 {
		t.Errorf("%d ack events, want 1", n)
	}
}
