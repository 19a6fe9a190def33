// Package store declares the store's roles once: each consumer names the
// role, or the composition of roles, it needs, and both backends (SQLite
// and PostgreSQL, the decisions written once in sqlstore) are every one.
// Every method owns its transaction; storetest pins down the behaviour
// every backend must show.
//
// Opening a database is backend.Open: this package is imported by the
// conformance suite, which the backends' own tests run, so it cannot
// import the backends.
package store

import (
	"context"
	"time"

	"github.com/notifier-dev/notifier/internal/chain"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/copydb"
)

// Syncer records what the config says: the files read, their credentials,
// the settings.
type Syncer interface {
	ConfigFiles(ctx context.Context) (map[string]domain.ConfigFile, error)
	RecordFile(ctx context.Context, f domain.ConfigFile, now time.Time) error
	SyncFile(ctx context.Context, f domain.ConfigFile, creds []domain.Credential, opts domain.SyncOptions, now time.Time) ([]domain.Change, error)
	SyncFiles(ctx context.Context, files []domain.FileSync, opts domain.SyncOptions, now time.Time) ([][]domain.Change, error)
	RetireFile(ctx context.Context, path string, now time.Time) ([]domain.Change, error)
	SyncSettings(ctx context.Context, values map[string]string, now time.Time) ([]string, error)
}

// Planner reads the cycles whose next action has come and records their
// plans as deliveries.
type Planner interface {
	DueCycles(ctx context.Context, now time.Time, limit int) ([]domain.Cycle, error)
	OpenCycles(ctx context.Context) ([]domain.Cycle, error)
	// PlanCycles streams the open cycles whose next action is at or
	// before until, in the order of their next action, in batches.
	PlanCycles(ctx context.Context, f domain.CredentialFilter, until time.Time, fn func([]domain.Cycle) error) error
	// PlanFleet streams the same cycles as PlanCycles in the order they
	// are stored (no order of time), on one read snapshot, in batches:
	// the fast read of the whole fleet, which the caller sorts.
	PlanFleet(ctx context.Context, f domain.CredentialFilter, until time.Time, fn func([]domain.Cycle) error) error
	RecordPlans(ctx context.Context, plans []domain.Plan, now time.Time) ([]domain.Delivery, error)
}

// Dispatcher hands due deliveries to one sender at a time (claims) and
// records what came of them.
type Dispatcher interface {
	DueChannels(ctx context.Context, now time.Time) ([]string, error)
	ClaimDeliveries(ctx context.Context, claimant, channel string, now, until time.Time, limit int) ([]domain.Claimed, error)
	RecordOutcomes(ctx context.Context, claimant string, outcomes []domain.Outcome) error
	// RenewClaims extends the claims the claimant still holds among ids.
	RenewClaims(ctx context.Context, claimant string, ids []int64, until time.Time) ([]int64, error)
}

// Recorder records what people report: rotations and acknowledgments.
type Recorder interface {
	RecordRotation(ctx context.Context, r domain.Rotation, now time.Time) error
	// OnlyLiveRotation says whether r is its credential's only live
	// rotation, the one no retraction may undo (domain.ErrOnlyRotation).
	OnlyLiveRotation(ctx context.Context, r domain.Rotation) (bool, error)
	RecordAck(ctx context.Context, a domain.Ack) (domain.Ack, error)
	Retract(ctx context.Context, x domain.Retraction) (domain.Retraction, error)
}

// Reader reads the record and never writes: the views, ack links, /metrics
// and /readyz.
type Reader interface {
	Cycle(ctx context.Context, id string) (domain.Cycle, error)
	// CyclesOf is the current cycles of the credentials ids, by id, with
	// the keys of their deliveries (a page's few rows).
	CyclesOf(ctx context.Context, ids []string) ([]domain.Cycle, error)
	States(ctx context.Context) ([]domain.CredentialState, error)
	// StatesAt is States at an earlier moment: each credential's cycle in
	// force then; one first rotated later is left out.
	StatesAt(ctx context.Context, at time.Time) ([]domain.CredentialState, error)
	// EachState streams States as q selects, in id order, with each
	// credential's last probes and pending rotation request.
	EachState(ctx context.Context, q domain.StateQuery, fn func(domain.CredentialState) error) error
	// CycleStartsAfter says whether some current cycle starts after at.
	CycleStartsAfter(ctx context.Context, at time.Time) (bool, error)
	// CountRotated is how many active credentials' current cycles began
	// with a rotation notifier saw (domain.CredentialState.RotationSeen)
	// after after and not after by.
	CountRotated(ctx context.Context, after, by time.Time) (int, error)
	Delivery(ctx context.Context, id int64) (domain.Delivery, error)
	Deliveries(ctx context.Context, credentialID string) ([]domain.Delivery, error)
	History(ctx context.Context, f domain.HistoryFilter) ([]domain.Event, error)
	// EachEvent calls fn with each event the filter selects, in time
	// order, as it is read: the history views stream through it.
	EachEvent(ctx context.Context, f domain.HistoryFilter, fn func(domain.Event) error) error
	EachCycle(ctx context.Context, fn func(domain.Cycle) error) error
	DeliveryCounts(ctx context.Context) ([]domain.DeliveryCount, error)
	// CredentialCounts is the fleet's counts by owner, policy and state,
	// one GROUP BY (/metrics' aggregates), ordered by owner.
	CredentialCounts(ctx context.Context, q domain.CountsQuery, fn func(domain.CredentialCount) error) error
	// UrgentCredentials is up to limit active credentials whose deadline
	// is not after until, soonest first, and how many there are in all.
	UrgentCredentials(ctx context.Context, until time.Time, limit int, fn func(domain.UrgentCredential) error) (int, error)
	// ReportCycles is the auditors' view: every cycle in a window.
	ReportCycles(ctx context.Context, f domain.ReportFilter, fn func(domain.CycleRecord) error) error
	// SyncedTimezone is the time zone the last sync recorded.
	SyncedTimezone(ctx context.Context) (string, error)
	// TimezoneAt is the time zone of the cycles' terms in force at at:
	// the zone of the latest terms recorded at or before it ("" when
	// none). A report of a past period counts and shows its days in it.
	TimezoneAt(ctx context.Context, at time.Time) (string, error)
	// DatabaseID is the database's random id, made when it was created
	// and kept by copies: ack links are signed over it.
	DatabaseID(ctx context.Context) (string, error)
	Ping(ctx context.Context) error
	// WriteGeneration counts the write transactions this store has
	// committed (not claims nor leases): an answer kept by a reader is
	// still true while it is unchanged.
	WriteGeneration() uint64
}

// Auditor checks the history's hash chain (see internal/chain).
type Auditor interface {
	// VerifyChain walks the chain and names the first row that does not
	// match.
	VerifyChain(ctx context.Context, opts chain.Options) (chain.Report, error)
	// ChainHead is the last chained event and its hash.
	ChainHead(ctx context.Context) (chain.Head, error)
	// ChainHeadBefore is the last chained event dated before until and
	// its hash: a report of a period ending at until cites it, and what
	// is recorded after the period does not change it.
	ChainHeadBefore(ctx context.Context, until time.Time) (chain.Head, error)
}

// NoticeRecorder records an SP-API notification; the engine is one too,
// and completes the notice (zone, follow-up) before it reaches the store.
type NoticeRecorder interface {
	RecordNotice(ctx context.Context, n domain.Notice, now time.Time) (domain.NoticeResult, error)
}

// Amazon records what Amazon and AWS say: SP-API notifications, rotation
// dates from AWS sources, probes of client secrets and the requests to
// rotate them.
type Amazon interface {
	NoticeRecorder
	SourcedCredentials(ctx context.Context) ([]domain.SourcedCredential, error)
	RecordSourceVersion(ctx context.Context, v domain.SourceVersion, now time.Time) (string, error)
	RecordProbe(ctx context.Context, p domain.Probe, now time.Time) (int, error)
	LastProbes(ctx context.Context) (map[string]domain.ProbeTimes, error)
	RecordRotationRequest(ctx context.Context, r domain.RotationRequest, now time.Time) error
	LastRotationCall(ctx context.Context, clientID string) (time.Time, error)
	PendingRotationRequests(ctx context.Context) (map[string]time.Time, error)
}

// Leaser holds a named lease for one holder at a time: the daemon's, the
// planner's among replicas.
type Leaser interface {
	AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (domain.Lease, bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
	// TakeOverLease gives the lease to holder only if from holds it (a
	// dead process of this host), expired or not.
	TakeOverLease(ctx context.Context, name, from, holder string, now time.Time, ttl time.Duration) (domain.Lease, bool, error)
}

// Copier is a database's side of notifier copy-db, as source or copy.
type Copier interface {
	CopySide() copydb.DB
}

// DueListener says when another process made a cycle due for planning.
// Only PostgreSQL is one (LISTEN/NOTIFY): assert it, do not require it.
type DueListener interface {
	ListenDue(ctx context.Context, fn func()) error
}

// Checkpointer copies what a database keeps in a write-ahead log beside
// its file into the file itself, so that the file alone holds the
// record. Only SQLite is one (PostgreSQL has no such file to copy):
// assert it, do not require it. The daemon checkpoints when idle.
type Checkpointer interface {
	Checkpoint(ctx context.Context) error
}

// Engine is what the engine consumes: it syncs, plans, dispatches, records
// and reads, and hands its store to the HTTP API as a Reader.
type Engine interface {
	Syncer
	Planner
	Dispatcher
	Recorder
	Reader
	Amazon
	Admins
	Digester
}

// Digester is the outbox of the channels' digests: one row per channel
// and scheduled moment, claimed, retried and recorded as a delivery is.
type Digester interface {
	// EnqueueDigest adds a channel's digest at its scheduled moment at,
	// due at now; one already there is left as it is.
	EnqueueDigest(ctx context.Context, channel string, at, now time.Time) error
	// ClaimDigests claims the channel's pending digests due at now until
	// the given time; an older pending one than the latest is dropped.
	ClaimDigests(ctx context.Context, claimant, channel string, now, until time.Time) ([]domain.DigestDelivery, error)
	// RecordDigest records one attempt's outcome and its history event.
	RecordDigest(ctx context.Context, claimant string, o domain.DigestOutcome) error
}

// Admins is the state of notifier's own operational problems, kept in
// the history: each is told to the admins once when it starts and once
// when it clears.
type Admins interface {
	// RecordProblem appends a notice that p started (open) or cleared,
	// unless its last notice already says so; it reports whether it did.
	RecordProblem(ctx context.Context, p domain.Problem, open bool, now time.Time) (bool, error)
	// OpenProblems lists the problems started and not cleared, by key.
	OpenProblems(ctx context.Context) ([]domain.Problem, error)
}

// Reporter is what the auditors' views read: the cycles and the history,
// and the chain's head that proves nothing was cut from them.
type Reporter interface {
	Reader
	Auditor
}

// ReadOnly is a database opened for reading only (status, plan, history,
// report, verify, backup, the source of copy-db): the engine's roles, for
// an engine that only computes views, whose writes the database refuses.
type ReadOnly interface {
	Engine
	Auditor
	Copier
	// Path is the database as it was opened: a file path or a URL.
	Path() string
	Close() error
}

// Store is a database opened for writing: every role.
type Store interface {
	ReadOnly
	Leaser
}
