package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/notifier-dev/notifier/internal/domain"
)

func historyEvents(n int) []domain.Event {
	at := time.Date(2026, 11, 21, 1, 0, 0, 0, time.UTC)
	out := make([]domain.Event, n)
	for i := range out {
		out[i] = domain.Event{Time: at.Add(time.Duration(i) * time.Minute), Type: domain.EventReminder, CredentialID: fmt.Sprintf("cred-%06d", i),
			Stage: "30d", Channel: "ops", Status: "sent", Detail: "sent to ops, a detail long enough to be cut <&> in a narrow table " + strings.Repeat("x", i%50)}
		if i%2 == 0 {
			out[i].RecordedAt = out[i].Time
		}
	}
	return out
}

// TestHistoryJSONIsTheArrayItWas: streamed row by row, -o json is byte
// for byte the indented array of every row it always printed (an empty
// history too).
func TestHistoryJSONIsTheArrayItWas(t *testing.T) {
	for _, n := range []int{0, 1, 3} {
		events := historyEvents(n)
		rows := make([]historyRow, len(events))
		for i, e := range events {
			rows[i] = historyRow{Time: e.Time.Format(time.RFC3339), Type: e.Type, Credential: e.CredentialID, Stage: e.Stage, Channel: e.Channel,
				Status: e.Status, Detail: e.Detail}
			if !e.RecordedAt.IsZero() {
				at := e.RecordedAt.Format(time.RFC3339)
				rows[i].Recorded = &at
			}
		}
		var want, got, lines bytes.Buffer
		if err := writeJSON(&want, rows); err != nil {
			t.Fatal(err)
		}
		if err := History(&got, "json", events, time.UTC); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("history json of %d events:\n%s\nwant\n%s", n, got.String(), want.String())
		}
		// JSON Lines: the same rows, one compact object a line.
		if err := History(&lines, "jsonl", events, time.UTC); err != nil {
			t.Fatal(err)
		}
		var back []historyRow
		for _, l := range strings.SplitAfter(lines.String(), "\n") {
			if l == "" {
				continue
			}
			var r historyRow
			if err := json.Unmarshal([]byte(l), &r); err != nil || !strings.HasSuffix(l, "}\n") || strings.Count(l, "\n") != 1 {
				t.Fatalf("history jsonl line %q: %v", l, err)
			}
			back = append(back, r)
		}
		if b1, _ := json.Marshal(back); len(back) != n || (n > 0 && string(b1) != mustJSON(t, rows)) {
			t.Errorf("history jsonl of %d events: %s", n, lines.String())
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestHistoryTableWidth: at a terminal's width every line fits, the two
// times stay whole and long cells end in "…"; without one (a pipe) the
// table is whole, aligned as tabwriter aligned it.
func TestHistoryTableWidth(t *testing.T) {
	events := historyEvents(HistoryPrefix + 50) // past the prefix: the later rows use its widths
	for _, width := range []int{80, 100, 120} {
		var b bytes.Buffer
		w := NewHistoryWriter(&b, "table", time.UTC, width)
		for _, e := range events {
			if err := w.Event(e); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Finish(); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		if len(lines) != len(events)+1 {
			t.Fatalf("width %d: %d lines, want %d", width, len(lines), len(events)+1)
		}
		for i, l := range lines {
			if n := utf8.RuneCountInString(l); n > width {
				t.Errorf("width %d: line %d has %d characters: %q", width, i, n, l)
			}
		}
		last := lines[len(lines)-1]
		if !strings.HasPrefix(last, "2026-11-21T05:09:00Z  -  ") || !strings.HasSuffix(last, "…") {
			t.Errorf("width %d: last row %q: want its time whole and its detail cut with …", width, last)
		}
	}
	var b bytes.Buffer
	if err := History(&b, "table", events, time.UTC); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), events[len(events)-1].Detail+"\n") {
		t.Errorf("the table without a width cut the detail")
	}
}

// failAfter is a writer that fails once it has taken limit bytes.
type failAfter struct{ n, limit int }

var errFull = errors.New("the reader went away")

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n+len(p) > f.limit {
		return 0, errFull
	}
	f.n += len(p)
	return len(p), nil
}

// TestHistoryWritesAsItReads: in every format, a writer that fails after
// 200 kB fails an Event call long before the last of 10,000 events
// (about 1.5 MB): rows are written as they are handed over, not held
// until the end, so memory does not grow with the history.
func TestHistoryWritesAsItReads(t *testing.T) {
	events := historyEvents(10_000)
	for _, format := range HistoryFormats {
		w := NewHistoryWriter(&failAfter{limit: 200_000}, format, time.UTC, 0)
		n, err := 0, error(nil)
		for _, e := range events {
			if err = w.Event(e); err != nil {
				break
			}
			n++
		}
		if !errors.Is(err, errFull) || n > len(events)/2 {
			t.Errorf("%s: %d events taken before the writer's error (%v), want it seen before %d", format, n, err, len(events)/2)
		}
	}
}
