package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/notifier-dev/notifier/internal/engine"
)

// planPrefix is how many rows a streamed plan table sizes its columns
// from: a longer cell further down overflows its column.
const planPrefix = 1000

// PlanStream prints plan rows as they come, in format table, json (one
// array, written as it goes) or jsonl (one object a line). Row prints a
// row; Close ends the output. Memory is bounded by planPrefix rows.
type PlanStream struct {
	w      *bufio.Writer
	format string
	n      int
	prefix [][5]string
	widths [5]int
}

// NewPlanStream starts a plan on w.
func NewPlanStream(w io.Writer, format string) *PlanStream {
	return &PlanStream{w: bufio.NewWriterSize(w, 64<<10), format: format}
}

// Row prints r; a table's first rows wait until planPrefix are known. Each
// row of json and jsonl is flushed at once, so a reader sees it while the
// plan goes on.
func (p *PlanStream) Row(r engine.Upcoming) error {
	p.n++
	switch p.format {
	case "json", "jsonl":
		b, err := json.Marshal(r)
		if p.format == "json" {
			b, err = json.MarshalIndent(r, "  ", "  ")
		}
		if err != nil {
			return fmt.Errorf("plan: %w", err)
		}
		switch {
		case p.format == "jsonl":
		case p.n == 1:
			p.w.WriteString("[\n  ")
		default:
			p.w.WriteString(",\n  ")
		}
		p.w.Write(b)
		if p.format == "jsonl" {
			p.w.WriteByte('\n')
		}
		return p.flushEarly()
	}
	stage := r.Stage
	if r.Seq > 0 {
		stage += fmt.Sprintf(" #%d", r.Seq)
	}
	cells := [5]string{r.At.Format(tableTime), TableCell(r.Credential), TableCell(stage), fmt.Sprint(r.DaysRemaining), TableCell(strings.Join(r.Channels, ","))}
	if p.prefix != nil || p.n <= planPrefix {
		p.prefix = append(p.prefix, cells)
		if len(p.prefix) < planPrefix {
			return nil
		}
		return p.flushPrefix()
	}
	p.line(cells)
	return p.flushEarly()
}

// flushEarly writes out the first rows at once, then in buffer-sized
// blocks.
func (p *PlanStream) flushEarly() error {
	if p.n <= 10 {
		return p.w.Flush()
	}
	return nil
}

// flushPrefix sizes the columns from the rows held and prints them.
func (p *PlanStream) flushPrefix() error {
	head := [5]string{"AT", "CREDENTIAL", "STAGE", "DAYS", "CHANNELS"}
	for _, row := range append([][5]string{head}, p.prefix...) {
		for i, c := range row {
			p.widths[i] = max(p.widths[i], utf8.RuneCountInString(c))
		}
	}
	p.line(head)
	for _, row := range p.prefix {
		p.line(row)
	}
	p.prefix = nil
	return p.w.Flush()
}

// line prints one table line, as text/tabwriter with padding 2 would.
func (p *PlanStream) line(cells [5]string) {
	for i, c := range cells[:4] {
		p.w.WriteString(c)
		p.w.WriteString(strings.Repeat(" ", max(p.widths[i]-utf8.RuneCountInString(c), 0)+2))
	}
	p.w.WriteString(cells[4])
	p.w.WriteByte('\n')
}

// Close ends the output: the table's rows still held, json's closing
// bracket, or what says the plan is empty.
func (p *PlanStream) Close() error {
	switch {
	case p.format == "json" && p.n == 0:
		p.w.WriteString("[]\n")
	case p.format == "json":
		p.w.WriteString("\n]\n")
	case p.format == "jsonl":
	case p.n == 0:
		p.w.WriteString("no reminders within the horizon\n")
	case p.prefix != nil:
		return p.flushPrefix()
	}
	return p.w.Flush()
}
