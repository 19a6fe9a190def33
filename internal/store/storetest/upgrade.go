package storetest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/chain"
	"github.com/notifier-dev/notifier/internal/domain"
)

// OldEvents are n events (config changes ignored, with no credential) as a
// notifier before recorded_at existed hashed them: version 1 of the
// canonical encoding, chained from Genesis at id start. A backend's
// upgrade test writes them into a database built by the migrations before
// the one that adds recorded_at, then opens it with the store.
func OldEvents(start int64, n int) []chain.Row {
	rows := make([]chain.Row, n)
	h, prev := chain.NewHasher(nil), chain.Genesis
	for i := range rows {
		r := chain.Row{ID: start + int64(i), Time: fmt.Sprintf("2026-01-0%dT09:00:00Z", i+1), Type: domain.EventConfig, Status: "ignored",
			Detail: fmt.Sprintf("old event %d", i+1), NullCredential: true, NullRotation: true, NullDelivery: true}
		r.Hash = h.Sum(nil, prev, &r)
		prev, rows[i] = r.Hash, r
	}
	return rows
}

// CheckUpgradedChain checks a store opened on a database that held the
// old events (OldEvents(start, n)) and was migrated: verify names where
// the chain starts and passes; the old rows have no recorded time; the
// store appends version 2 rows after them, which verify; a rotation's or
// acknowledgment's recorded_at edited in its table is named (its event's
// differs); and a version 2 row's recorded_at edited breaks the chain at
// that row. tamper runs a statement as someone with the database, the
// append-only triggers of events, rotations and acknowledgments off.
func CheckUpgradedChain(t *testing.T, s Store, start int64, n int, tamper func(stmt string)) {
	t.Helper()
	e := &env{t: t, ctx: t.Context(), Store: s}
	rep := e.verify(chain.Options{})
	if rep.Problem != nil || rep.Start != start || rep.Rows != int64(n) || rep.RecordedFrom != 0 {
		t.Fatalf("after the upgrade: chain starts at %d, %d rows, version 2 from %d, problem %+v; want start %d, %d rows, none of version 2",
			rep.Start, rep.Rows, rep.RecordedFrom, rep.Problem, start, n)
	}
	for _, ev := range e.history(domain.HistoryFilter{}) {
		equal(t, fmt.Sprintf("recorded time of old event %d", ev.ID), ev.RecordedAt.IsZero(), true)
	}
	e.sync(file, t0, cred("alpha"))
	first := start + int64(n)
	rep = e.verify(chain.Options{})
	if rep.Problem != nil || rep.Start != start || rep.Rows <= int64(n) || rep.RecordedFrom != first {
		t.Fatalf("after a sync: chain starts at %d, %d rows, version 2 from %d, problem %+v; want start %d, more than %d rows, version 2 from %d",
			rep.Start, rep.Rows, rep.RecordedFrom, rep.Problem, start, n, first)
	}
	// The tables' recorded times are held to their events'.
	rot, ack := e.rotate("alpha", days(1), days(1)), e.ack("alpha", days(1), "alice")
	tamper(fmt.Sprintf(`UPDATE acknowledgments SET recorded_at = acked_at WHERE id = %d`, ack.ID))
	rep = e.verify(chain.Options{})
	if rep.Problem == nil || rep.Problem.Kind != chain.KindTable || !strings.Contains(rep.Problem.Detail, fmt.Sprintf("acknowledgment %d ", ack.ID)) {
		t.Errorf("the recorded_at of acknowledgment %d edited: problem %+v, want the acknowledgments table named", ack.ID, rep.Problem)
	}
	tamper(fmt.Sprintf(`UPDATE rotations SET recorded_at = rotated_at WHERE id = %d`, rot.RotationID))
	rep = e.verify(chain.Options{})
	if rep.Problem == nil || rep.Problem.Kind != chain.KindTable || !strings.Contains(rep.Problem.Detail, fmt.Sprintf("rotation %d ", rot.RotationID)) {
		t.Errorf("the recorded_at of rotation %d edited: problem %+v, want the rotations table named", rot.RotationID, rep.Problem)
	}
	tamper(fmt.Sprintf(`UPDATE events SET recorded_at = time WHERE id = %d`, first))
	rep = e.verify(chain.Options{})
	if rep.Problem == nil || rep.Problem.Row != first || rep.Problem.Kind != chain.KindEdited {
		t.Errorf("the recorded_at of event %d edited: problem %+v, want row %d %s", first, rep.Problem, first, chain.KindEdited)
	}
}
