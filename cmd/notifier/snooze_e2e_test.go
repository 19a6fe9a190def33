package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/channels/webhook"
)

// sends is what the webhook received as "stage#seq" keys.
func sends(got []webhook.Payload) []string {
	out := []string{}
	for _, p := range got {
		out = append(out, fmt.Sprintf("%s#%d", p.Stage, p.Seq))
	}
	return out
}

func wantSends(t *testing.T, when string, got []webhook.Payload, want ...string) {
	t.Helper()
	if g := sends(got); strings.Join(g, ",") != strings.Join(want, ",") {
		t.Errorf("%s: sent %q, want %q", when, g, want)
	}
}

// The deadline of a credential rotated on 2026-06-01 is 2026-11-28 00:00
// UTC; the overdue stage repeats every 24h.

// TestEndToEndSnoozeEndsWithOneRepeat: a snooze for 3 days stops the
// overdue repeats; when it ends one repeat goes out, due at the end, not
// the three missed; then the daily rhythm resumes. Messages say who
// snoozed until when, and later that the snooze ended.
func TestEndToEndSnoozeEndsWithOneRepeat(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	e.okAt("2026-11-28T01:00:00Z", "tick")
	wantSends(t, "overdue", e.hook.take(), "overdue#0")
	out := e.okAt("2026-11-28T02:00:00Z", "ack", "sp-api-prod", "--by", "alice", "--for", "3d")
	if want := "sp-api-prod: snoozed by alice at 2026-11-28T02:00:00Z until 2026-12-01T02:00:00Z\n"; out != want {
		t.Errorf("ack --for 3d said %q, want %q", out, want)
	}
	// A second snooze while it lasts records nothing.
	if out := e.okAt("2026-11-28T03:00:00Z", "ack", "sp-api-prod", "--by", "bob", "--for", "1d"); !strings.Contains(out, "already snoozed by alice") {
		t.Errorf("a second snooze said %q, want already snoozed by alice", out)
	}
	for _, at := range []string{"2026-11-29T01:00:00Z", "2026-11-30T01:00:00Z", "2026-12-01T01:59:00Z"} {
		e.okAt(at, "tick")
		wantSends(t, "snoozed at "+at, e.hook.take())
	}
	e.okAt("2026-12-01T05:00:00Z", "tick")
	got := e.hook.take()
	wantSends(t, "after the end", got, "overdue#3")
	if len(got) == 1 && !strings.Contains(got[0].Text, "Snooze by alice ended Tue 1 Dec 2026 02:00 UTC.") {
		t.Errorf("the repeat at the end says:\n%s\nwant that alice's snooze ended", got[0].Text)
	}
	e.okAt("2026-12-01T23:00:00Z", "tick")
	wantSends(t, "before the next repeat", e.hook.take())
	e.okAt("2026-12-02T00:30:00Z", "tick")
	wantSends(t, "the rhythm resumes", e.hook.take(), "overdue#4")
	ev := e.history("--type", "ack")
	if len(ev) != 1 || ev[0].Actor != "alice" || ev[0].Detail != "snoozed via cli until 2026-12-01T02:00:00Z" {
		t.Errorf("ack history = %+v, want alice's snooze until 2026-12-01T02:00:00Z", ev)
	}
	// The report says who snoozed and until when, in every format.
	for _, format := range []string{"table", "csv", "json", "html"} {
		out := e.okAt("2026-12-02T01:00:00Z", "report", "--since", "2026-06-01", "--until", "2026-12-02", "-o", format)
		if !strings.Contains(out, "alice") || !strings.Contains(out, "snoozed until") && !strings.Contains(out, `"snoozed_until"`) || !strings.Contains(out, "2026-12-01") {
			t.Errorf("report -o %s does not say alice snoozed until 2026-12-01:\n%s", format, out)
		}
	}
}

// TestEndToEndSnoozeLetsAMoreUrgentStageOut: during a snooze until the
// next stage... and beyond, a more urgent stage still goes out, saying who
// snoozed until when.
func TestEndToEndSnoozeLetsAMoreUrgentStageOut(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	e.okAt("2026-10-29T01:00:00Z", "tick")
	wantSends(t, "30d", e.hook.take(), "30d#0")
	out := e.okAt("2026-10-29T02:00:00Z", "ack", "sp-api-prod", "--by", "alice", "--until", "2026-11-25")
	if want := "until 2026-11-25T00:00:00Z\n"; !strings.HasSuffix(out, want) {
		t.Errorf("ack --until said %q, want it to end with %q", out, want)
	}
	e.okAt("2026-11-21T01:00:00Z", "tick")
	got := e.hook.take()
	wantSends(t, "7d during the snooze", got, "7d#0")
	if len(got) == 1 && (!got[0].Acknowledged || !strings.Contains(got[0].Text, "Snoozed by alice until Wed 25 Nov 2026 00:00 UTC.")) {
		t.Errorf("the 7d notice (acknowledged %v) says:\n%s\nwant alice's snooze", got[0].Acknowledged, got[0].Text)
	}
}

// TestEndToEndSnoozeRefusals: each refusal is one line and records nothing.
func TestEndToEndSnoozeRefusals(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	cases := []struct {
		now  string
		args []string
		want string
	}{
		{"2026-11-28T02:00:00Z", []string{"--for", "0s"}, "--for: a snooze must last more than 0 (3d, 12h)"},
		{"2026-11-28T02:00:00Z", []string{"--until", "2026-11-27"}, "snooze of sp-api-prod: it ends at 2026-11-27T00:00:00Z, not after it starts at 2026-11-28T02:00:00Z"},
		{"2026-11-28T02:00:00Z", []string{"--next-stage"}, "snooze of sp-api-prod: no stage comes after 2026-11-28T02:00:00Z; acknowledge for the cycle, or snooze with --until or --for"},
		{"2026-11-28T02:00:00Z", []string{"--for", "1d", "--next-stage"}, "[for next-stage] were all set"},
	}
	for _, tc := range cases {
		_, errs, code := e.at(tc.now, append([]string{"ack", "sp-api-prod", "--by", "alice"}, tc.args...)...)
		var lines []string
		for _, l := range strings.Split(errs, "\n") {
			if strings.HasPrefix(l, "notifier: ") || strings.HasPrefix(l, "Error: ") {
				lines = append(lines, l)
			}
		}
		if code == 0 || len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
			t.Errorf("ack %v: exit %d, stderr %q; want one line with %q", tc.args, code, errs, tc.want)
		}
	}
	if ev := e.history("--type", "ack"); len(ev) != 0 {
		t.Errorf("refused snoozes recorded %+v", ev)
	}
	// Until the next stage: the 7d threshold.
	if out := e.okAt("2026-10-29T02:00:00Z", "ack", "sp-api-prod", "--by", "alice", "--next-stage"); !strings.HasSuffix(out, "until 2026-11-21T00:00:00Z\n") {
		t.Errorf("ack --next-stage said %q, want until the 7d stage at 2026-11-21T00:00:00Z", out)
	}
}
