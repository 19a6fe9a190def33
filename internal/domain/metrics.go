package domain

import "time"

// CountsQuery asks the store for the fleet's aggregates at Now. A cycle
// is overdue when its deadline is not after Now, due when it is not after
// DueBy[its policy] (the moment the policy's least urgent stage is active
// for a deadline: Now plus that stage's offset), else ok; a policy not in
// DueBy is never due before it is overdue.
type CountsQuery struct {
	Now   time.Time
	DueBy map[string]time.Time
}

// CredentialCount is how many credentials of one owner and policy are in
// one state (ok, due, overdue, inactive), and the soonest deadline among
// them (zero for inactive ones, or none known).
type CredentialCount struct {
	Owner        string
	Policy       string
	State        string
	Count        int
	NextDeadline time.Time
}

// UrgentCredential is an active credential whose current deadline is in
// a window: what /metrics gives a series of its own.
type UrgentCredential struct {
	ID       string
	Deadline time.Time
	// Acknowledged: the cycle's latest live acknowledgment exists;
	// SnoozedUntil is its end when it is a snooze (zero: for the cycle).
	// AcknowledgedAt says whether it is in force at a moment.
	Acknowledged bool
	SnoozedUntil time.Time
}

// AcknowledgedAt says whether the cycle is acknowledged at now: an
// acknowledgment for the cycle, or a snooze that has not ended.
func (u UrgentCredential) AcknowledgedAt(now time.Time) bool {
	return u.Acknowledged && (u.SnoozedUntil.IsZero() || u.SnoozedUntil.After(now))
}
