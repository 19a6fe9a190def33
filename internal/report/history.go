package report

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/notifier-dev/notifier/internal/domain"
)

// historyRow is the public form of an event: JSON rows carry exactly these.
// Recorded is when notifier recorded the event (its wall clock), Time when
// it happened; null for an event recorded before notifier kept that
// (migration 0009).
type historyRow struct {
	Time       string  `json:"time"`
	Type       string  `json:"type"`
	Credential string  `json:"credential"`
	Stage      string  `json:"stage"`
	Channel    string  `json:"channel"`
	Status     string  `json:"status"`
	Actor      string  `json:"actor"`
	Detail     string  `json:"detail"`
	Recorded   *string `json:"recorded_at"`
}

// HistoryFormats are the formats HistoryWriter writes.
var HistoryFormats = []string{"table", "json", "jsonl", "csv"}

// HistoryPrefix is how many rows the table reads before it sizes its
// columns: the widths of a bounded prefix, so that memory does not grow
// with the history.
const HistoryPrefix = 200

// historyHeader is the table's header, one cell a column.
var historyHeader = []string{"TIME", "RECORDED", "TYPE", "CREDENTIAL", "STAGE", "CHANNEL", "STATUS", "ACTOR", "DETAIL"}

// HistoryWriter writes history events as they are read, in one of
// HistoryFormats, times in a zone: each with when it happened and when it
// was recorded (the table's RECORDED, "-" when unknown; the CSV's last
// column, empty when unknown). It holds at most HistoryPrefix rows (the
// table's, to size its columns), whatever the history's size.
type HistoryWriter struct {
	out    *bufio.Writer
	format string
	loc    *time.Location
	width  int // the table's width in characters; 0: no limit
	n      int
	csv    *csv.Writer
	lines  *json.Encoder // jsonl's, one for every row (json.Marshal's bytes and a line break)
	prefix [][]string    // the table's first rows, until its columns are sized
	widths []int         // the table's column widths, once sized
	// happened and recorded format the two times, each keeping the text
	// of the last: a history's rows share their times by the thousand
	// (a sync records every credential it adds at one moment).
	happened, recorded lastTime
}

// lastTime formats times in RFC 3339, keeping the last one's text.
type lastTime struct {
	t    time.Time
	text string
}

// format is t in loc as text: the last text again when t is the last
// time (the zone is the writer's, always the same).
func (l *lastTime) format(t time.Time, loc *time.Location) string {
	if l.text == "" || !t.Equal(l.t) {
		l.t, l.text = t, t.In(loc).Format(time.RFC3339)
	}
	return l.text
}

// NewHistoryWriter writes events to w in format, times in loc. width is
// the terminal's width: the table's columns are narrowed (long text cut
// with "…") to fit it; 0 leaves them whole. JSON, JSON Lines and CSV are
// never cut. Call Finish at the end.
func NewHistoryWriter(w io.Writer, format string, loc *time.Location, width int) *HistoryWriter {
	h := &HistoryWriter{out: bufio.NewWriterSize(w, 1<<16), format: format, loc: loc, width: width}
	if format == "jsonl" {
		h.lines = json.NewEncoder(h.out)
	}
	if format == "csv" {
		h.csv = csv.NewWriter(h.out)
		h.csv.Write([]string{"time", "type", "credential", "stage", "channel", "status", "actor", "detail", "recorded_at"})
	}
	return h
}

// Event writes one event. The first row is flushed at once, the rest in
// blocks.
func (h *HistoryWriter) Event(e domain.Event) error {
	r := historyRow{Time: h.happened.format(e.Time, h.loc), Type: e.Type, Credential: e.CredentialID,
		Stage: e.Stage, Channel: e.Channel, Status: e.Status, Actor: e.Actor, Detail: e.Detail}
	if !e.RecordedAt.IsZero() {
		at := h.recorded.format(e.RecordedAt, h.loc)
		r.Recorded = &at
	}
	h.n++
	var err error
	switch h.format {
	case "json", "jsonl":
		err = h.jsonRow(r)
	case "csv":
		err = h.csv.Write([]string{CSVCell(r.Time), CSVCell(r.Type), CSVCell(r.Credential), CSVCell(r.Stage), CSVCell(r.Channel),
			CSVCell(r.Status), CSVCell(r.Actor), CSVCell(r.Detail), recordedCell(r, "")})
		if h.n == 1 {
			h.csv.Flush()
			err = h.csv.Error()
		}
	default:
		err = h.tableRow([]string{r.Time, recordedCell(r, "-"), TableCell(r.Type), TableCell(r.Credential), TableCell(r.Stage),
			TableCell(r.Channel), TableCell(r.Status), TableCell(r.Actor), Escape(oneLine(r.Detail))})
	}
	if err == nil && h.n == 1 {
		err = h.out.Flush()
	}
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	return nil
}

func recordedCell(r historyRow, none string) string {
	if r.Recorded == nil {
		return none
	}
	return *r.Recorded
}

// jsonRow writes a row of a JSON array (indented as it always was) or of
// JSON Lines.
func (h *HistoryWriter) jsonRow(r historyRow) error {
	if h.format == "jsonl" {
		return h.lines.Encode(r)
	}
	b, err := json.MarshalIndent(r, "  ", "  ")
	if err != nil {
		return err
	}
	sep := ",\n  "
	if h.n == 1 {
		sep = "[\n  "
	}
	h.out.WriteString(sep)
	_, err = h.out.Write(b)
	return err
}

// tableRow keeps a row until the prefix is read, then writes it.
func (h *HistoryWriter) tableRow(cells []string) error {
	if h.widths == nil {
		h.prefix = append(h.prefix, cells)
		if len(h.prefix) < HistoryPrefix {
			return nil
		}
		return h.sizeTable()
	}
	return h.writeCells(cells)
}

// sizeTable sizes the columns from the header and the prefix, narrows
// them to the width, and writes the header and the prefix.
func (h *HistoryWriter) sizeTable() error {
	h.widths = make([]int, len(historyHeader))
	for _, row := range append([][]string{historyHeader}, h.prefix...) {
		for i, c := range row {
			h.widths[i] = max(h.widths[i], utf8.RuneCountInString(c))
		}
	}
	if h.width > 0 {
		fitColumns(h.widths, h.width)
	}
	rows := h.prefix
	h.prefix = nil
	if err := h.writeCells(historyHeader); err != nil {
		return err
	}
	for _, row := range rows {
		if err := h.writeCells(row); err != nil {
			return err
		}
	}
	return nil
}

// fitColumns narrows the widest column, one character at a time, until
// the table fits in width: the two times (the first two columns) stay
// whole, the others keep at least 3 characters ("ab…"), so that the table
// fits in 80 columns; a narrower terminal wraps what is left.
func fitColumns(widths []int, width int) {
	const least = 3
	total := func() int {
		n := 0
		for _, w := range widths {
			n += w + 2
		}
		return n - 2 // the last column is not padded
	}
	for t := total(); t > width; t-- {
		widest := -1
		for i := 2; i < len(widths); i++ {
			if widths[i] > least && (widest < 0 || widths[i] > widths[widest]) {
				widest = i
			}
		}
		if widest < 0 {
			return
		}
		widths[widest]--
	}
}

// writeCells writes one line of the table: every cell but the last padded
// to its column and two spaces; with a width, a longer cell is cut to its
// column with "…".
func (h *HistoryWriter) writeCells(cells []string) error {
	last := len(cells) - 1
	for i, c := range cells {
		n := utf8.RuneCountInString(c)
		if h.width > 0 && n > h.widths[i] {
			c = cut(c, h.widths[i])
			n = h.widths[i]
		}
		h.out.WriteString(c)
		if i < last {
			for pad := max(h.widths[i]-n, 0) + 2; pad > 0; pad -= len(spaces) {
				h.out.WriteString(spaces[:min(pad, len(spaces))])
			}
		}
	}
	return h.out.WriteByte('\n')
}

// spaces pad the table's cells without a new string each.
const spaces = "                                                                "

// Finish writes what the format has after its rows and flushes.
func (h *HistoryWriter) Finish() error {
	var err error
	switch h.format {
	case "json":
		end := "\n]\n"
		if h.n == 0 {
			end = "[]\n"
		}
		_, err = h.out.WriteString(end)
	case "jsonl":
	case "csv":
		h.csv.Flush()
		err = h.csv.Error()
	default:
		if h.widths == nil {
			err = h.sizeTable()
		}
	}
	if err == nil {
		err = h.out.Flush()
	}
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	return nil
}

// History prints events as HistoryWriter does, the table at its whole
// width.
func History(w io.Writer, format string, events []domain.Event, loc *time.Location) error {
	h := NewHistoryWriter(w, format, loc, 0)
	for _, e := range events {
		if err := h.Event(e); err != nil {
			return err
		}
	}
	return h.Finish()
}
