package domain

import (
	"time"

	"github.com/notifier-dev/notifier/internal/schedule"
)

// The auditors' view: a cycle as a compliance record, read back from the
// history, and what it says about rotating in time.

// ReportFilter narrows a compliance report: the cycles that overlap
// [Since, Until) (a cycle spans from its rotation until the rotation that
// closed it, or for ever while open), of one credential when CredentialID
// is set. Zero fields match everything.
type ReportFilter struct {
	CredentialID string
	Since        time.Time // inclusive
	Until        time.Time // exclusive
	// At is the moment the cycles are judged at, when earlier than Until
	// (report --at): their terms are those recorded by then. Zero: Until.
	At time.Time
}

// CycleRecord is one cycle of a credential as the history records it: the
// rotation that started it, the one that closed it (if any), every
// reminder attempt's outcome and every acknowledgment.
type CycleRecord struct {
	Credential       // as last synced: its period and explicit deadline give the cycle's deadline
	Active     bool  // whether the credential is still in the config
	RotationID int64 // the rotation that started the cycle
	Start      time.Time
	// StartRecorded is when the rotation that started the cycle was
	// recorded (Start may be earlier: a back-dated rotation).
	StartRecorded time.Time
	// Deadline and Zone are the cycle's terms in force at the end of the
	// report's window: the deadline fixed when the cycle started (or last
	// moved while it was open) and the zone its days are counted in.
	// Zero and "": none recorded, the credential's config applies.
	Deadline  time.Time
	Zone      string
	Closed    *Rotation // the rotation that closed the cycle; nil while open
	Reminders []ReminderAttempt
	Acks      []AckRecord
	// Retractions are the corrections of the cycle's records: a retracted
	// rotation that had closed it, a retracted acknowledgment of it.
	Retractions []RetractionRecord
}

// RetractionRecord is one retraction as a report shows it: what was
// retracted (kind, id and time), when, by whom, why, and when notifier
// recorded it.
type RetractionRecord struct {
	Kind       string
	TargetID   int64
	TargetTime time.Time
	At         time.Time
	Actor      string
	Reason     string
	RecordedAt time.Time
}

// ReminderAttempt is one reminder event of a cycle: an attempt's outcome
// (sent, retry, failed), or a stage skipped or superseded.
type ReminderAttempt struct {
	Time    time.Time
	Stage   string
	Channel string
	Status  string
}

// AckRecord is one acknowledgment of a cycle.
type AckRecord struct {
	Time   time.Time
	Actor  string
	Source string
	// Recorded is when notifier recorded it; zero for an acknowledgment
	// recorded before the column existed (migration 0009).
	Recorded time.Time
	// Until is a snooze's end; zero for an acknowledgment of the cycle.
	Until time.Time
}

// Cycle outcomes in a report.
const (
	OutcomeOnTime  = "on_time" // rotated before the deadline
	OutcomeLate    = "late"    // rotated at or after the deadline
	OutcomeOpen    = "open"    // not rotated, deadline still ahead
	OutcomeOverdue = "overdue" // not rotated, deadline reached
)

// Stretch is a span of time, [From, Until).
type Stretch struct {
	From  time.Time
	Until time.Time
}

// Duration is the stretch's length.
func (s Stretch) Duration() time.Duration { return s.Until.Sub(s.From) }

// CycleVerdict is what a report says of a cycle at now.
type CycleVerdict struct {
	Deadline time.Time
	Outcome  string
	// DaysLate is how late the rotation was (or, overdue, how late it is
	// at now) by the one rule for days: the whole calendar days past the
	// deadline, as status counts them (schedule.DaysOverdue, minus the days
	// remaining). 0 when on time or open, and also for a rotation (or an
	// overdue judgment) within the first day after the deadline, the
	// "deadline reached" day: outcome late, 0 days.
	DaysLate int
	// Undelivered is the longest stretch in which no reminder to the cycle
	// could be delivered (see LongestUndelivered); nil when none.
	Undelivered *Stretch
}

// Verdict judges the cycle at now by its own terms: their deadline, with
// days counted in their zone. A cycle without recorded terms takes the
// credential's, as status computes them: the explicit expires_at for the
// cycle the config records, else the cycle's start plus the rotation
// period in calendar days of loc. The deadline's very moment counts as
// passed, as in status.
func (c CycleRecord) Verdict(now time.Time, loc *time.Location) CycleVerdict {
	if z, err := time.LoadLocation(c.Zone); c.Zone != "" && err == nil {
		loc = z
	}
	v := CycleVerdict{Deadline: c.Deadline}
	if v.Deadline.IsZero() {
		v.Deadline = c.Credential.Deadline(c.Start, loc)
	}
	end := now
	switch {
	case c.Closed != nil && c.Closed.RotatedAt.Before(v.Deadline):
		v.Outcome, end = OutcomeOnTime, c.Closed.RotatedAt
	case c.Closed != nil:
		v.Outcome, end = OutcomeLate, c.Closed.RotatedAt
		v.DaysLate = schedule.DaysOverdue(v.Deadline, end, loc)
	case now.Before(v.Deadline):
		v.Outcome = OutcomeOpen
	default:
		v.Outcome = OutcomeOverdue
		v.DaysLate = schedule.DaysOverdue(v.Deadline, now, loc)
	}
	v.Undelivered = LongestUndelivered(c.Reminders, end)
	return v
}

// LongestUndelivered is the longest stretch during which no reminder to a
// cycle could be delivered: it starts at an attempt that did not deliver
// (status retry or failed, on any channel) while no such stretch is open,
// and ends at the next reminder sent on any channel, or else at end (the
// rotation that closed the cycle, or now while it is open). Attempts are
// taken in the order given (time order). Skipped and superseded stages are
// not attempts and neither open nor close a stretch. Of stretches of equal
// length the first is kept; nil when no attempt failed.
func LongestUndelivered(attempts []ReminderAttempt, end time.Time) *Stretch {
	var best *Stretch
	var open *time.Time
	closeAt := func(t time.Time) {
		s := Stretch{From: *open, Until: t}
		if s.Until.Before(s.From) {
			s.Until = s.From
		}
		if best == nil || s.Duration() > best.Duration() {
			best = &s
		}
		open = nil
	}
	for _, a := range attempts {
		switch a.Status {
		case StatusRetry, StatusFailed:
			if open == nil {
				t := a.Time
				open = &t
			}
		case StatusSent:
			if open != nil {
				closeAt(a.Time)
			}
		}
	}
	if open != nil {
		closeAt(end)
	}
	return best
}
