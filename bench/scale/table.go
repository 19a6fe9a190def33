package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
)

// stdoutClock counts what a command writes and notes when its first byte
// and its first row (the end of its second line: the first after a
// header) came, since start.
type stdoutClock struct {
	start time.Time
	now   func() time.Time

	bytes              int64
	lines              int
	first, row         time.Duration
	seenFirst, seenRow bool
}

func (c *stdoutClock) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	t := c.now().Sub(c.start)
	if !c.seenFirst {
		c.first, c.seenFirst = t, true
	}
	if !c.seenRow {
		c.lines += bytes.Count(p, []byte("\n"))
		if c.lines >= 2 {
			c.row, c.seenRow = t, true
		}
	}
	c.bytes += int64(len(p))
	return len(p), nil
}

// countSeries counts the samples of a Prometheus text exposition: its
// lines that are neither empty nor a # comment (HELP, TYPE).
func countSeries(r io.Reader) (int, error) {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64*1024), 1<<20)
	n := 0
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			n++
		}
	}
	return n, s.Err()
}

// result is one command's measure.
type result struct {
	wall   time.Duration
	rssKiB int64
	out    *stdoutClock
}

// scrape is one /metrics scrape's measure.
type scrape struct {
	wall, first time.Duration
	bytes       int64
	series      int
	err         error // what cut the scrape short
}

// row is one row of issue 18's table.
type row struct {
	what, measured, target string
	met                    bool
}

// limits are a row's targets; a zero limit is no target.
type limits struct {
	firstRow, done time.Duration
	rssMB          float64
	text           string
}

// check says whether every limit holds.
func (l limits) check(first time.Duration, seenFirst bool, done time.Duration, rssKiB int64) bool {
	ok := true
	if l.firstRow > 0 {
		ok = ok && seenFirst && first < l.firstRow
	}
	if l.done > 0 {
		ok = ok && done <= l.done
	}
	if l.rssMB > 0 {
		ok = ok && mb(rssKiB) <= l.rssMB
	}
	return ok
}

var (
	listLimits   = limits{firstRow: 200 * time.Millisecond, done: 10 * time.Second, rssMB: 64, text: "first row < 0.2 s, done < 10 s, ≤ 64 MB"}
	reportLimits = limits{rssMB: 100, text: "≤ 100 MB"}
	htmlLimits   = limits{done: 60 * time.Second, rssMB: 100, text: "≤ 60 s, ≤ 100 MB"}
)

// views are the view rows, each run as a user runs it on the synced fleet.
var views = []struct {
	args   string
	limits limits
}{
	{"status", listLimits},
	{"plan", listLimits},
	{"history", listLimits},
	{"report --format json", reportLimits},
	{"report --format csv", reportLimits},
	{"report --format html", htmlLimits},
}

func viewRow(args string, l limits, r result) row {
	what := "`notifier " + args + "`"
	if args == "history" {
		what += " (table)"
	}
	return row{
		what: what,
		measured: fmt.Sprintf("first row %s, done %.2f s, %.1f MB peak, %s out",
			seconds(r.out.row, r.out.seenRow), r.wall.Seconds(), mb(r.rssKiB), size(r.out.bytes)),
		target: l.text,
		met:    l.check(r.out.row, r.out.seenRow, r.wall, r.rssKiB),
	}
}

func metricsRow(s scrape) row {
	r := row{
		what:     "`/metrics` scrape",
		measured: fmt.Sprintf("%.2f s, %s, %d series", s.wall.Seconds(), size(s.bytes), s.series),
		target:   "≤ 0.2 s, ≤ 1 MB, bounded series",
		met:      s.err == nil && s.wall <= 200*time.Millisecond && s.bytes <= 1<<20,
	}
	if s.err != nil {
		r.measured = fmt.Sprintf("failed after %.2f s (%s read): %v", s.wall.Seconds(), size(s.bytes), s.err)
	}
	return r
}

func idleRow(rssKiB int64) row {
	return row{
		what:     "idle daemon after one scrape",
		measured: fmt.Sprintf("%.1f MB", mb(rssKiB)),
		target:   "≤ 64 MB",
		met:      mb(rssKiB) <= 64,
	}
}

func mainFileRow(n int, r result) row {
	return row{
		what:     fmt.Sprintf("%s credentials in the main config file: a second tick, nothing changed", thousands(n)),
		measured: fmt.Sprintf("%.2f s, %.1f MB peak", r.wall.Seconds(), mb(r.rssKiB)),
		target:   "≤ 0.3 s, ≤ 200 MB at 100k",
		met:      r.wall <= 300*time.Millisecond && mb(r.rssKiB) <= 200,
	}
}

// printTable prints the rows as the markdown table of issue 18.
// how is the command that measured them.
func printTable(n int, how string, rows []row) {
	fmt.Printf("\nAt %s credentials (%s):\n\n", thousands(n), how)
	fmt.Println("| what | measured | target | met? |")
	fmt.Println("| --- | --- | --- | --- |")
	for _, r := range rows {
		met := "no"
		if r.met {
			met = "yes"
		}
		fmt.Printf("| %s | %s | %s | %s |\n", r.what, r.measured, r.target, met)
	}
}

func mb(kib int64) float64 { return float64(kib) / 1024 }

// seconds is d in seconds, or "-" when it was not seen.
func seconds(d time.Duration, seen bool) string {
	if !seen {
		return "-"
	}
	return fmt.Sprintf("%.3f s", d.Seconds())
}

// size is a byte count in kB or MB.
func size(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%.1f kB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

// thousands writes n with commas: 1,000,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
