package channels

import "time"

// Payload is a Message as JSON: the body the webhook channel POSTs and the
// line the stdout channel prints in its json format. Both emit this one
// form, so a receiver reads either the same way.
type Payload struct {
	Credential     string `json:"credential"`
	Name           string `json:"name"`
	Owner          string `json:"owner"`
	Stage          string `json:"stage"`
	Seq            int    `json:"seq"`
	DaysRemaining  int    `json:"days_remaining"`
	Deadline       string `json:"deadline"` // RFC 3339, in the configured zone
	Overdue        bool   `json:"overdue"`
	DaysOverdue    int    `json:"days_overdue"`
	Acknowledged   bool   `json:"acknowledged"`
	AcknowledgedBy string `json:"acknowledged_by,omitempty"`
	SnoozedUntil   string `json:"snoozed_until,omitempty"` // RFC 3339, while a snooze lasts
	Subject        string `json:"subject"`
	Text           string `json:"text"`
	Delivery       int64  `json:"delivery"`
	AckURL         string `json:"ack_url,omitempty"`
	Runbook        string `json:"runbook,omitempty"`     // how to rotate, plain text
	RunbookURL     string `json:"runbook_url,omitempty"` // a page with the procedure
	Impact         string `json:"impact,omitempty"`      // what breaks if nobody rotates
	Test           bool   `json:"test,omitempty"`
	Escalation     string `json:"escalation,omitempty"` // why an escalation was sent
	// Digest is a channel's digest: its moment and sections, each with
	// its rows (the fields above of one credential are then empty).
	Digest *DigestPayload `json:"digest,omitempty"`
}

// DigestPayload is a Digest as JSON.
type DigestPayload struct {
	At        string              `json:"at"` // RFC 3339, in the configured zone
	DueWithin int                 `json:"due_within_days"`
	Total     int                 `json:"total"`
	Sections  []DigestSectionJSON `json:"sections"`
}

// DigestSectionJSON is one section of a DigestPayload.
type DigestSectionJSON struct {
	Key   string      `json:"key"`
	Title string      `json:"title"`
	Rows  []DigestRow `json:"rows"`
}

// NewPayload is the JSON form of m.
func NewPayload(m Message) Payload {
	p := Payload{
		Credential: m.Credential, Name: m.Name, Owner: m.Owner, Stage: m.Stage, Seq: m.Seq,
		DaysRemaining: m.DaysRemaining, Deadline: m.Deadline.Format(time.RFC3339),
		Overdue: m.Overdue, DaysOverdue: m.DaysOverdue,
		Acknowledged: m.Acknowledged, AcknowledgedBy: m.AcknowledgedBy,
		Subject: m.Subject, Text: m.Text, Delivery: m.DeliveryID, AckURL: m.AckURL, Test: m.Test,
		Runbook: m.Runbook, RunbookURL: m.RunbookURL, Impact: m.Impact, Escalation: m.Escalation,
		Digest: digestPayload(m.Digest),
	}
	switch {
	case !m.Acknowledged: // a snooze that ended: the message says so in its text
		p.AcknowledgedBy = ""
	case !m.SnoozedUntil.IsZero():
		p.SnoozedUntil = m.SnoozedUntil.Format(time.RFC3339)
	}
	return p
}

func digestPayload(d *Digest) *DigestPayload {
	if d == nil {
		return nil
	}
	p := &DigestPayload{At: d.At.Format(time.RFC3339), DueWithin: d.DueWithin, Total: d.Total(), Sections: []DigestSectionJSON{}}
	for _, s := range d.Sections {
		if len(s.Rows) > 0 {
			p.Sections = append(p.Sections, DigestSectionJSON{Key: s.Key, Title: s.Title, Rows: s.Rows})
		}
	}
	return p
}
