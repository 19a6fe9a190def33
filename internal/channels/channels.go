// Package channels defines what every integration implements: a Channel that
// sends one Message, the errors that tell the engine whether a failure is
// worth retrying (with ClassifyHTTP, the one judge of HTTP answers), the
// default message templates, a Message's JSON form (Payload), and
// InteractiveChannel, through which the HTTP API hands a button's click to
// the channel that sent the message.
//
// Integrations live in sub-packages (slack, email, sns, webhook, stdout), one
// per destination, in the manner of Alertmanager's notify/<name>. They know
// nothing of SQL or YAML; the engine is the only place that joins them with
// the store, and the registry the only package that imports them.
package channels

import (
	"context"
	"log/slog"
	"strconv"
	"time"
)

// Channel is one configured destination.
type Channel interface {
	// Name is the name the channel has in the config (the key under channels:).
	Name() string
	// Type is the integration: "slack", "email", "sns", "webhook", "stdout".
	Type() string
	// Send delivers one message. A nil error means the service accepted it.
	// A non-nil error says, through Permanent, Retryable and RetryAfter,
	// whether sending the same message again may succeed; an error that is
	// none of these is treated as retryable. Send never retries by itself:
	// the retry loop lives in the engine.
	Send(ctx context.Context, m Message) error
}

// Message is one reminder for one credential, as an integration renders it.
// Subject and Text are already rendered from the stage's (or the default)
// template; integrations that need richer forms (HTML, Block Kit, SMS) build
// them from the fields.
type Message struct {
	// DeliveryID is the outbox row's id: the Slack button's value, the basis
	// of the email Message-ID and of the SNS deduplication id. Zero for a
	// message sent by `notifier test`.
	DeliveryID int64
	// DeliveryKey is a stable, unique text key of the delivery
	// ("<credential>/<cycle>/<stage>/<channel>/<seq>"); it survives a restart.
	DeliveryKey string

	Credential string // the credential's id (slug)
	Name       string // the credential's human name
	Owner      string // the owning team or person
	Stage      string // the stage's name: "30d", "24h", "overdue", ...
	Seq        int    // 0 for the first send of a stage, n for its n-th repeat

	RotatedAt time.Time // start of the current cycle, in the configured zone
	Deadline  time.Time // end of the current cycle, in the configured zone
	Now       time.Time // when the message was rendered, in the configured zone

	// DaysRemaining is the time to the deadline in days, rounded up (so it
	// is 0 or negative once the deadline has passed).
	DaysRemaining int
	// Overdue is true once now is at or after the deadline; DaysOverdue is
	// then the time since the deadline in days, rounded up.
	Overdue     bool
	DaysOverdue int
	// Final is true for the last notice before the deadline: less than 24
	// hours remain.
	Final bool

	Acknowledged   bool
	AcknowledgedBy string
	AcknowledgedAt time.Time
	// SnoozedUntil is the end of a snooze by AcknowledgedBy: in force
	// while Acknowledged, else ended; zero: no snooze.
	SnoozedUntil time.Time

	// AckURL is a link that acknowledges this delivery, when the HTTP API is
	// configured; empty otherwise.
	AckURL string

	// How to rotate the credential and what breaks if nobody does, from
	// the config's runbook: and impact: (or Amazon's procedure for an
	// SP-API client secret): plain text and an http(s) URL, each possibly
	// empty. Integrations escape them for their markup.
	Runbook    string
	RunbookURL string
	Impact     string

	Subject string
	Text    string

	// To, when set, is where this message goes instead of the channel's
	// own recipients: the credential owner's route (a channel with route:
	// owner). Email sends to all its addresses (cc: still applies); slack,
	// sns and webhook take To[0]: a Slack channel or user, a topic ARN, a
	// URL (a secret: never quote it). Empty: the channel's own.
	To []string

	// Test is true for a sample sent by `notifier test`.
	Test bool
	// Announcement is true for a rotation's announcement: it tells, it
	// asks nothing, so integrations offer no acknowledgment.
	Announcement bool
	// Escalation is set on an escalation (a stage's escalate:): the line
	// that says nobody acknowledged which reminder, sent when and where
	// ("escalation: nobody acknowledged the 7d reminder sent Sat 21 Nov
	// 09:00 UTC to ops within 4h"); it also opens Text.
	Escalation string
	// Digest, when set, makes the message a channel's digest: a summary
	// of many credentials (the fields above of one credential are empty).
	Digest *Digest
}

// Urgency is a coarse level integrations use for colour and emoji.
type Urgency int

const (
	UrgencyNotice   Urgency = iota // more than 7 days remain
	UrgencyWarning                 // 7 days or less
	UrgencyCritical                // the final 24-hour notice
	UrgencyOverdue                 // the deadline has passed
)

// Urgency says how close the deadline is.
func (m Message) Urgency() Urgency {
	switch {
	case m.Overdue:
		return UrgencyOverdue
	case m.Final:
		return UrgencyCritical
	case m.DaysRemaining <= 7:
		return UrgencyWarning
	default:
		return UrgencyNotice
	}
}

// AckState says the acknowledgment as the message stands: "Snoozed by
// alice until Thu 10 Dec 2026 09:00 CET" while a snooze lasts, "Snooze by
// alice ended …" after it, "Acknowledged by alice at …" for the cycle, ""
// when nobody acknowledged. It is plain text; integrations escape it.
func (m Message) AckState() string {
	return m.ackState(DateLayout)
}

// AckStateShort is AckState with the dates as "2006-01-02 15:04 MST", for
// an SMS.
func (m Message) AckStateShort() string {
	return m.ackState("2006-01-02 15:04 MST")
}

func (m Message) ackState(layout string) string {
	by := m.AcknowledgedBy
	if by == "" {
		by = "someone"
	}
	switch {
	case m.Acknowledged && !m.SnoozedUntil.IsZero():
		return "Snoozed by " + by + " until " + m.SnoozedUntil.Format(layout)
	case m.Acknowledged && m.AcknowledgedAt.IsZero():
		return "Acknowledged by " + by
	case m.Acknowledged:
		return "Acknowledged by " + by + " at " + m.AcknowledgedAt.Format(layout)
	case !m.SnoozedUntil.IsZero():
		return "Snooze by " + by + " ended " + m.SnoozedUntil.Format(layout)
	}
	return ""
}

// Status is the short phrase every template starts from: "30 days
// remaining", "1 day remaining", "24-hour notice", "overdue by 3 days",
// "deadline reached".
func (m Message) Status() string {
	switch {
	case m.Overdue && m.DaysOverdue == 0:
		return "deadline reached"
	case m.Overdue:
		return "overdue by " + plural(m.DaysOverdue, "day")
	case m.Final:
		return "24-hour notice"
	default:
		return plural(m.DaysRemaining, "day") + " remaining"
	}
}

func plural(n int, unit string) string {
	s := strconv.Itoa(n) + " " + unit
	if n != 1 {
		s += "s"
	}
	return s
}

// Describe is how an integration's Channel prints itself (its String and
// GoString): its name and type, never its configuration. fmt does not call
// a Secret's String on an unexported field, so a Channel printed field by
// field would show its token or URL.
func Describe(c Channel) string {
	return c.Type() + " channel " + strconv.Quote(c.Name())
}

// LogValue is how an integration's Channel shows in a log (its
// slog.LogValuer): a group of its name and type.
func LogValue(c Channel) slog.Value {
	return slog.GroupValue(slog.String("name", c.Name()), slog.String("type", c.Type()))
}
