package report

import (
	_ "embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/notifier-dev/notifier/internal/chain"
	"github.com/notifier-dev/notifier/internal/domain"
)

// The report's formats. Table and CSV are read by people and neutralise
// hostile text (escape.go); JSON is the exact record; HTML is escaped by
// html/template.

// ---- JSON: {"summary": {...}, "cycles": [...]} ----

type jsonReport struct{}

func (jsonReport) head(w io.Writer, _ Header, s Summary) error {
	b, err := json.MarshalIndent(s, "  ", "  ")
	if err != nil {
		return err
	}
	head := "null"
	if s.Head.Hash != nil {
		head = fmt.Sprintf(`{"event": %d, "hash": %q}`, s.Head.ID, chain.Hex(s.Head.Hash))
	}
	_, err = fmt.Fprintf(w, "{\n  \"summary\": %s,\n  \"chain_head\": %s,\n  \"cycles\": [", b, head)
	return err
}

// backDatedLine counts the report's back-dated records.
func backDatedLine(s Summary) string {
	return fmt.Sprintf("Back-dated records: %d (rotations and acknowledgments recorded more than 1 hour after the fact; see BACK_DATED)", s.BackDated)
}

// headLine says where the history's hash chain ended when the report was
// made, and how to prove later that nothing after it was cut.
func headLine(h chain.Head) string {
	if h.Hash == nil {
		return "History chain head: none (no event recorded since the chain started)"
	}
	hash := chain.Hex(h.Hash)
	return fmt.Sprintf("History chain head: event %d, %s (notifier verify --expect-head %s proves it is still in the chain)", h.ID, hash, hash)
}

func (jsonReport) cycle(w io.Writer, r Cycle, n int) error {
	b, err := json.MarshalIndent(r, "    ", "  ")
	if err != nil {
		return err
	}
	sep := ",\n    "
	if n == 1 {
		sep = "\n    "
	}
	_, err = io.WriteString(w, sep+string(b))
	return err
}

func (jsonReport) end(io.Writer) error { return nil }

func (jsonReport) foot(w io.Writer, n int) error {
	end := "\n  ]\n}\n"
	if n == 0 {
		end = "]\n}\n"
	}
	_, err := io.WriteString(w, end)
	return err
}

// ---- summaries of a cycle's lists, for the table and CSV ----

// reminderCounts counts a cycle's reminder events by status.
func reminderCounts(r Cycle) map[string]int {
	m := map[string]int{}
	for _, x := range r.Reminders {
		m[x.Status]++
	}
	return m
}

// told lists the channels a reminder of the cycle was sent to, sorted.
func told(r Cycle) string {
	seen := map[string]bool{}
	var out []string
	for _, x := range r.Reminders {
		if x.Status == domain.StatusSent && !seen[x.Channel] {
			seen[x.Channel] = true
			out = append(out, x.Channel)
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// ackedBy lists who acknowledged, how and when: "alice via cli at T".
func ackedBy(r Cycle) string {
	parts := make([]string, len(r.Acknowledgments))
	for i, a := range r.Acknowledgments {
		parts[i] = a.Actor + " via " + a.Source + " at " + a.Time
		if a.SnoozedUntil != nil {
			parts[i] += " (snoozed until " + *a.SnoozedUntil + ")"
		}
	}
	return strings.Join(parts, "; ")
}

// BackDatedRecords lists the cycle's back-dated records, for the table
// and CSV: "rotation at T recorded 5 days after the fact", "ack by alice
// at T recorded 5 days after the fact"; at is how a time is shown.
func BackDatedRecords(r Cycle, at func(string) string) string {
	var parts []string
	if r.BackDated != nil {
		parts = append(parts, "rotation at "+at(r.RotatedAt)+" "+*r.BackDated)
	}
	for _, a := range r.Acknowledgments {
		if a.BackDated != nil {
			parts = append(parts, "ack by "+a.Actor+" at "+at(a.Time)+" "+*a.BackDated)
		}
	}
	return strings.Join(parts, "; ")
}

// retracted lists a cycle's retractions for the table and CSV: "rotation
// 7 of T retracted at T by carol (recorded T): reason".
func retracted(r Cycle, time func(string) string) string {
	parts := make([]string, len(r.Retractions))
	for i, x := range r.Retractions {
		parts[i] = fmt.Sprintf("%s %d of %s retracted at %s by %s (recorded %s): %s", x.What, x.ID, time(x.Of), time(x.Time), x.Actor,
			time(x.RecordedAt), x.Reason)
	}
	return strings.Join(parts, "; ")
}

// Same shows an RFC 3339 time of the report as it is (the CSV's and
// JSON's way).
func Same(s string) string { return s }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// span shows a number of seconds as days, hours and minutes: "2d 3h 5m".
func span(seconds int64) string {
	d := time.Duration(seconds) * time.Second
	days := int64(d / (24 * time.Hour))
	d -= time.Duration(days) * 24 * time.Hour
	h, m := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh %dm", days, h, m)
	case h > 0:
		return fmt.Sprintf("%dh %dm", h, m)
	}
	return fmt.Sprintf("%dm %ds", m, seconds%60)
}

func undelivered(r Cycle) string {
	if r.LongestUndelivered == nil {
		return ""
	}
	return span(r.LongestUndelivered.Seconds)
}

// ---- CSV: one row per cycle, lists summarised ----

// ComplianceCSVColumns is the compliance report's CSV header: a new slice
// at each call, so no caller can change another's.
func ComplianceCSVColumns() []string {
	return []string{"credential", "name", "owner", "rotated_at", "deadline", "closed_at", "rotated_by", "rotation_source",
		"outcome", "days_late", "reminders_sent", "reminder_attempts_failed", "reminders_failed_finally", "channels_told",
		"acknowledgments", "acknowledged_by", "longest_undelivered_from", "longest_undelivered_until", "longest_undelivered_seconds",
		"recorded_at", "closed_recorded_at", "back_dated", "retractions"}
}

type csvReport struct{ w *csv.Writer }

func newCSVReport(out io.Writer) *csvReport {
	r := &csvReport{w: csv.NewWriter(out)}
	r.w.Write(ComplianceCSVColumns())
	return r
}

func (c *csvReport) Cycle(r Cycle) error {
	n := reminderCounts(r)
	var from, until, secs string
	if s := r.LongestUndelivered; s != nil {
		from, until, secs = s.From, s.Until, strconv.FormatInt(s.Seconds, 10)
	}
	row := []string{r.Credential, r.Name, r.Owner, r.RotatedAt, r.Deadline, deref(r.ClosedAt), deref(r.RotatedBy), deref(r.RotationSource),
		r.Outcome, strconv.Itoa(r.DaysLate), strconv.Itoa(n[domain.StatusSent]), strconv.Itoa(n[domain.StatusRetry] + n[domain.StatusFailed]),
		strconv.Itoa(n[domain.StatusFailed]), told(r), strconv.Itoa(len(r.Acknowledgments)), ackedBy(r), from, until, secs,
		r.RecordedAt, deref(r.ClosedRecordedAt), BackDatedRecords(r, Same), retracted(r, Same)}
	for i := range row {
		row[i] = CSVCell(row[i])
	}
	return c.w.Write(row)
}

func (c *csvReport) Finish(Summary) error {
	c.w.Flush()
	return c.w.Error()
}

func (c *csvReport) Close() {}

// ---- table ----

// tableBlock is how many rows share column widths: the table is flushed
// every so many rows, so a large fleet's report is not held in memory.
const tableBlock = 1000

type tableReport struct{ tw *tabwriter.Writer }

func (t *tableReport) head(w io.Writer, h Header, s Summary) error {
	_, err := fmt.Fprintf(w, "%s\n%d credentials, %d cycles: %d on time, %d late, %d open, %d overdue; %d retractions\n%s\n%s\n\n",
		reportTitle(h, tableTime), s.Credentials, s.Cycles, s.OnTime, s.Late, s.Open, s.Overdue, s.Retractions, backDatedLine(s), headLine(s.Head))
	return err
}

func (t *tableReport) cycle(w io.Writer, r Cycle, n int) error {
	if t.tw == nil || n%tableBlock == 1 {
		if t.tw != nil {
			if err := t.tw.Flush(); err != nil {
				return err
			}
		}
		t.tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(t.tw, "CREDENTIAL\tROTATED_AT\tDEADLINE\tCLOSED_AT\tROTATED_BY\tOUTCOME\tDAYS_LATE\tSENT\tFAILED\tTOLD\tACKED_BY\tUNDELIVERED\tRECORDED_AT\tBACK_DATED\tRETRACTED")
	}
	cnt := reminderCounts(r)
	var acks []string
	for _, a := range r.Acknowledgments {
		if a.SnoozedUntil != nil {
			acks = append(acks, a.Actor+" (snoozed until "+Reformat(*a.SnoozedUntil)+")")
			continue
		}
		acks = append(acks, a.Actor)
	}
	closed := deref(r.ClosedAt)
	if closed != "" {
		closed = Reformat(closed)
	}
	_, err := fmt.Fprintf(t.tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", TableCell(r.Credential), Reformat(r.RotatedAt), Reformat(r.Deadline),
		TableCell(closed), TableCell(deref(r.RotatedBy)), r.Outcome, r.DaysLate, cnt[domain.StatusSent], cnt[domain.StatusRetry]+cnt[domain.StatusFailed],
		TableCell(told(r)), TableCell(strings.Join(acks, ",")), TableCell(undelivered(r)), Reformat(r.RecordedAt), TableCell(BackDatedRecords(r, Reformat)), TableCell(retracted(r, Reformat)))
	return err
}

func (t *tableReport) end(io.Writer) error {
	if t.tw != nil {
		return t.tw.Flush()
	}
	return nil
}

func (t *tableReport) foot(w io.Writer, n int) error {
	if n > 0 {
		return nil
	}
	_, err := fmt.Fprintln(w, "no cycles in the window")
	return err
}

// Reformat shows an RFC 3339 time of the report as its table does.
func Reformat(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.Format(tableTime)
}

// reportTitle is the line that says what the report covers.
func reportTitle(h Header, layout string) string {
	window := "all cycles"
	switch f := h.Filter; {
	case !f.Since.IsZero() && !f.Until.IsZero():
		window = "cycles open between " + f.Since.In(h.Loc).Format(layout) + " and " + f.Until.In(h.Loc).Format(layout)
	case !f.Since.IsZero():
		window = "cycles open at or after " + f.Since.In(h.Loc).Format(layout)
	case !f.Until.IsZero():
		window = "cycles started before " + f.Until.In(h.Loc).Format(layout)
	}
	if h.Filter.CredentialID != "" {
		window += " of " + Escape(h.Filter.CredentialID)
	}
	return "Compliance report at " + h.At.In(h.Loc).Format(layout) + ": " + window
}

// ---- HTML: one self-contained page, printable ----
// html/template escapes markup; txt (Escape) also shows control and
// bidirectional characters, which markup escaping lets through.

//go:embed report.html.tmpl
var reportHTML string

var reportTemplates = template.Must(template.New("report").Funcs(template.FuncMap{
	"reformat": Reformat, "deref": deref, "span": span, "txt": Escape,
}).Parse(reportHTML))

type htmlReport struct{}

type htmlHead struct {
	Title     string
	Database  string
	Zone      string
	Summary   Summary
	HeadEvent int64
	HeadHash  string // hex; "" when the chain has no event
}

func (htmlReport) head(w io.Writer, h Header, s Summary) error {
	return reportTemplates.ExecuteTemplate(w, "head", htmlHead{Title: reportTitle(h, tableTime), Database: h.Database, Zone: h.Loc.String(), Summary: s,
		HeadEvent: s.Head.ID, HeadHash: chain.Hex(s.Head.Hash)})
}

func (htmlReport) cycle(w io.Writer, r Cycle, _ int) error {
	return reportTemplates.ExecuteTemplate(w, "cycle", r)
}

func (htmlReport) end(io.Writer) error { return nil }

func (htmlReport) foot(w io.Writer, n int) error {
	return reportTemplates.ExecuteTemplate(w, "foot", n)
}
