package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/engine"
)

// PlanStream prints plan rows as they come, in format table, json (one
// array, written as it goes) or jsonl (one object a line). Row prints a
// row; Close ends the output. A table holds at most TablePrefix rows to
// size its columns, fits width (0: any), and shows a repeating stage as
// one row (engine.Upcoming's More and Every).
type PlanStream struct {
	w      *bufio.Writer
	format string
	width  int
	n      int
	held   [][]string
	table  *Table
	json   *JSONArray
	cells  []string // a printed row's, reused
	// lastAt and atText: the last row's time and its text, reused while
	// the rows share it (thousands do in a plan of a large fleet: a day's
	// stage for every credential rotated on one day).
	lastAt time.Time
	atText string
}

// NewPlanStream starts a plan on w.
func NewPlanStream(w io.Writer, format string, width int) *PlanStream {
	p := &PlanStream{w: bufio.NewWriterSize(w, 64<<10), format: format, width: width}
	if format == "json" {
		p.json = NewJSONArray(p.w)
	}
	return p
}

var planHeader = []string{"AT", "CREDENTIAL", "STAGE", "DAYS", "CHANNELS", "THEN"}

// Row prints r; a table's first rows wait until TablePrefix are known.
// The first rows of every format are flushed at once, so a reader sees
// them while the plan goes on.
func (p *PlanStream) Row(r engine.Upcoming) error {
	p.n++
	switch p.format {
	case "json":
		if err := p.json.Add(r); err != nil {
			return fmt.Errorf("plan: %w", err)
		}
		return p.flushEarly()
	case "jsonl":
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("plan: %w", err)
		}
		p.w.Write(b)
		p.w.WriteByte('\n')
		return p.flushEarly()
	}
	stage := r.Stage
	if r.Seq > 0 {
		stage += " #" + strconv.Itoa(r.Seq)
	}
	then := ""
	if r.More > 0 {
		then = strconv.Itoa(r.More) + " more, every " + r.Every + " until acknowledged"
	}
	for _, d := range r.Deferred { // quiet hours: when the channel gets it
		then = strings.TrimPrefix(then+"; "+d.String(), "; ")
	}
	channels := ""
	if len(r.Channels) == 1 {
		channels = r.Channels[0]
	} else {
		channels = strings.Join(r.Channels, ",")
	}
	if p.atText == "" || !r.At.Equal(p.lastAt) || r.At.Location() != p.lastAt.Location() {
		p.lastAt, p.atText = r.At, r.At.Format(tableTime)
	}
	if p.table != nil { // the row is printed at once: its cells are reused
		p.cells = append(p.cells[:0], p.atText, TableCell(r.Credential), TableCell(stage), strconv.Itoa(r.DaysRemaining), TableCell(channels), then)
		if err := p.table.Row(p.cells); err != nil {
			return err
		}
		return p.flushEarly()
	}
	cells := []string{p.atText, TableCell(r.Credential), TableCell(stage), strconv.Itoa(r.DaysRemaining), TableCell(channels), then}
	if p.held = append(p.held, cells); len(p.held) < TablePrefix {
		return nil
	}
	return p.begin()
}

// begin sizes the table from the rows held and prints them: CREDENTIAL,
// CHANNELS and THEN (whose count comes first) are cut to fit.
func (p *PlanStream) begin() error {
	p.table = NewTable(p.w, p.width, 1, 4, 5)
	err := p.table.Begin(planHeader, p.held)
	p.held = nil
	if err != nil {
		return err
	}
	return p.w.Flush()
}

// flushEarly writes out the first rows at once, then in buffer-sized
// blocks.
func (p *PlanStream) flushEarly() error {
	if p.n <= 10 {
		return p.w.Flush()
	}
	return nil
}

// Close ends the output: the table's rows still held, json's closing
// bracket, or what says the plan is empty.
func (p *PlanStream) Close() error {
	switch {
	case p.format == "json":
		if err := p.json.Close(); err != nil {
			return err
		}
	case p.format == "jsonl":
	case p.n == 0:
		p.w.WriteString("no reminders within the horizon\n")
	case p.table == nil:
		if err := p.begin(); err != nil {
			return err
		}
	}
	return p.w.Flush()
}
