package domain

import "time"

// EventDigest is the history's event of a channel's digest: one per
// attempt to send it, with its status (sent, retry, failed).
const EventDigest = "digest"

// DigestDelivery is a claimed digest: a channel's summary at one
// scheduled moment, its outbox row.
type DigestDelivery struct {
	ID       int64
	Channel  string
	At       time.Time // the scheduled moment
	Attempts int       // the attempts made before this one
}

// DigestOutcome is what happened to one attempt to send a digest.
type DigestOutcome struct {
	ID            int64
	Status        string    // StatusSent, StatusRetry or StatusFailed
	Attempts      int       // the attempts made, this one included
	NextAttemptAt time.Time // for StatusRetry
	Error         string    // the service's answer, redacted
	Event         Event     // the history line for this attempt
}
