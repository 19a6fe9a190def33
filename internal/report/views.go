package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

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
	if format == "json" {
		if rows == nil {
			rows = []engine.CredentialStatus{}
		}
		return writeJSON(w, rows)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	probed, requested := false, false
	for _, r := range rows {
		probed = probed || r.LastProbe != ""
		requested = requested || r.RotationRequested != nil
	}
	header := "ID\tNAME\tOWNER\tROTATED_AT\tDEADLINE\tDAYS\tSTAGE\tACK\tSTATE\tFAILED"
	if probed {
		// Only where some secret is probed: the column says when Amazon
		// last accepted it, and what the last probe found.
		header += "\tVERIFIED"
	}
	if requested {
		// A rotation asked of Amazon, not yet reported by its new-secret
		// notification.
		header += "\tROTATION_REQUESTED"
	}
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		ack := ""
		if r.Acknowledged {
			ack = r.AcknowledgedBy
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%d", TableCell(r.ID), TableCell(r.Name), TableCell(r.Owner),
			r.RotatedAt.Format(tableTime), r.Deadline.Format(tableTime), r.DaysRemaining, TableCell(r.Stage), TableCell(ack),
			r.State, r.FailedDeliveries)
		if probed {
			fmt.Fprintf(tw, "\t%s", verifiedCell(r))
		}
		if requested {
			cell := "-"
			if r.RotationRequested != nil {
				cell = r.RotationRequested.Format(tableTime)
			}
			fmt.Fprintf(tw, "\t%s", cell)
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
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
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

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
