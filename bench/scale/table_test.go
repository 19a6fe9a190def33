package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

// TestStdoutClock: the first byte and the first row (the end of the
// second line) are timed at the write that brought them, however the
// output is cut into writes.
func TestStdoutClock(t *testing.T) {
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		writes     []string
		first, row time.Duration // after start; each write is 1 s after the one before
		seenRow    bool
		bytes      int64
	}{
		{"header and rows in one write", []string{"ID  STATE\ncred-1  ok\n"}, time.Second, time.Second, true, 21},
		{"header first, rows later", []string{"ID  STATE\n", "cred-1  ok\n", "cred-2  ok\n"}, time.Second, 2 * time.Second, true, 32},
		{"a row cut across writes", []string{"[", "\n{\"id\":", "\"cred-1\"}", ",\n"}, time.Second, 4 * time.Second, true, 19},
		{"one line only", []string{"no credentials\n"}, time.Second, 0, false, 15},
		{"empty writes do not count", []string{"", "a\nb\n"}, 2 * time.Second, 2 * time.Second, true, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := start
			c := &stdoutClock{start: start, now: func() time.Time { return at }}
			for _, w := range tc.writes {
				at = at.Add(time.Second)
				if n, err := c.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v; want %d, nil", w, n, err, len(w))
				}
			}
			if !c.seenFirst || c.first != tc.first {
				t.Errorf("first byte at %v (seen %v), want %v", c.first, c.seenFirst, tc.first)
			}
			if c.seenRow != tc.seenRow || c.row != tc.row {
				t.Errorf("first row at %v (seen %v), want %v (seen %v)", c.row, c.seenRow, tc.row, tc.seenRow)
			}
			if c.bytes != tc.bytes {
				t.Errorf("bytes = %d, want %d", c.bytes, tc.bytes)
			}
		})
	}
}

// TestCountSeries counts the samples of a text exposition, not its HELP
// and TYPE comments or blank lines.
func TestCountSeries(t *testing.T) {
	body := `# HELP notifier_credentials Credentials by state.
# TYPE notifier_credentials gauge
notifier_credentials{state="ok"} 99990
notifier_credentials{state="overdue"} 10

# HELP go_goroutines Number of goroutines.
# TYPE go_goroutines gauge
go_goroutines 12
notifier_deadline_seconds{credential="cred-000001",owner="team-1"} 1.7e+09`
	n, err := countSeries(strings.NewReader(body))
	if err != nil || n != 4 {
		t.Fatalf("countSeries = %d, %v; want 4, nil", n, err)
	}
}

// TestThousands writes counts as the docs do.
func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 100000: "100,000", 1000000: "1,000,000"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestLogAddr reads the daemon's HTTP address from its log line.
func TestLogAddr(t *testing.T) {
	for line, want := range map[string]string{
		`time=2026-12-06T17:50:00Z level=INFO msg="http listening" addr=127.0.0.1:41234 public_url=""`: "127.0.0.1:41234",
		`time=2026-12-06T17:50:00Z level=INFO msg="notifier running" schedule="*/5 * * * *"`:           "",
	} {
		if got := logAddr(line); got != want {
			t.Errorf("logAddr(%q) = %q, want %q", line, got, want)
		}
	}
}

// TestMetricsRow: a scrape meets its target only when it ended well, within
// 0.2 s and 1 MB; one cut short says so.
func TestMetricsRow(t *testing.T) {
	for _, tc := range []struct {
		name     string
		s        scrape
		met      bool
		measured string
	}{
		{"small and fast", scrape{wall: 150 * time.Millisecond, bytes: 300 << 10, series: 4000}, true, "0.15 s, 300.0 kB, 4000 series"},
		{"too slow", scrape{wall: 4 * time.Second, bytes: 300 << 10, series: 4000}, false, "4.00 s, 300.0 kB, 4000 series"},
		{"too big", scrape{wall: 150 * time.Millisecond, bytes: 14 << 20, series: 200064}, false, "0.15 s, 14.0 MB, 200064 series"},
		{"cut short", scrape{wall: 30 * time.Second, err: io.ErrUnexpectedEOF}, false, "failed after 30.00 s (0.0 kB read): unexpected EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := metricsRow(tc.s)
			if r.met != tc.met || r.measured != tc.measured {
				t.Errorf("metricsRow = %q met %v, want %q met %v", r.measured, r.met, tc.measured, tc.met)
			}
		})
	}
}
