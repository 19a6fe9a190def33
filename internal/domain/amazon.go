package domain

import (
	"errors"
	"regexp"
	"time"
)

// SourceSPAPI is the source of a rotation that an SP-API new-secret
// notification reported.
const SourceSPAPI = "sp-api"

// The SP-API notification types notifier acts on.
const (
	NoticeSecretExpiry = "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY"
	NoticeNewSecret    = "APPLICATION_OAUTH_CLIENT_NEW_SECRET"
	// NoticeMalformed is the type of a Notice that records an SQS message
	// that was not a usable notification, once it has been received as
	// often as the consumer allows: its ID is "sqs:" and the message id,
	// Problem says what was wrong; the body is never part of it.
	NoticeMalformed = "malformed"
)

// StageOldSecret is the stage of the follow-up reminder a new-secret
// notification adds: the old secret stops working at the delivery's Due.
const StageOldSecret = "sp-api:old-secret"

// Notice is one SP-API notification about a client secret, as the store
// records it. The new secret itself is never part of it.
type Notice struct {
	ID        string    // notificationMetadata.notificationId: unique
	Type      string    // NoticeSecretExpiry or NoticeNewSecret
	ClientID  string    // the LWA client id the notification is about
	EventTime time.Time // eventTime: when Amazon says it happened
	// Deadline is the cycle's deadline as Amazon states it:
	// clientSecretExpiryTime, or newClientSecretExpiryTime.
	Deadline time.Time
	Reason   string // clientSecretExpiryReason, if any
	// Problem is, of a NoticeMalformed, what was wrong with the message
	// and how often it was received (never its body).
	Problem string

	// Of a new-secret notification: when the old secret stops working
	// (oldClientSecretExpiryTime), when the follow-up reminder goes out,
	// and on which channels of the credential's policy.
	OldSecretExpiresAt time.Time
	FollowUpAt         time.Time
	FollowUpChannels   func(policy string) []string

	// Zone is the configured time zone, in which the config's deadline
	// (calendar days) is computed for the history's "old deadline".
	Zone *time.Location
}

// What the store did with a Notice.
const (
	NoticeApplied   = "applied"   // a deadline set, a rotation recorded
	NoticeDuplicate = "duplicate" // its id was seen before: nothing changed
	NoticeUnknown   = "unknown"   // no active credential has its client id: recorded in the history
	NoticeStale     = "stale"     // about an earlier cycle than the current one: recorded, nothing changed
	// NoticeMalformed (also a Notice's Type): an SQS message that was not a
	// usable notification, recorded in the history; the consumer deletes it.
)

// NoticeResult is what recording a Notice did.
type NoticeResult struct {
	Status       string // NoticeApplied, NoticeDuplicate, NoticeUnknown, NoticeStale or NoticeMalformed
	CredentialID string
	RotationID   int64     // the cycle whose deadline was set
	Rotated      bool      // a rotation was recorded (new-secret)
	OldDeadline  time.Time // the cycle's deadline before
	NewDeadline  time.Time
	FollowUps    int // follow-up reminders added
}

// ErrAmbiguousClient: several active credentials have the notification's
// client id (check reports it; a config that bypassed check can have it).
// The notification is left in the queue until the config is fixed.
var ErrAmbiguousClient = errors.New("several credentials have this lwa.client_id")

var lwaClientIDRE = regexp.MustCompile(`^amzn1\.application-oa2-client\.[A-Za-z0-9]{1,128}$`)

// IsLWAClientID reports whether s has the form of an LWA client id as the
// Developer Console shows it (amzn1.application-oa2-client.…): safe as a
// file name too.
func IsLWAClientID(s string) bool { return lwaClientIDRE.MatchString(s) }

// Outcomes of a probe: exchanging an SP-API credential's refresh token at
// the LWA token endpoint.
const (
	ProbeOK       = "ok"       // Amazon accepts the client secret
	ProbeRejected = "rejected" // 401 invalid_client: Amazon rejects the secret now
	ProbeFailed   = "failed"   // no answer about the secret (network, 429, 5xx)
)

// StageRejected is the stage of the alert a rejected probe raises at once,
// whatever the deadline says.
const StageRejected = "rejected"

// Probe is one probe's outcome, as the store records it. Detail is
// redacted; Channels are where a rejection's alert goes.
type Probe struct {
	CredentialID string
	At           time.Time
	Outcome      string // ProbeOK, ProbeRejected or ProbeFailed
	Detail       string
	Channels     func(policy string) []string
}

// ProbeTimes are a credential's last probe and its last successful one
// (zero: never verified).
type ProbeTimes struct {
	Last        time.Time
	LastOutcome string
	Verified    time.Time
}

// Outcomes of a request to Amazon to rotate a client secret.
const (
	RequestAccepted = "requested" // 204: the new secret will arrive in a notification
	RequestRefused  = "refused"   // Amazon answered with an error (its text kept verbatim, redacted)
	RequestFailed   = "failed"    // the rotation API was not reached, or no answer
)

// EventRotationRequest is a request to Amazon to rotate a client secret.
const EventRotationRequest = "rotation-request"

// RotationRequest is one call of the rotation API, as the store records
// it: Called says whether the API itself was called (the rate limit
// counts those).
type RotationRequest struct {
	CredentialID string
	At           time.Time
	Outcome      string
	Detail       string
	Actor        string
	Called       bool
}
