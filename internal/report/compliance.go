package report

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/notifier-dev/notifier/internal/chain"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store"
)

// Compliance streams the compliance report of the cycles filter selects
// (h.Filter) in format (table, json, csv or html): one row per cycle,
// rotated on time or not, who was told, who acknowledged; then the
// summary and the history's chain head. Cycles are read and written one
// at a time, so a large fleet's report is never held in memory.
func Compliance(ctx context.Context, w io.Writer, format string, s store.Reporter, h Header) error {
	cw, err := NewComplianceWriter(format, w, h)
	if err != nil {
		return err
	}
	defer cw.Close()
	var sum Summary
	lastCred := ""
	// A period is judged as of its end: a cycle due after it was not yet
	// late then.
	at := h.At
	if u := h.Filter.Until; !u.IsZero() && u.Before(at) {
		at = u
	}
	filter := h.Filter
	filter.At = at
	err = s.ReportCycles(ctx, filter, func(rec domain.CycleRecord) error {
		// A rotation after the period is left out, as its reminders and
		// acknowledgments are: the cycle it closed is shown as it was at
		// the period's end, open or overdue then.
		if u := h.Filter.Until; !u.IsZero() && rec.Closed != nil && !rec.Closed.RotatedAt.Before(u) {
			rec.Closed = nil
		}
		// So is what happened after the moment judged (--at earlier than
		// the records): a report at an earlier moment shows the record as
		// it stood then, as the other views do.
		if rec.Start.After(at) {
			return nil
		}
		asOf(&rec, at)
		row := NewCycle(rec, at, h.Loc)
		sum.add(row, rec.ID != lastCred)
		lastCred = rec.ID
		return cw.Cycle(row)
	})
	if err != nil {
		return err
	}
	// Read after the cycles: the head covers at least what the report
	// shows, and a later verify --expect-head proves that none of it was
	// cut off.
	// A period's report cites the head at its end: what is recorded later
	// does not change it.
	if u := h.Filter.Until; !u.IsZero() {
		sum.Head, err = s.ChainHeadBefore(ctx, u)
	} else {
		sum.Head, err = s.ChainHead(ctx)
	}
	if err != nil {
		return err
	}
	return cw.Finish(sum)
}

// Summary is the report's "summary": how many credentials and cycles
// it covers and how the cycles ended.
type Summary struct {
	Credentials int `json:"credentials"`
	Cycles      int `json:"cycles"`
	OnTime      int `json:"on_time"`
	Late        int `json:"late"`
	Open        int `json:"open"`
	Overdue     int `json:"overdue"`
	// BackDated counts the back-dated records (BackDatedAfter) of the
	// report: the rotations that start its cycles and their
	// acknowledgments.
	BackDated int `json:"back_dated"`
	// Retractions counts the corrections shown with the cycles.
	Retractions int `json:"retractions"`
	// Head is the history's hash chain head when the report was made
	// (printed beside the summary, not in it).
	Head chain.Head `json:"-"`
}

func (s *Summary) add(r Cycle, newCredential bool) {
	if newCredential {
		s.Credentials++
	}
	s.Cycles++
	s.Retractions += len(r.Retractions)
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
	if r.BackDated != nil {
		s.BackDated++
	}
	for _, a := range r.Acknowledgments {
		if a.BackDated != nil {
			s.BackDated++
		}
	}
}

// BackDatedAfter is how long after the fact a record must have been
// recorded to be flagged as back-dated: more than an hour, which a
// rotation or acknowledgment entered the same day with a rough --at does
// not reach, and one entered days later does.
const BackDatedAfter = time.Hour

// backDated says how long after happened a record was recorded when that
// is more than BackDatedAfter ("recorded 5 days after the fact"; hours
// under a day; both rounded up, as every count of days), nil otherwise or
// when the recorded time is unknown (zero: recorded before notifier kept
// it).
func backDated(happened, recorded time.Time) *string {
	late := recorded.Sub(happened)
	if recorded.IsZero() || late <= BackDatedAfter {
		return nil
	}
	n, unit := int64((late+time.Hour-1)/time.Hour), "hours"
	if late > 24*time.Hour {
		n, unit = int64((late+24*time.Hour-1)/(24*time.Hour)), "days"
	}
	s := fmt.Sprintf("recorded %d %s after the fact", n, unit)
	return &s
}

// Cycle is one cycle of the report, exactly as JSON shows it; times are
// RFC 3339 in the report's zone.
type Cycle struct {
	Credential string `json:"credential"`
	Name       string `json:"name"`
	Owner      string `json:"owner"`
	RotatedAt  string `json:"rotated_at"`
	// RecordedAt is when the rotation that started the cycle was
	// recorded; BackDated flags it when that was long after RotatedAt.
	RecordedAt     string  `json:"recorded_at"`
	BackDated      *string `json:"back_dated"`
	Deadline       string  `json:"deadline"`
	ClosedAt       *string `json:"closed_at"`
	RotatedBy      *string `json:"rotated_by"`
	RotationSource *string `json:"rotation_source"`
	// ClosedRecordedAt is when the closing rotation was recorded, and
	// ClosedBackDated its flag (counted with the cycle it starts).
	ClosedRecordedAt *string    `json:"closed_recorded_at"`
	ClosedBackDated  *string    `json:"closed_back_dated"`
	Outcome          string     `json:"outcome"`
	DaysLate         int        `json:"days_late"`
	Reminders        []Reminder `json:"reminders"`
	Acknowledgments  []Ack      `json:"acknowledgments"`
	// LongestUndelivered is the longest stretch of the cycle in which no
	// reminder to it could be delivered (domain.LongestUndelivered); null
	// when no attempt failed.
	LongestUndelivered *Stretch `json:"longest_undelivered"`
	// Retractions are the corrections of the cycle's records: a rotation
	// that had closed it by mistake, an acknowledgment of it.
	Retractions []Retraction `json:"retractions"`
}

// Retraction is one correction: what was retracted (rotation or
// acknowledgment, its id and time), when, by whom, why, and when
// notifier recorded it.
type Retraction struct {
	What       string `json:"what"`
	ID         int64  `json:"id"`
	Of         string `json:"of"`
	Time       string `json:"time"`
	Actor      string `json:"actor"`
	Reason     string `json:"reason"`
	RecordedAt string `json:"recorded_at"`
}

// Reminder is one reminder event of a cycle.
type Reminder struct {
	Time    string `json:"time"`
	Stage   string `json:"stage"`
	Channel string `json:"channel"`
	Status  string `json:"status"`
}

// Ack is one acknowledgment of a cycle.
// RecordedAt is null for one recorded before notifier kept that.
type Ack struct {
	Time       string  `json:"time"`
	Actor      string  `json:"actor"`
	Source     string  `json:"source"`
	RecordedAt *string `json:"recorded_at"`
	BackDated  *string `json:"back_dated"`
	// SnoozedUntil is a snooze's end; null for an acknowledgment of the
	// whole cycle.
	SnoozedUntil *string `json:"snoozed_until"`
}

// Stretch is a span of a cycle, as the longest undelivered one.
type Stretch struct {
	From    string `json:"from"`
	Until   string `json:"until"`
	Seconds int64  `json:"seconds"`
}

// NewCycle is a cycle's row, its verdict taken at now; times in loc.
func NewCycle(rec domain.CycleRecord, now time.Time, loc *time.Location) Cycle {
	v := rec.Verdict(now, loc)
	ts := func(t time.Time) string { return t.In(loc).Format(time.RFC3339) }
	r := Cycle{
		Credential: rec.ID, Name: rec.Name, Owner: rec.Owner,
		RotatedAt: ts(rec.Start), Deadline: ts(v.Deadline),
		RecordedAt: ts(rec.StartRecorded), BackDated: backDated(rec.Start, rec.StartRecorded),
		Outcome: v.Outcome, DaysLate: v.DaysLate,
		Reminders:       make([]Reminder, len(rec.Reminders)),
		Acknowledgments: make([]Ack, len(rec.Acks)),
		Retractions:     make([]Retraction, len(rec.Retractions)),
	}
	if rec.Closed != nil {
		at, by, source := ts(rec.Closed.RotatedAt), rec.Closed.Actor, rec.Closed.Source
		r.ClosedAt, r.RotatedBy, r.RotationSource = &at, &by, &source
		recorded := ts(rec.Closed.RecordedAt)
		r.ClosedRecordedAt, r.ClosedBackDated = &recorded, backDated(rec.Closed.RotatedAt, rec.Closed.RecordedAt)
	}
	for i, a := range rec.Reminders {
		r.Reminders[i] = Reminder{Time: ts(a.Time), Stage: a.Stage, Channel: a.Channel, Status: a.Status}
	}
	for i, a := range rec.Acks {
		r.Acknowledgments[i] = Ack{Time: ts(a.Time), Actor: a.Actor, Source: a.Source, BackDated: backDated(a.Time, a.Recorded)}
		if !a.Recorded.IsZero() {
			recorded := ts(a.Recorded)
			r.Acknowledgments[i].RecordedAt = &recorded
		}
		if !a.Until.IsZero() {
			until := ts(a.Until)
			r.Acknowledgments[i].SnoozedUntil = &until
		}
	}
	for i, x := range rec.Retractions {
		r.Retractions[i] = Retraction{What: x.Kind, ID: x.TargetID, Of: ts(x.TargetTime), Time: ts(x.At), Actor: x.Actor, Reason: x.Reason,
			RecordedAt: ts(x.RecordedAt)}
	}
	if s := v.Undelivered; s != nil {
		r.LongestUndelivered = &Stretch{From: ts(s.From), Until: ts(s.Until), Seconds: int64(s.Duration() / time.Second)}
	}
	return r
}

// Header is what the report says about itself: the moment it was made
// (the verdicts' now), the window, the database and the zone of its times.
type Header struct {
	At       time.Time
	Filter   domain.ReportFilter
	Database string
	Loc      *time.Location
}

// ComplianceWriter writes a report a cycle at a time: a large fleet's report
// is never held in memory. The formats that print the summary first (all
// but CSV, which has no summary) spool the cycles to a temporary file and
// copy it out after the summary.
type ComplianceWriter interface {
	Cycle(Cycle) error
	Finish(Summary) error
	Close()
}

// NewComplianceWriter writes the report in format: table (the default),
// json, csv or html. The caller closes it.
func NewComplianceWriter(format string, out io.Writer, h Header) (ComplianceWriter, error) {
	if format == "csv" {
		return newCSVReport(out), nil
	}
	spool, err := newSpool()
	if err != nil {
		return nil, fmt.Errorf("report: temporary file: %w", err)
	}
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

// newSpool opens the temporary file the cycles are written to, a row at a
// time, until the summary is known (a test writes them to a full disk).
var newSpool = func() (*os.File, error) {
	f, err := os.CreateTemp("", "notifier-report-*")
	if err == nil {
		os.Remove(f.Name()) // gone with the process, whatever happens; the open file stays usable
	}
	return f, err
}

// spooledFormat is a format that prints a head (with the summary), the
// cycles, and a foot.
type spooledFormat interface {
	cycle(w io.Writer, r Cycle, n int) error
	head(w io.Writer, h Header, s Summary) error
	// end finishes the cycles in the spool (a table flushes its last block).
	end(spool io.Writer) error
	foot(w io.Writer, n int) error
}

type spooled struct {
	out   io.Writer
	spool *os.File
	buf   *bufio.Writer // in front of spool
	h     Header
	r     spooledFormat
	n     int
}

func (s *spooled) Cycle(r Cycle) error {
	s.n++
	return s.r.cycle(s.buf, r, s.n)
}

func (s *spooled) Finish(sum Summary) error {
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

func (s *spooled) Close() { s.spool.Close() }

// asOf leaves out of rec what happened after at: its closing rotation, its
// reminders and acknowledgments. Its retractions stay, whenever made: a
// retracted rotation is out of every report (LiveRotation), and its
// retraction is what says why.
func asOf(rec *domain.CycleRecord, at time.Time) {
	if rec.Closed != nil && rec.Closed.RotatedAt.After(at) {
		rec.Closed = nil
	}
	rec.Reminders = slices.DeleteFunc(rec.Reminders, func(r domain.ReminderAttempt) bool { return r.Time.After(at) })
	rec.Acks = slices.DeleteFunc(rec.Acks, func(a domain.AckRecord) bool { return a.Time.After(at) })
}
