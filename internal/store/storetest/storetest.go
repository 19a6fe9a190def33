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
// The suite knows the store only through store.Store, every role of
// package store: each role is run on every backend.
package storetest

import (
	"testing"

	"github.com/notifier-dev/notifier/internal/store"
)

// Store is what a backend implements: every role of package store. The
// alias keeps the backends' tests naming the suite's store as before.
type Store = store.Store

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
		{"PlanCycles", testPlanCycles},
		{"PlanFleet", testPlanFleet},
		{"RecordPlans", testRecordPlans},
		{"ClaimDeliveries", testClaimDeliveries},
		{"RecordOutcomes", testRecordOutcomes},
		{"EscalationWake", testEscalationWake},
		{"RenewClaims", testRenewClaims},
		{"DueChannels", testDueChannels},
		{"RecordRotation", testRecordRotation},
		{"RecordAck", testRecordAck},
		{"Snooze", testSnooze},
		{"Retract", testRetract},
		{"Announce", testAnnounce},
		{"States", testStates},
		{"StatesAt", testStatesAt},
		{"EachState", testEachState},
		{"SideBySide", testSideBySide},
		{"History", testHistory},
		{"HistoryFilters", testHistoryFilters},
		{"Lease", testLease},
		{"ReportCycles", testReportCycles},
		{"RecordNotice", testRecordNotice},
		{"RecordSourceVersion", testRecordSourceVersion},
		{"RecordProbe", testRecordProbe},
		{"RecordProblem", testRecordProblem},
		{"RecordRotationRequest", testRecordRotationRequest},
		{"Reminders", testReminders},
		{"Chain", testChain},
		{"Recorded", testRecorded},
		{"SyncedTimezone", testSyncedTimezone},
		{"CycleTerms", testCycleTerms},
		{"AmazonTerms", testAmazonTerms},
		{"CredentialCounts", testCredentialCounts},
		{"UrgentCredentials", testUrgentCredentials},
		{"WriteGeneration", testWriteGeneration},
		{"DatabaseID", testDatabaseID},
		{"Path", testPath},
		{"CopySide", testCopySide},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.run(t, open) })
	}
}
