package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
)

// tableTime is how tables show a time.
const tableTime = "2006-01-02 15:04 MST"

// Tick prints a tick's (or retry pass's) outcomes, one a line, then the
// counts.
func Tick(w io.Writer, rep *engine.Report, now time.Time, loc *time.Location) {
	for _, o := range rep.Outcomes {
		line := fmt.Sprintf("%-10s %s %s", o.Status, Escape(o.Credential), Escape(o.Stage))
		if o.Seq > 0 {
			line += fmt.Sprintf(" (repeat %d)", o.Seq)
		}
		line += " -> " + Escape(o.Channel)
		if o.Status != domain.StatusSent && o.Detail != "" {
			line += ": " + Escape(oneLine(o.Detail)) // a service's answer
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "tick at %s: %d sent, %d skipped, %d retrying, %d failed\n", now.In(loc).Format(time.RFC3339),
		rep.Count(domain.StatusSent), rep.Count(domain.StatusSkipped), rep.Count(domain.StatusRetry), rep.Count(domain.StatusFailed))
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Status prints every credential's status as a table or JSON.
func Status(w io.Writer, format string, rows []engine.CredentialStatus) error {
	s := NewStatusStream(w, format, 0)
	for _, r := range rows {
		if err := s.Add(r); err != nil {
			return err
		}
	}
	return s.Close()
}

// StatusStream prints status rows as they come, with flat memory: a
// table (its columns sized from the first TablePrefix rows, width wide
// when width > 0), one JSON array, or JSON Lines (jsonl).
type StatusStream struct {
	w                 io.Writer
	format            string
	width             int
	held              []engine.CredentialStatus
	table             *Table
	json              *JSONArray
	lines             *json.Encoder // jsonl's, one for every row
	probed, requested bool
}

// NewStatusStream starts a status on w in format (table, json, jsonl).
func NewStatusStream(w io.Writer, format string, width int) *StatusStream {
	s := &StatusStream{w: w, format: format, width: width}
	switch format {
	case "json":
		s.json = NewJSONArray(w)
	case "jsonl":
		s.lines = json.NewEncoder(w)
	}
	return s
}

// Add prints one row (a table holds the first TablePrefix).
func (s *StatusStream) Add(r engine.CredentialStatus) error {
	switch s.format {
	case "json":
		return s.json.Add(r)
	case "jsonl":
		return s.lines.Encode(r)
	}
	if s.table != nil {
		return s.table.Row(s.cells(r))
	}
	if s.held = append(s.held, r); len(s.held) >= TablePrefix {
		return s.begin(false)
	}
	return nil
}

// Close ends the output.
func (s *StatusStream) Close() error {
	switch s.format {
	case "json":
		return s.json.Close()
	case "jsonl":
		return nil
	}
	if s.table == nil {
		return s.begin(true)
	}
	return nil
}

// begin prints the table's header and held rows. The columns VERIFIED
// (some secret is probed) and ROTATION_REQUESTED (a rotation asked of
// Amazon, not yet reported by its new-secret notification) are shown
// where some row has them; a table longer than its prefix shows both.
func (s *StatusStream) begin(complete bool) error {
	s.probed, s.requested = !complete, !complete
	for _, r := range s.held {
		s.probed = s.probed || r.LastProbe != ""
		s.requested = s.requested || r.RotationRequested != nil
	}
	header := []string{"ID", "NAME", "OWNER", "ROTATED_AT", "DEADLINE", "DAYS", "STAGE", "ACK", "STATE", "FAILED"}
	if s.probed {
		header = append(header, "VERIFIED")
	}
	if s.requested {
		header = append(header, "ROTATION_REQUESTED")
	}
	rows := make([][]string, len(s.held))
	for i, r := range s.held {
		rows[i] = s.cells(r)
	}
	s.held = nil
	s.table = NewTable(s.w, s.width, 1, 2, 0) // NAME, OWNER, then ID are cut to fit
	return s.table.Begin(header, rows)
}

// snoozeTime is how status's ACK shows a snooze's end: "snoozed by alice
// until Thu 10 Dec 09:00 CET".
const snoozeTime = "Mon 2 Jan 15:04 MST"

func (s *StatusStream) cells(r engine.CredentialStatus) []string {
	ack := ""
	if r.Acknowledged {
		ack = r.AcknowledgedBy
	}
	if r.Acknowledged && r.SnoozedUntil != nil {
		ack = "snoozed by " + r.AcknowledgedBy + " until " + r.SnoozedUntil.Format(snoozeTime)
	}
	out := []string{TableCell(r.ID), TableCell(r.Name), TableCell(r.Owner), r.RotatedAt.Format(tableTime), r.Deadline.Format(tableTime),
		strconv.Itoa(r.DaysRemaining), TableCell(stageCell(r)), TableCell(ack), r.State, strconv.Itoa(r.FailedDeliveries)}
	if s.probed {
		out = append(out, verifiedCell(r))
	}
	if s.requested {
		cell := "-"
		if r.RotationRequested != nil {
			cell = r.RotationRequested.Format(tableTime)
		}
		out = append(out, cell)
	}
	return out
}

// Plan prints the reminders to come as a table or JSON.
func Plan(w io.Writer, format string, rows []engine.Upcoming) error {
	if format == "json" {
		if rows == nil {
			rows = []engine.Upcoming{}
		}
		return writeJSON(w, rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(w, "no reminders within the horizon")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tCREDENTIAL\tSTAGE\tDAYS\tCHANNELS")
	for _, r := range rows {
		stage := r.Stage
		if r.Seq > 0 {
			stage += fmt.Sprintf(" #%d", r.Seq)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", r.At.Format(tableTime), TableCell(r.Credential), TableCell(stage), r.DaysRemaining,
			TableCell(strings.Join(r.Channels, ",")))
	}
	return tw.Flush()
}

// oneLine folds runs of white space (line breaks, tabs) into one space:
// a detail reads as one line of the table.
// Text already in one line with single spaces (most details) is returned
// as it is, without a copy.
func oneLine(s string) string {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= utf8.RuneSelf, c == '\t', c == '\n', c == '\v', c == '\f', c == '\r',
			c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' '):
			return strings.Join(strings.Fields(s), " ")
		}
	}
	return s
}

// verifiedCell is status's VERIFIED: when Amazon last accepted the secret,
// and the last probe's outcome when it was not ok.
func verifiedCell(r engine.CredentialStatus) string {
	cell := "-"
	if r.LastVerified != nil {
		cell = r.LastVerified.Format(tableTime)
	}
	if r.LastProbe != "" && r.LastProbe != "ok" {
		cell += " (last probe: " + r.LastProbe + ")"
	}
	return cell
}

// stageCell is the active stage, with the channels that wait for their
// delivery window: "7d (office deferred to Mon 09:00 CEST)".
func stageCell(r engine.CredentialStatus) string {
	if r.Deferred == "" {
		return r.Stage
	}
	return r.Stage + " (" + r.Deferred + ")"
}
