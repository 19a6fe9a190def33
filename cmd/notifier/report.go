package main

import (
	"bufio"
	"fmt"
	"github.com/notifier-dev/notifier/internal/chain"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/notifier-dev/notifier/internal/domain"
)

func (c *cli) reportCmd() *cobra.Command {
	var f struct{ credential, since, until, format, db string }
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Compliance report: one row per credential cycle in the window, rotated on time or not, who was told, who acknowledged",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(f.format, "table", "json", "csv", "html"); err != nil {
				return err
			}
			clock, err := c.clock(cmd)
			if err != nil {
				return err
			}
			filter := domain.ReportFilter{CredentialID: f.credential}
			store, loc, since, until, err := c.openWindowReader(cmd, f.db, f.since, f.until)
			if err != nil {
				return err
			}
			defer store.Close()
			filter.Since, filter.Until = since, until
			if !filter.Since.IsZero() && !filter.Until.IsZero() && !filter.Since.Before(filter.Until) {
				return fmt.Errorf("--since %s is not before --until %s: the window is empty", f.since, f.until)
			}
			if f.credential != "" {
				if _, err := store.Cycle(cmd.Context(), f.credential); err != nil { // names an unknown id
					return err
				}
			}
			now := clock(loc).Truncate(time.Second)
			w, err := newReportWriter(f.format, c.stdout, reportHeader{At: now, Filter: filter, Database: store.Path(), Loc: loc})
			if err != nil {
				return err
			}
			defer w.close()
			var sum reportSummary
			lastCred := ""
			err = store.ReportCycles(cmd.Context(), filter, func(rec domain.CycleRecord) error {
				row := newCycleRow(rec, now, loc)
				sum.add(row, rec.ID != lastCred)
				lastCred = rec.ID
				return w.cycle(row)
			})
			if err != nil {
				return err
			}
			// Read after the cycles: the head covers at least what the
			// report shows, and a later verify --expect-head proves that
			// none of it was cut off.
			if sum.Head, err = store.ChainHead(cmd.Context()); err != nil {
				return err
			}
			return w.finish(sum)
		},
	}
	c.atFlag(cmd)
	dbFlag(cmd, &f.db)
	cmd.Flags().StringVar(&f.credential, "credential", "", "only this credential")
	cmd.Flags().StringVar(&f.since, "since", "", "cycles that were open at or after this time")
	cmd.Flags().StringVar(&f.until, "until", "", "cycles that started before this time")
	cmd.Flags().StringVar(&f.format, "format", "table", "table, json, csv or html")
	return cmd
}

// reportSummary is the report's "summary": how many credentials and cycles
// it covers and how the cycles ended.
type reportSummary struct {
	Credentials int `json:"credentials"`
	Cycles      int `json:"cycles"`
	OnTime      int `json:"on_time"`
	Late        int `json:"late"`
	Open        int `json:"open"`
	Overdue     int `json:"overdue"`
	// Head is the history's hash chain head when the report was made
	// (printed beside the summary, not in it).
	Head chain.Head `json:"-"`
}

func (s *reportSummary) add(r cycleRow, newCredential bool) {
	if newCredential {
		s.Credentials++
	}
	s.Cycles++
	switch r.Outcome {
	case domain.OutcomeOnTime:
		s.OnTime++
	case domain.OutcomeLate:
		s.Late++
	case domain.OutcomeOpen:
		s.Open++
	case domain.OutcomeOverdue:
		s.Overdue++
	}
}

// cycleRow is one cycle of the report, exactly as JSON shows it; times are
// RFC 3339 in the report's zone.
type cycleRow struct {
	Credential      string        `json:"credential"`
	Name            string        `json:"name"`
	Owner           string        `json:"owner"`
	RotatedAt       string        `json:"rotated_at"`
	Deadline        string        `json:"deadline"`
	ClosedAt        *string       `json:"closed_at"`
	RotatedBy       *string       `json:"rotated_by"`
	RotationSource  *string       `json:"rotation_source"`
	Outcome         string        `json:"outcome"`
	DaysLate        int           `json:"days_late"`
	Reminders       []reminderRow `json:"reminders"`
	Acknowledgments []ackRow      `json:"acknowledgments"`
	// LongestUndelivered is the longest stretch of the cycle in which no
	// reminder to it could be delivered (domain.LongestUndelivered); null
	// when no attempt failed.
	LongestUndelivered *stretchRow `json:"longest_undelivered"`
}

type reminderRow struct {
	Time    string `json:"time"`
	Stage   string `json:"stage"`
	Channel string `json:"channel"`
	Status  string `json:"status"`
}

type ackRow struct {
	Time   string `json:"time"`
	Actor  string `json:"actor"`
	Source string `json:"source"`
}

type stretchRow struct {
	From    string `json:"from"`
	Until   string `json:"until"`
	Seconds int64  `json:"seconds"`
}

func newCycleRow(rec domain.CycleRecord, now time.Time, loc *time.Location) cycleRow {
	v := rec.Verdict(now, loc)
	ts := func(t time.Time) string { return t.In(loc).Format(time.RFC3339) }
	r := cycleRow{
		Credential: rec.ID, Name: rec.Name, Owner: rec.Owner,
		RotatedAt: ts(rec.Start), Deadline: ts(v.Deadline),
		Outcome: v.Outcome, DaysLate: v.DaysLate,
		Reminders:       make([]reminderRow, len(rec.Reminders)),
		Acknowledgments: make([]ackRow, len(rec.Acks)),
	}
	if rec.Closed != nil {
		at, by, source := ts(rec.Closed.RotatedAt), rec.Closed.Actor, rec.Closed.Source
		r.ClosedAt, r.RotatedBy, r.RotationSource = &at, &by, &source
	}
	for i, a := range rec.Reminders {
		r.Reminders[i] = reminderRow{Time: ts(a.Time), Stage: a.Stage, Channel: a.Channel, Status: a.Status}
	}
	for i, a := range rec.Acks {
		r.Acknowledgments[i] = ackRow{Time: ts(a.Time), Actor: a.Actor, Source: a.Source}
	}
	if s := v.Undelivered; s != nil {
		r.LongestUndelivered = &stretchRow{From: ts(s.From), Until: ts(s.Until), Seconds: int64(s.Duration() / time.Second)}
	}
	return r
}

// reportHeader is what the report says about itself.
type reportHeader struct {
	At       time.Time
	Filter   domain.ReportFilter
	Database string
	Loc      *time.Location
}

// reportWriter writes a report a cycle at a time: a large fleet's report
// is never held in memory. The formats that print the summary first (all
// but CSV, which has no summary) spool the cycles to a temporary file and
// copy it out after the summary.
type reportWriter interface {
	cycle(cycleRow) error
	finish(reportSummary) error
	close()
}

func newReportWriter(format string, out io.Writer, h reportHeader) (reportWriter, error) {
	if format == "csv" {
		return newCSVReport(out), nil
	}
	spool, err := os.CreateTemp("", "notifier-report-*")
	if err != nil {
		return nil, fmt.Errorf("report: temporary file: %w", err)
	}
	os.Remove(spool.Name()) // gone with the process, whatever happens; the open file stays usable
	// Buffered: the table and the template write in small pieces.
	s := &spooled{out: out, spool: spool, buf: bufio.NewWriterSize(spool, 1<<16), h: h}
	switch format {
	case "json":
		s.r = &jsonReport{}
	case "html":
		s.r = &htmlReport{}
	default:
		s.r = &tableReport{}
	}
	return s, nil
}

// spooledFormat is a format that prints a head (with the summary), the
// cycles, and a foot.
type spooledFormat interface {
	cycle(w io.Writer, r cycleRow, n int) error
	head(w io.Writer, h reportHeader, s reportSummary) error
	// end finishes the cycles in the spool (a table flushes its last block).
	end(spool io.Writer) error
	foot(w io.Writer, n int) error
}

type spooled struct {
	out   io.Writer
	spool *os.File
	buf   *bufio.Writer // in front of spool
	h     reportHeader
	r     spooledFormat
	n     int
}

func (s *spooled) cycle(r cycleRow) error {
	s.n++
	return s.r.cycle(s.buf, r, s.n)
}

func (s *spooled) finish(sum reportSummary) error {
	if err := s.r.end(s.buf); err != nil {
		return err
	}
	if err := s.buf.Flush(); err != nil {
		return fmt.Errorf("report: temporary file: %w", err)
	}
	if err := s.r.head(s.out, s.h, sum); err != nil {
		return err
	}
	if _, err := s.spool.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("report: temporary file: %w", err)
	}
	if _, err := io.Copy(s.out, s.spool); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return s.r.foot(s.out, s.n)
}

func (s *spooled) close() { s.spool.Close() }
