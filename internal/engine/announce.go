package engine

import (
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// announceTime is how an announcement writes a moment: "Tue 15 Dec 2026
// 10:00 UTC", in the config's zone.
const announceTime = "Mon 2 Jan 2006 15:04 MST"

// announceMessage renders a rotation's announcement: who rotated which
// credential and how, when (and when notifier recorded it, if later), and
// for an LWA credential when the old secret stops working: as Amazon
// stated it (the delivery's due time, after the rotation), else 7 calendar
// days after the new secret was generated, in loc. Of any other
// credential's old secret it says nothing.
func announceMessage(m *channels.Message, d domain.Claimed, loc *time.Location) {
	m.Subject = fmt.Sprintf("%s rotated", d.Cycle.ID)
	text := fmt.Sprintf("%s (%s) rotated", d.Cycle.ID, d.Cycle.Name)
	if d.RotatedBy != "" {
		text += " by " + d.RotatedBy
	}
	text += fmt.Sprintf(" via %s at %s", d.Cycle.Source, d.Cycle.Start.In(loc).Format(announceTime))
	if rec := d.RotationRecordedAt; !rec.IsZero() && rec.Sub(d.Cycle.Start) >= time.Minute {
		text += fmt.Sprintf(" (recorded %s)", rec.In(loc).Format(announceTime))
	}
	if d.Cycle.LWAClientID != "" {
		stops := d.Due
		if !stops.After(d.Cycle.Start) {
			stops = schedule.Span{Days: domain.OldSecretGrace}.Add(d.Cycle.Start, 1, loc)
		}
		text += "; the old secret stops working " + stops.In(loc).Format(announceTime)
		m.Subject += fmt.Sprintf("; the old secret stops working %s", stops.In(loc).Format(announceTime))
	}
	m.Text = text + "."
}
