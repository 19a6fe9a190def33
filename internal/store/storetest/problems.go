package storetest

import (
	"testing"

	"github.com/notifier-dev/notifier/internal/domain"
)

// A problem is recorded once when it starts and once when it clears, and
// the open ones are read back from the history (a reopened store, as
// after a restart, knows them).
func testRecordProblem(t *testing.T, open Opener) {
	e := newEnv(t, open)
	bad := domain.Problem{Key: "config:creds/bad.yaml", Detail: `creds/bad.yaml:3: credentials[1].id: "x" is already used`}
	other := domain.Problem{Key: "channel:ops", Detail: "a delivery to ops finally failed"}
	record := func(p domain.Problem, open bool) bool {
		t.Helper()
		told, err := e.RecordProblem(e.ctx, p, open, hours(1))
		if err != nil {
			t.Fatal(err)
		}
		return told
	}
	equal(t, "a problem never started clears", record(bad, false), false)
	equal(t, "started", record(bad, true), true)
	equal(t, "started again", record(bad, true), false)
	equal(t, "another started", record(other, true), true)
	openNow, err := e.handle().OpenProblems(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "open problems", len(openNow), 2)
	equal(t, "first open problem", openNow[1], bad)
	equal(t, "cleared", record(bad, false), true)
	equal(t, "cleared again", record(bad, false), false)
	openNow, err = e.OpenProblems(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "open problems once cleared", len(openNow), 1)
	equal(t, "the one left", openNow[0].Key, other.Key)
	evs := e.history(domain.HistoryFilter{Type: domain.EventNotice})
	equal(t, "notice events", len(evs), 3)
	equal(t, "the clearing notice", evs[2].Stage+" "+evs[2].Status, bad.Key+" "+domain.NoticeCleared)
}
