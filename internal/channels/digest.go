package channels

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"
)

// Digest is one summary of many credentials that a channel receives on
// its digest schedule, in place of (or beside) one message per reminder.
// A Message carries it in Digest; integrations render it as a table
// (email), blocks (Slack), JSON (webhook, stdout json) or text.
type Digest struct {
	Channel   string    // the channel it is for
	At        time.Time // the scheduled moment, in the configured zone
	DueWithin int       // days: what is due within them is listed
	Sections  []DigestSection
}

// DigestSection is one group of rows: overdue, due soon, acknowledged.
// A section with no rows is left out of the digest.
type DigestSection struct {
	Key   string // "overdue", "due", "acknowledged": stable, for JSON
	Title string // "Overdue", "Due within 14 days", …
	Rows  []DigestRow
}

// DigestRow is one credential in a digest.
type DigestRow struct {
	Credential    string    `json:"credential"`
	Name          string    `json:"name"`
	Owner         string    `json:"owner"`
	Deadline      time.Time `json:"deadline"` // in the configured zone
	DaysRemaining int       `json:"days_remaining"`
	Overdue       bool      `json:"overdue"`
	DaysOverdue   int       `json:"days_overdue"`
	Stage         string    `json:"stage,omitempty"` // the latest stage sent, if any
	AckedBy       string    `json:"acknowledged_by,omitempty"`
	AckedAt       time.Time `json:"acknowledged_at,omitzero"`
	SnoozedUntil  time.Time `json:"snoozed_until,omitzero"`      // a snooze in force by AckedBy: its end
	Failed        int       `json:"failed_deliveries,omitempty"` // deliveries of this cycle that finally failed
}

// Total is how many credentials the digest lists.
func (d *Digest) Total() int {
	n := 0
	for _, s := range d.Sections {
		n += len(s.Rows)
	}
	return n
}

// Summary is the digest in one line: "3 overdue, 5 due within 14 days,
// 2 acknowledged", or "nothing due within 14 days".
func (d *Digest) Summary() string {
	var parts []string
	for _, s := range d.Sections {
		if len(s.Rows) > 0 {
			parts = append(parts, strconv.Itoa(len(s.Rows))+" "+strings.ToLower(s.Title))
		}
	}
	if len(parts) == 0 {
		return "nothing due within " + plural(d.DueWithin, "day")
	}
	return strings.Join(parts, ", ")
}

// Subject is the digest's subject line.
func (d *Digest) Subject() string {
	return "notifier digest " + d.At.Format("Mon 2 Jan 2006") + ": " + d.Summary()
}

// When is the row's status phrase, as a reminder says it: "overdue by 3
// days", "deadline reached", "5 days remaining".
func (r DigestRow) When() string {
	return Message{Overdue: r.Overdue, DaysOverdue: r.DaysOverdue, DaysRemaining: r.DaysRemaining}.Status()
}

// Ack is the row's acknowledgment: "by alice at Mon 7 Dec 2026 09:00 CET",
// "snoozed by alice until Thu 10 Dec 2026 09:00 CET", or "" when nobody
// acknowledged.
func (r DigestRow) Ack() string {
	if !r.SnoozedUntil.IsZero() {
		return "snoozed by " + orSomeone(r.AckedBy) + " until " + r.SnoozedUntil.Format(DateLayout)
	}
	if r.AckedBy == "" && r.AckedAt.IsZero() {
		return ""
	}
	s := "by " + orSomeone(r.AckedBy)
	if !r.AckedAt.IsZero() {
		s += " at " + r.AckedAt.Format(DateLayout)
	}
	return s
}

func orSomeone(s string) string {
	if s == "" {
		return "someone"
	}
	return s
}

// Line is the row as one line of text.
func (r DigestRow) Line() string {
	var b strings.Builder
	b.WriteString(r.Credential)
	b.WriteString(" (")
	b.WriteString(r.Name)
	if r.Owner != "" {
		b.WriteString(", ")
		b.WriteString(r.Owner)
	}
	b.WriteString("): ")
	b.WriteString(r.When())
	b.WriteString(", deadline ")
	b.WriteString(r.Deadline.Format(DateLayout))
	if r.Stage != "" {
		b.WriteString(", stage ")
		b.WriteString(r.Stage)
	}
	if a := r.Ack(); a != "" {
		if r.SnoozedUntil.IsZero() {
			b.WriteString(", acknowledged ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(a)
	}
	if r.Failed > 0 {
		b.WriteString(", ")
		b.WriteString(strconv.Itoa(r.Failed))
		if r.Failed == 1 {
			b.WriteString(" failed delivery")
		} else {
			b.WriteString(" failed deliveries")
		}
	}
	return b.String()
}

// Text is the digest as plain text: the summary, then each section's
// rows, one a line.
func (d *Digest) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Credential digest for %s: %s.\n", d.At.Format(DateLayout), d.Summary())
	for _, s := range d.Sections {
		if len(s.Rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s (%d)\n", s.Title, len(s.Rows))
		for _, r := range s.Rows {
			b.WriteString("- ")
			b.WriteString(r.Line())
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// TextWithin is Text cut to at most max bytes at a row's end, the rows
// left out said as "… and N more": for a service with a size limit (SNS:
// 256 KB).
func (d *Digest) TextWithin(max int) string {
	s := d.Text()
	if len(s) <= max {
		return s
	}
	const room = 64 // for the "and N more" line
	cut := strings.LastIndexByte(s[:max-room], '\n') + 1
	more := strings.Count(s[cut:], "\n- ")
	if strings.HasPrefix(s[cut:], "- ") {
		more++
	}
	return s[:cut] + "… and " + strconv.Itoa(more) + " more (notifier status lists them all)\n"
}

// HTML is the digest as an HTML page, a table per section, every value
// escaped (template.HTMLEscapeString). It is written directly, not through
// html/template, whose reflection per cell made 100,000 rows take seconds.
func (d *Digest) HTML() (string, error) {
	var b strings.Builder
	b.Grow(512 + 320*d.Total())
	esc := func(s string) { template.HTMLEscape(&b, []byte(s)) }
	b.WriteString("<!DOCTYPE html>\n<html><body style=\"font-family:sans-serif\">\n<h2>Credential digest for ")
	esc(d.At.Format(DateLayout))
	b.WriteString("</h2>\n<p>")
	esc(d.Summary())
	b.WriteString(".</p>\n")
	for _, s := range d.Sections {
		if len(s.Rows) == 0 {
			continue
		}
		b.WriteString("<h3>")
		esc(s.Title)
		fmt.Fprintf(&b, " (%d)</h3>\n", len(s.Rows))
		b.WriteString(`<table border="1" cellpadding="4" cellspacing="0" style="border-collapse:collapse">` + "\n" +
			"<tr><th>Credential</th><th>Name</th><th>Owner</th><th>Deadline</th><th>Status</th><th>Stage</th><th>Acknowledged</th></tr>\n")
		for _, r := range s.Rows {
			b.WriteString("<tr><td><code>")
			esc(r.Credential)
			b.WriteString("</code></td><td>")
			esc(r.Name)
			b.WriteString("</td><td>")
			esc(r.Owner)
			b.WriteString("</td><td>")
			esc(r.Deadline.Format(DateLayout))
			b.WriteString("</td><td>")
			esc(r.When())
			if r.Failed > 0 {
				fmt.Fprintf(&b, "; %d failed", r.Failed)
			}
			b.WriteString("</td><td>")
			esc(r.Stage)
			b.WriteString("</td><td>")
			esc(r.Ack())
			b.WriteString("</td></tr>\n")
		}
		b.WriteString("</table>\n")
	}
	b.WriteString("</body></html>\n")
	return b.String(), nil
}

// DigestMessage is the Message that carries d: its subject and text
// rendered, the delivery's id and key set by the caller.
func DigestMessage(d *Digest) Message {
	return Message{Stage: "digest", Subject: d.Subject(), Text: d.Text(), Now: d.At, Digest: d}
}
