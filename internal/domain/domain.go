// Package domain holds the words of notifier's vocabulary as Go types: a
// credential, the cycle a rotation starts, its deadline, an acknowledgment,
// a delivery and its statuses, an event of the history. It knows nothing
// of SQL, YAML or any channel; the config, the store and the engine all
// speak it.
package domain

import (
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/schedule"
)

// Credential is one secret that must be rotated, as the config describes it.
type Credential struct {
	ID             string
	Name           string
	Owner          string
	RotatedAt      time.Time     // the operator's record of the last rotation
	RotationPeriod schedule.Span // the cycle's length
	ExpiresAt      time.Time     // an explicit deadline for the cycle of RotatedAt; zero if none
	Policy         string
	// LWAClientID is the Login With Amazon client id of an SP-API
	// credential (lwa.client_id): how Amazon's notifications name it.
	// Empty for other credentials. Not a secret.
	LWAClientID string
	// Source is where AWS keeps the secret (source: and aws:): each sync
	// reads its current version's date. Zero for none.
	Source AWSSource
	// DatedBy is set when the config gave no rotated_at and RotatedAt is
	// the date of the source's current version: the first rotation is
	// recorded with this source, and a later RotatedAt is never taken for
	// the operator's record of a rotation. "" when the config gave it.
	DatedBy string
	// File is the config file that defines the credential, relative to the
	// main config's folder; a credential that leaves its file becomes
	// inactive. Line is where its id is written, for problems.
	File string
	Line int
}

// Deadline is the end of a cycle that started at start: ExpiresAt for the
// cycle the config records, start + RotationPeriod (calendar days in loc)
// otherwise.
func (c Credential) Deadline(start time.Time, loc *time.Location) time.Time {
	if !c.ExpiresAt.IsZero() && start.Equal(c.RotatedAt) {
		return c.ExpiresAt
	}
	return c.RotationPeriod.Add(start, 1, loc)
}

// ConfigFile is a config file as it was when last synced. A file whose size
// and modification time are unchanged is not read again; one whose content
// hash is unchanged is not parsed again.
type ConfigFile struct {
	Path    string // relative to the main config's folder
	Size    int64
	ModTime time.Time
	Hash    string // hex SHA-256 of the content
}

// Unchanged reports whether f looks like the file last synced as g without
// reading it: same size and modification time.
func (f ConfigFile) Unchanged(g ConfigFile) bool {
	return f.Path == g.Path && f.Size == g.Size && f.ModTime.Equal(g.ModTime)
}

// Rotation is one recorded rotation of a credential: the start of a cycle.
type Rotation struct {
	ID           int64
	CredentialID string
	RotatedAt    time.Time
	Source       string // config, cli, http, slack, sp-api, ssm, secretsmanager
	Actor        string
	Note         string
	// RecordedAt is when notifier recorded the rotation (its wall clock);
	// RotatedAt may be earlier (a back-dated rotate --at).
	RecordedAt time.Time
	// OldSecretExpiresAt is when the old secret stops working, where
	// Amazon stated it (an SP-API new-secret notification); zero
	// otherwise. Not stored with the rotation: the announcement says it.
	OldSecretExpiresAt time.Time
}

// StageAnnounce is the stage of a rotation's announcement: one delivery
// per channel of its policy's announce:, added with the rotation.
const StageAnnounce = "announce"

// AnnounceKey is the synced setting that holds the channels a policy
// announces its credentials' rotations on, comma-separated.
func AnnounceKey(policy string) string { return "announce:" + policy }

// OldSecretGrace is how long Amazon keeps an LWA client's old secret
// working after a new one is generated: 7 calendar days.
const OldSecretGrace = 7

// Ack is an acknowledgment of a cycle: "seen, on it".
type Ack struct {
	ID           int64
	CredentialID string
	RotationID   int64
	At           time.Time
	Actor        string
	Note         string
	Source       string // cli, http, slack, email
	DeliveryID   int64  // the reminder acknowledged; 0 when not known
	// Until is a snooze's end: the ladder resumes then. Zero: a plain
	// acknowledgment, for the whole cycle.
	Until time.Time
}

// What a Retraction retracts.
const (
	RetractRotation = "rotation"
	RetractAck      = "acknowledgment"
)

// Retraction is a correction: a mistaken rotation or acknowledgment is
// retracted by an appended record, never edited away. The target is
// TargetID when set, else (a rotation) the one at TargetAt when set,
// else the latest live record of the credential's current cycle.
type Retraction struct {
	ID           int64
	CredentialID string
	Kind         string // RetractRotation or RetractAck
	TargetID     int64
	TargetAt     time.Time
	At           time.Time // when it happened
	Actor        string
	Reason       string
	RecordedAt   time.Time // the wall clock when notifier recorded it
	// Filled in by the store: the retracted record's time, and the cycle
	// current after the retraction.
	TargetTime time.Time
	RotationID int64
}

// Delivery statuses. A delivery moves pending -> sent | failed |
// superseded; skipped rows record stages that were never due to go out.
const (
	StatusPending    = "pending"
	StatusSent       = "sent"
	StatusFailed     = "failed"
	StatusSkipped    = "skipped"
	StatusSuperseded = "superseded"
	// StatusRetry is an event's status, never a delivery's: an attempt
	// failed and the delivery stays pending until its next attempt.
	StatusRetry = "retry"
	// StatusReleased is an outcome's status, never a delivery's: the send
	// was interrupted (shutdown) and the claim given back, so the delivery
	// is tried again at once by the next sender.
	StatusReleased = "released"
)

// Delivery is one message of one stage (repeat Seq) of one cycle to one
// channel: an outbox row.
type Delivery struct {
	ID            int64
	RotationID    int64
	CredentialID  string
	Stage         string
	Seq           int
	Channel       string
	Status        string
	Due           time.Time
	Attempts      int
	NextAttemptAt time.Time
	SentAt        time.Time
	LastError     string
	// RecordedAt is when the final outcome (sent, failed, skipped,
	// superseded) was recorded; zero while pending, or for a row recorded
	// before the column existed.
	RecordedAt time.Time
	// CreatedAt is when notifier recorded the row (the wall clock, as
	// every recorded_at); Due is the simulated moment it is due.
	CreatedAt time.Time
}

// Key is the delivery's name within its cycle, unique with the channel.
func (d Delivery) Key() schedule.Key { return schedule.Key{Stage: d.Stage, Seq: d.Seq} }

// Event types in the history.
const (
	EventRotation   = "rotation"
	EventReminder   = "reminder"
	EventAck        = "ack"
	EventCredential = "credential"
	EventConfig     = "config"
	// EventDeadline is a change of the open cycle's terms (its deadline,
	// policy, rotation period or zone) with the old and new values and
	// the source (status).
	EventDeadline = "deadline"
	// EventRetraction is a rotation or an acknowledgment retracted
	// (Retraction): the record stays, marked.
	EventRetraction = "retraction"
	// EventNotification is an SP-API notification handled: a deadline
	// Amazon stated, a client id no credential has, one ignored.
	EventNotification = "notification"
	// EventAudit records a change to the history's own tamper evidence:
	// the chain keyed with audit.key from that event on.
	EventAudit = "audit"
	// EventProbe is a probe of an SP-API client secret that Amazon
	// rejected.
	EventProbe = "probe"
)

// EventTypes lists every event type, for validating filters.
func EventTypes() []string {
	return []string{EventRotation, EventReminder, EventAck, EventCredential, EventConfig, EventDeadline, EventNotification, EventAudit, EventProbe, EventRotationRequest, EventNotice, EventRetraction}
}

// Event is one line of the append-only history.
type Event struct {
	ID           int64     `json:"-"`
	Time         time.Time `json:"time"`
	Type         string    `json:"type"`
	CredentialID string    `json:"credential"`
	RotationID   int64     `json:"-"`
	DeliveryID   int64     `json:"-"`
	Stage        string    `json:"stage"`
	Channel      string    `json:"channel"`
	Status       string    `json:"status"`
	Actor        string    `json:"actor"`
	Detail       string    `json:"detail"`
	// RecordedAt is when notifier recorded the event (its wall clock), Time
	// when it happened; zero for an event recorded before the column
	// existed (migration 0009).
	RecordedAt time.Time `json:"-"`
}

// Cycle is a credential's current cycle with what planning and rendering
// need: the credential as last synced, the rotation that started the cycle,
// its first acknowledgment and the deliveries it already has.
type Cycle struct {
	Credential
	Active     bool
	RotationID int64
	Start      time.Time // the rotation's time
	Source     string    // the rotation's source
	AckAt      time.Time // zero: not acknowledged
	AckBy      string
	AckUntil   time.Time // the snooze's end; zero: a plain acknowledgment (or none)
	// Sent holds the keys of the cycle's deliveries in any status; nil
	// where the reader did not ask for them.
	Sent map[schedule.Key]bool
	// FirstSent holds, by stage name (an escalation step by its
	// schedule.EscalationName), when the stage's first successful delivery
	// went out, any repeat, any channel; filled in with Sent.
	FirstSent map[string]time.Time
	// NextAction is when the cycle next needs planning; zero: never,
	// until something changes.
	NextAction time.Time
	// StatedDeadline is the deadline Amazon last stated for this cycle
	// (an SP-API notification); zero: none. A statement moves the cycle's
	// terms (TermsDeadline): this is what Amazon said, for display.
	StatedDeadline time.Time
	// TermsDeadline is the deadline of the cycle's terms in force (fixed
	// when it started, moved only by a recorded change: the config's or
	// Amazon's); zero: none recorded, the config's applies.
	TermsDeadline time.Time
}

// Deadline is the end of the cycle: its terms' deadline, else what the
// credential's config implies. It is the one rule every reader shares
// (status, planning, the report and audit_cycles read the same terms).
func (c Cycle) Deadline(loc *time.Location) time.Time {
	if !c.TermsDeadline.IsZero() {
		return c.TermsDeadline
	}
	return c.Credential.Deadline(c.Start, loc)
}

// Ack is the cycle's acknowledgment that counts (its latest) as the
// schedule sees it.
func (c Cycle) Ack() schedule.Ack { return schedule.Ack{At: c.AckAt, By: c.AckBy, Until: c.AckUntil} }

// HasSent reports whether the cycle has a delivery for k.
func (c Cycle) HasSent(k schedule.Key) bool { return c.Sent[k] }

// FirstSentOf is when the stage's first successful delivery went out (the
// zero time: none), as schedule.FirstSent asks.
func (c Cycle) FirstSentOf(stage string) time.Time { return c.FirstSent[stage] }

// Plan is what one planning of a cycle decided: the outbox rows to add
// (pending or skipped) and when the cycle next needs planning.
type Plan struct {
	CredentialID string
	RotationID   int64 // the cycle planned: a plan for a cycle no longer current is dropped
	// PlannedFrom is the cycle's NextAction as read; the new NextAction is
	// written only if nobody changed it since (an ack, a rotation).
	PlannedFrom time.Time
	Deliveries  []Delivery
	NextAction  time.Time
}

// Claimed is a delivery claimed for sending, with the cycle it belongs to
// for rendering.
type Claimed struct {
	Delivery
	Cycle Cycle // without Sent
	// RotatedBy and RotationRecordedAt are the actor and the record time
	// of the delivery's rotation (an announcement tells them).
	RotatedBy          string
	RotationRecordedAt time.Time
}

// Outcome is the result of one claimed delivery's attempt, recorded by its
// claimant.
type Outcome struct {
	DeliveryID int64
	Status     string // StatusSent, StatusRetry, StatusFailed or StatusReleased
	Attempts   int    // the attempts made, this one included (unchanged for Released)
	// WakeAt, for StatusSent, is when the escalation this send starts is
	// due (schedule.EscalationWake): the cycle's next action moves to it
	// if it is earlier. Zero: none.
	WakeAt        time.Time
	NextAttemptAt time.Time // for StatusRetry
	Error         string    // the service's answer, redacted
	Event         Event     // the history line for this attempt
}

// Lease is the database's single-sender lease: one `notifier run` holds it
// and renews it; a crashed holder's lease expires.
type Lease struct {
	Name      string
	Holder    string
	Acquired  time.Time
	ExpiresAt time.Time
}

// CredentialState is a credential with its current cycle and delivery
// counts, for status.
type CredentialState struct {
	Cycle
	LastStage  string    // the stage of the last reminder sent in this cycle
	LastSentAt time.Time // when the last reminder of this cycle went out
	Failed     int       // deliveries of this cycle that finally failed
	Pending    int       // deliveries of this cycle still being tried
	// Probe is the credential's last probes (EachState only; zero: never
	// probed), RotationRequested when Amazon last accepted a request to
	// rotate its secret in this cycle (EachState only; zero: none).
	Probe             ProbeTimes
	RotationRequested time.Time
	// Waiting is the cycle's pending delivery never yet tried whose first
	// attempt is the latest (EachState only; zero: none): a send that
	// waits in the outbox for its channel's delivery window, which status
	// shows even when the config alone would say the window had passed
	// (a reminder first planned after downtime).
	Waiting Waiting
	// RotationSeen says that the cycle began with a rotation notifier
	// saw (an operator's, Amazon's, AWS's): the credential has an earlier
	// recorded rotation. The first cycle of a credential, dated by the
	// config or its AWS source when it was added, was not one.
	RotationSeen bool
}

// Waiting is a delivery in the outbox that waits for its first attempt.
type Waiting struct {
	Channel string
	At      time.Time
}

// Change is one thing a config sync did that the history records and the
// engine logs.
type Change struct {
	CredentialID string
	Status       string // added, updated, rotated, inactive, reactivated, ignored
	Detail       string
	Warn         bool // worth a warning in the log: the operator's edit was ignored
}

// HistoryFilter narrows a history query; zero fields match everything.
type HistoryFilter struct {
	CredentialID string // exact id
	// Credential is a glob over the credential id (see MatchGlob): * any
	// run of characters, ? one character, [a-z] a class; "" any.
	Credential string
	Owner      string // the credential's owner, exact
	Type       string
	Since      time.Time // inclusive
	Until      time.Time // exclusive
	Limit      int       // stop after this many events; 0: no limit
}

// SyncOptions tells a config file's sync what only the engine knows.
type SyncOptions struct {
	// Movable reports whether a credential that another file defines may
	// move into this one: that file is being synced in the same pass, or
	// is gone. Nil: none may.
	Movable func(file string) bool
	// FirstAction is when a new credential's first cycle first needs
	// planning: the planner's answer for a cycle that has nothing yet, so
	// that a first sync of a large fleet writes each credential once. The
	// zero time means never. Nil: at the cycle's start.
	FirstAction func(c Credential) time.Time
}

// FileSync is one config file to sync with the credentials it lists.
type FileSync struct {
	File        ConfigFile
	Credentials []Credential
}

// DeliveryCount is how many deliveries of one channel have one status
// (pending, failed): what /metrics shows.
type DeliveryCount struct {
	Channel string
	Status  string
	Count   int
}

// IsDatabaseURL says whether a config's database names a PostgreSQL
// database (a postgres:// or postgresql:// URL) rather than a SQLite file.
func IsDatabaseURL(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}
