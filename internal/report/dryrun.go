package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
)

// DryRun prints what a tick at now would do (`tick --dry-run`): each
// message with its recipient, subject and text, each stage it would record
// as skipped, as text blocks (table) or JSON.
func DryRun(w io.Writer, format string, rows []engine.Intended, now time.Time, loc *time.Location) error {
	if format == "json" {
		if rows == nil {
			rows = []engine.Intended{}
		}
		return writeJSON(w, rows)
	}
	send := 0
	for _, r := range rows {
		line := Escape(r.Credential) + " " + Escape(r.Stage)
		if r.Seq > 0 {
			line += fmt.Sprintf(" (repeat %d)", r.Seq)
		}
		line += " -> " + Escape(r.Channel)
		if r.Recipient != "" {
			line += " (" + Escape(r.Type) + ": " + Escape(r.Recipient) + ")"
		}
		if r.Status == domain.StatusSkipped {
			fmt.Fprintf(w, "would skip %s: %s\n", line, Escape(oneLine(r.Reason)))
			continue
		}
		send++
		fmt.Fprintf(w, "would send %s\n  subject: %s\n", line, Escape(oneLine(r.Subject)))
		for _, l := range strings.Split(strings.TrimRight(r.Text, "\n"), "\n") {
			fmt.Fprintf(w, "  | %s\n", Escape(l))
		}
	}
	_, err := fmt.Fprintf(w, "dry run at %s: %d would be sent, %d skipped; nothing was sent or written\n",
		now.In(loc).Format(time.RFC3339), send, len(rows)-send)
	return err
}
