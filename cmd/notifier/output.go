package main

import (
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/report"
	"github.com/notifier-dev/notifier/internal/store"
)

// What -o takes on the commands that print a result (the text they always
// printed, or one JSON object) and on tick (whose dry run prints a table).
var (
	textOrJSON  = []string{"text", "json"}
	tableOrJSON = []string{"table", "json"}
)

// wantsJSON reports whether the command runs with -o json: its stdout
// then carries the one JSON value and nothing else (see messages).
func wantsJSON(cmd *cobra.Command) bool {
	f := cmd.Flags().Lookup("output")
	return f != nil && f.Value.String() == "json"
}

// messages is where what is not the command's data goes: the stdout
// channel's reminders and the progress lines of a tick. It is stdout, as
// always, except under -o json, whose stdout holds the JSON alone: then
// stderr.
func (c *cli) messages() io.Writer {
	if c.jsonOut {
		return c.stderr
	}
	return c.stdout
}

// rfc3339 is how the JSON results show a time: RFC 3339 in the config's
// zone, as the text does.
func rfc3339(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.RFC3339) }

// recorded is when notifier recorded what the command just did: the wall
// clock (never --at), to the second, as the records keep it.
func (c *cli) recorded() time.Time { return c.wall().UTC().Truncate(time.Second) }

// ackResult is `ack -o json`.
type ackResult struct {
	Credential string `json:"credential"`
	// Cycle is the current cycle, named by the time of the rotation
	// that started it.
	Cycle      string `json:"cycle"`
	AckedAt    string `json:"acked_at"`
	RecordedAt string `json:"recorded_at,omitempty"`
	Actor      string `json:"actor"`
	Note       string `json:"note"`
	// AlreadyAcknowledged: nothing was recorded; AckedAt and Actor are
	// the acknowledgment the cycle already had.
	AlreadyAcknowledged bool `json:"already_acknowledged"`
	// SnoozedUntil is a snooze's end; absent for a plain acknowledgment.
	SnoozedUntil string `json:"snoozed_until,omitempty"`
}

func (c *cli) ackJSON(cmd *cobra.Command, st store.Reader, id string, loc *time.Location, already *domain.AlreadyAcknowledged, r ackResult) error {
	if already != nil {
		r = ackResult{Credential: id, AckedAt: rfc3339(already.At, loc), Actor: already.By, AlreadyAcknowledged: true}
	}
	cyc, err := st.Cycle(cmd.Context(), id)
	if err != nil {
		return err
	}
	r.Cycle = rfc3339(cyc.Start, loc)
	switch {
	case already != nil && !already.Until.IsZero():
		r.SnoozedUntil = rfc3339(already.Until, loc)
	case already == nil && !cyc.AckUntil.IsZero():
		r.SnoozedUntil = rfc3339(cyc.AckUntil, loc)
	}
	return report.JSON(c.stdout, r)
}
