// Package storetest is the conformance suite every store backend passes:
// one set of tests of what the engine relies on (sync, planning, claims,
// outcomes, rotations, acknowledgments, the lease and the history), run on
// SQLite today and on PostgreSQL, for several replicas, next.
//
// A backend's test calls Run with a function that opens its store on the
// database named by path, a fresh one for every subtest. Run calls open a
// second time with the same path wherever two processes are simulated, and
// closes every store it opens. Every test runs at fixed dates; nothing
// sleeps.
//
// The suite knows the store only through the Store interface: the methods
// the engine consumes plus the readers the tests observe with.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/chain"
	"github.com/notifier-dev/notifier/internal/domain"
)

// Store is what a backend implements: the engine's interface, with the
// meaning the SQLite store's doc comments give each method.
type Store interface {
	ConfigFiles(ctx context.Context) (map[string]domain.ConfigFile, error)
	RecordFile(ctx context.Context, f domain.ConfigFile, now time.Time) error
	SyncFile(ctx context.Context, f domain.ConfigFile, creds []domain.Credential, opts domain.SyncOptions, now time.Time) ([]domain.Change, error)
	SyncFiles(ctx context.Context, files []domain.FileSync, opts domain.SyncOptions, now time.Time) ([][]domain.Change, error)
	RetireFile(ctx context.Context, path string, now time.Time) ([]domain.Change, error)
	SyncSettings(ctx context.Context, values map[string]string, now time.Time) ([]string, error)

	DueCycles(ctx context.Context, now time.Time, limit int) ([]domain.Cycle, error)
	OpenCycles(ctx context.Context) ([]domain.Cycle, error)
	RecordPlans(ctx context.Context, plans []domain.Plan, now time.Time) ([]domain.Delivery, error)

	DueChannels(ctx context.Context, now time.Time) ([]string, error)
	ClaimDeliveries(ctx context.Context, claimant, channel string, now, until time.Time, limit int) ([]domain.Claimed, error)
	RecordOutcomes(ctx context.Context, claimant string, outcomes []domain.Outcome) error
	// RenewClaims extends the claims the claimant still holds among ids.
	RenewClaims(ctx context.Context, claimant string, ids []int64, until time.Time) ([]int64, error)

	RecordRotation(ctx context.Context, r domain.Rotation, now time.Time) error
	RecordAck(ctx context.Context, a domain.Ack) (domain.Ack, error)

	Cycle(ctx context.Context, id string) (domain.Cycle, error)
	States(ctx context.Context) ([]domain.CredentialState, error)

	// What the HTTP API reads (ack links, Slack buttons, /metrics, /readyz).
	Delivery(ctx context.Context, id int64) (domain.Delivery, error)
	EachCycle(ctx context.Context, fn func(domain.Cycle) error) error
	DeliveryCounts(ctx context.Context) ([]domain.DeliveryCount, error)
	Ping(ctx context.Context) error
	History(ctx context.Context, f domain.HistoryFilter) ([]domain.Event, error)
	Deliveries(ctx context.Context, credentialID string) ([]domain.Delivery, error)
	// The auditors' view (not the engine's): every cycle in a window.
	ReportCycles(ctx context.Context, f domain.ReportFilter, fn func(domain.CycleRecord) error) error

	// VerifyChain walks the history's hash chain (see internal/chain).
	VerifyChain(ctx context.Context, opts chain.Options) (chain.Report, error)
	// ChainHead is the last chained event and its hash.
	ChainHead(ctx context.Context) (chain.Head, error)

	AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (domain.Lease, bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error

	// Amazon SP-API notifications.
	RecordNotice(ctx context.Context, n domain.Notice, now time.Time) (domain.NoticeResult, error)
	// Rotation dates from AWS (Parameter Store, Secrets Manager).
	SourcedCredentials(ctx context.Context) ([]domain.SourcedCredential, error)
	RecordSourceVersion(ctx context.Context, v domain.SourceVersion, now time.Time) (string, error)
	// Probes of SP-API client secrets.
	RecordProbe(ctx context.Context, p domain.Probe, now time.Time) (int, error)
	LastProbes(ctx context.Context) (map[string]domain.ProbeTimes, error)
	// Requests to Amazon to rotate SP-API client secrets.
	RecordRotationRequest(ctx context.Context, r domain.RotationRequest, now time.Time) error
	LastRotationCall(ctx context.Context, clientID string) (time.Time, error)
	PendingRotationRequests(ctx context.Context) (map[string]time.Time, error)

	Close() error
}

// Opener opens a backend's store on the database named by path; called
// twice with one path, it returns two independent handles on one database.
type Opener = func(t *testing.T, path string) Store

// Run runs the whole suite on the backend open opens.
func Run(t *testing.T, open Opener) {
	groups := []struct {
		name string
		run  func(*testing.T, Opener)
	}{
		{"ConfigFiles", testConfigFiles},
		{"SyncFile", testSyncFile},
		{"RetireFile", testRetireFile},
		{"SyncSettings", testSyncSettings},
		{"Cycles", testCycles},
		{"RecordPlans", testRecordPlans},
		{"ClaimDeliveries", testClaimDeliveries},
		{"RecordOutcomes", testRecordOutcomes},
		{"RenewClaims", testRenewClaims},
		{"DueChannels", testDueChannels},
		{"RecordRotation", testRecordRotation},
		{"RecordAck", testRecordAck},
		{"States", testStates},
		{"History", testHistory},
		{"Lease", testLease},
		{"ReportCycles", testReportCycles},
		{"RecordNotice", testRecordNotice},
		{"RecordSourceVersion", testRecordSourceVersion},
		{"RecordProbe", testRecordProbe},
		{"RecordRotationRequest", testRecordRotationRequest},
		{"Reminders", testReminders},
		{"Chain", testChain},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.run(t, open) })
	}
}
