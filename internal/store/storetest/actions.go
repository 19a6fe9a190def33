package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

func testRecordRotation(t *testing.T, open Opener) {
	t.Run("a newer rotation starts the current cycle, due, and supersedes the old cycle's pending deliveries", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"))
		old := e.cycle("alpha")
		d := e.enqueue("alpha", hours(1), pending("30d", 0, "slack", t0), skipped("60d", 0, "email", t0, "missed"))
		e.settle("alpha", hours(1), days(20))
		e.ack("alpha", hours(2), "alice")

		r := domain.Rotation{CredentialID: "alpha", RotatedAt: hours(3), Source: "slack", Actor: "bob", Note: "new LWA secret"}
		if err := e.RecordRotation(e.ctx, r, hours(4)); err != nil {
			t.Fatal(err)
		}
		cy := e.cycle("alpha")
		if cy.RotationID == old.RotationID {
			t.Errorf("the rotation did not start a new cycle (rotation %d)", cy.RotationID)
		}
		equal(t, "source", cy.Source, "slack")
		equalTime(t, "start", cy.Start, hours(3))
		equalTime(t, "ack of the new cycle", cy.AckAt, time.Time{})
		dueBy(t, "new cycle", cy, hours(4))
		equal(t, "due", e.dueIDs(hours(4)), []string{"alpha"})
		equal(t, "deliveries", []string{e.delivery(d[0].ID).Status, e.delivery(d[1].ID).Status},
			[]string{domain.StatusSuperseded, domain.StatusSkipped})

		evs := e.history(domain.HistoryFilter{Since: hours(3)})
		equal(t, "events", eventText(evs), []string{
			"rotation/slack alpha @" + ts(hours(3)),
			"reminder/superseded alpha @" + ts(hours(4)),
		})
		if len(evs) == 2 {
			equal(t, "rotation event", []any{evs[0].RotationID, evs[0].Actor}, []any{cy.RotationID, "bob"})
			equal(t, "superseded event's delivery", evs[1].DeliveryID, d[0].ID)
		}
	})

	t.Run("refused, recording nothing", func(t *testing.T) {
		cases := []struct {
			name string
			r    domain.Rotation
			want error
		}{
			{"a rotation at the latest one's time", domain.Rotation{CredentialID: "alpha", RotatedAt: hours(2), Source: "cli"}, domain.ErrNotNewer},
			{"a rotation before the latest one", domain.Rotation{CredentialID: "alpha", RotatedAt: hours(1), Source: "cli"}, domain.ErrNotNewer},
			{"an unknown credential", domain.Rotation{CredentialID: "nope", RotatedAt: hours(3), Source: "cli"}, domain.ErrUnknownCredential},
			{"an inactive credential", domain.Rotation{CredentialID: "beta", RotatedAt: hours(3), Source: "cli"}, domain.ErrInactive},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := newEnv(t, open)
				e.sync(file, t0, cred("alpha"), cred("beta"))
				e.sync(file, t0, cred("alpha"))
				before := e.rotate("alpha", hours(2), hours(2))
				d := e.enqueue("alpha", hours(2), pending("30d", 0, "slack", t0))[0]
				events := e.history(domain.HistoryFilter{})

				err := e.RecordRotation(e.ctx, tc.r, hours(4))
				if !errors.Is(err, tc.want) {
					t.Fatalf("RecordRotation = %v, want %v", err, tc.want)
				}
				equal(t, "events", eventText(e.history(domain.HistoryFilter{})), eventText(events))
				equal(t, "rotation", e.cycle("alpha").RotationID, before.RotationID)
				equal(t, "delivery", e.delivery(d.ID).Status, domain.StatusPending)
			})
		}
	})

	t.Run("the same rotation at a fraction of a second, recorded twice, is not newer", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"))
		r := domain.Rotation{CredentialID: "alpha", RotatedAt: hours(2).Add(250 * time.Millisecond), Source: "cli"}
		if err := e.RecordRotation(e.ctx, r, hours(3)); err != nil {
			t.Fatal(err)
		}
		first := e.cycle("alpha")
		if first.Start.After(r.RotatedAt) || r.RotatedAt.Sub(first.Start) >= time.Second {
			t.Errorf("start = %s, want %s to the second", ts(first.Start), ts(r.RotatedAt))
		}
		if err := e.RecordRotation(e.ctx, r, hours(3)); !errors.Is(err, domain.ErrNotNewer) {
			t.Fatalf("RecordRotation again = %v, want ErrNotNewer", err)
		}
		equal(t, "rotation", e.cycle("alpha").RotationID, first.RotationID)
	})
}

func testRecordAck(t *testing.T, open Opener) {
	t.Run("the first acknowledgment is recorded with its event and makes the cycle due", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"))
		d := e.enqueue("alpha", hours(1), pending("30d", 0, "slack", t0))[0]
		e.settle("alpha", hours(1), days(20))
		cy := e.cycle("alpha")

		a, err := e.RecordAck(e.ctx, domain.Ack{CredentialID: "alpha", At: hours(5), Actor: "alice", Note: "on it", Source: "slack", DeliveryID: d.ID})
		if err != nil {
			t.Fatal(err)
		}
		if a.ID == 0 || a.RotationID != cy.RotationID {
			t.Errorf("ack = %+v, want an id and rotation %d", a, cy.RotationID)
		}
		got := e.cycle("alpha")
		equalTime(t, "ack at", got.AckAt, hours(5))
		equal(t, "ack by", got.AckBy, "alice")
		dueBy(t, "acknowledged cycle", got, hours(5))
		equal(t, "due", e.dueIDs(hours(5)), []string{"alpha"})

		evs := e.history(domain.HistoryFilter{Type: domain.EventAck})
		equal(t, "events", eventText(evs), []string{"ack/slack alpha @" + ts(hours(5))})
		if len(evs) == 1 {
			equal(t, "event", []any{evs[0].Actor, evs[0].RotationID, evs[0].DeliveryID}, []any{"alice", cy.RotationID, d.ID})
		}
	})

	t.Run("an acknowledgment at the cycle's start is accepted", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"))
		e.ack("alpha", rotated, "alice")
		equalTime(t, "ack at", e.cycle("alpha").AckAt, rotated)
	})

	t.Run("a second acknowledgment names the first and records nothing", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"))
		e.ack("alpha", hours(5), "alice")
		e.settle("alpha", hours(5), days(20))
		events := e.history(domain.HistoryFilter{})

		_, err := e.RecordAck(e.ctx, domain.Ack{CredentialID: "alpha", At: hours(6), Actor: "bob", Source: "http"})
		var already *domain.AlreadyAcknowledged
		if !errors.As(err, &already) {
			t.Fatalf("RecordAck = %v, want *domain.AlreadyAcknowledged", err)
		}
		equal(t, "already acknowledged", []any{already.Credential, already.By, ts(already.At)}, []any{"alpha", "alice", ts(hours(5))})
		equal(t, "events", eventText(e.history(domain.HistoryFilter{})), eventText(events))
		got := e.cycle("alpha")
		equal(t, "ack by", got.AckBy, "alice")
		equalTime(t, "next action", got.NextAction, days(20))
	})

	t.Run("refused, recording nothing", func(t *testing.T) {
		cases := []struct {
			name string
			ack  func(old domain.Delivery) domain.Ack
			want error
		}{
			{"an acknowledgment before the cycle's start", func(domain.Delivery) domain.Ack {
				return domain.Ack{CredentialID: "alpha", At: hours(10).Add(-time.Second), Actor: "alice", Source: "cli"}
			}, domain.ErrBeforeCycle},
			{"an acknowledgment of a reminder of an earlier cycle", func(old domain.Delivery) domain.Ack {
				return domain.Ack{CredentialID: "alpha", At: hours(12), Actor: "alice", Source: "http", DeliveryID: old.ID}
			}, domain.ErrBeforeCycle},
			{"an acknowledgment of another credential's reminder", func(domain.Delivery) domain.Ack {
				return domain.Ack{CredentialID: "alpha", At: hours(12), Actor: "alice", Source: "http", DeliveryID: -1} // gamma's, below
			}, domain.ErrNotFound},
			{"an acknowledgment of a reminder that does not exist", func(domain.Delivery) domain.Ack {
				return domain.Ack{CredentialID: "alpha", At: hours(12), Actor: "alice", Source: "http", DeliveryID: 1 << 40}
			}, domain.ErrNotFound},
			{"an unknown credential", func(domain.Delivery) domain.Ack {
				return domain.Ack{CredentialID: "nope", At: hours(12), Actor: "alice", Source: "cli"}
			}, domain.ErrUnknownCredential},
			{"an inactive credential", func(domain.Delivery) domain.Ack {
				return domain.Ack{CredentialID: "beta", At: hours(12), Actor: "alice", Source: "cli"}
			}, domain.ErrInactive},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := newEnv(t, open)
				e.sync(file, t0, cred("alpha"), cred("beta"), cred("gamma"))
				e.sync(file, t0, cred("alpha"), cred("gamma"))
				old := e.enqueue("alpha", hours(1), pending("30d", 0, "slack", t0))[0]
				e.rotate("alpha", hours(10), hours(11))
				others := e.enqueue("gamma", hours(11), pending("30d", 0, "slack", t0))[0]
				events := e.history(domain.HistoryFilter{})

				a := tc.ack(old)
				if a.DeliveryID == -1 {
					a.DeliveryID = others.ID
				}
				_, err := e.RecordAck(e.ctx, a)
				if !errors.Is(err, tc.want) {
					t.Fatalf("RecordAck = %v, want %v", err, tc.want)
				}
				equal(t, "events", eventText(e.history(domain.HistoryFilter{})), eventText(events))
				equalTime(t, "ack at", e.cycle("alpha").AckAt, time.Time{})
			})
		}
	})

	t.Run("each cycle is acknowledged on its own", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"))
		e.ack("alpha", hours(1), "alice")
		e.rotate("alpha", hours(2), hours(2))
		equal(t, "ack by after the rotation", e.cycle("alpha").AckBy, "")
		d := e.enqueue("alpha", hours(3), pending("30d", 0, "slack", t0))[0]
		a, err := e.RecordAck(e.ctx, domain.Ack{CredentialID: "alpha", At: hours(4), Actor: "bob", Source: "email", DeliveryID: d.ID})
		if err != nil {
			t.Fatal(err)
		}
		cy := e.cycle("alpha")
		equal(t, "ack", []any{a.RotationID, cy.AckBy}, []any{cy.RotationID, "bob"})
	})
}

func testStates(t *testing.T, open Opener) {
	t.Run("lists every credential, active or not, by id, with its current cycle's counts", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("gamma"), cred("alpha"), cred("beta"))
		e.sync(file, t0, cred("gamma"), cred("alpha"))
		ds := e.enqueue("alpha", hours(1),
			pending("60d", 0, "slack", t0), pending("60d", 0, "email", t0), pending("60d", 0, "sns", t0))
		claim(t, e.Store, "w1", "slack", hours(1), hours(2), 10)
		claim(t, e.Store, "w1", "email", hours(1), hours(2), 10)
		failed := outcome(ds[1], domain.StatusFailed, 5, hours(1).Add(time.Minute))
		e.outcomes(e.Store, "w1", outcome(ds[0], domain.StatusSent, 1, hours(1).Add(2*time.Minute)), failed)
		e.ack("alpha", hours(3), "alice")

		states, err := e.States(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			ID, LastStage, LastSentAt, AckBy string
			Active                           bool
			Failed, Pending                  int
		}
		var got []row
		for _, s := range states {
			got = append(got, row{s.ID, s.LastStage, ts(s.LastSentAt), s.AckBy, s.Active, s.Failed, s.Pending})
		}
		equal(t, "states", got, []row{
			{"alpha", "60d", ts(hours(1).Add(2 * time.Minute)), "alice", true, 1, 1},
			{"beta", "", "never", "", false, 0, 0},
			{"gamma", "", "never", "", true, 0, 0},
		})
		if len(states) == 3 {
			equal(t, "alpha's cycle", states[0].RotationID, e.cycle("alpha").RotationID)
			equalTime(t, "alpha's start", states[0].Start, rotated)
		}

		e.rotate("alpha", hours(4), hours(4))
		states, err = e.States(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		s := states[0]
		equal(t, "alpha after a rotation", row{s.ID, s.LastStage, ts(s.LastSentAt), s.AckBy, s.Active, s.Failed, s.Pending},
			row{"alpha", "", "never", "", true, 0, 0})
	})
}

func testStatesAt(t *testing.T, open Opener) {
	// alpha: rotated (from the config), acknowledged at 1h, rotated again
	// at 4h; beta: added at 4h, its first rotation dated 3h30.
	e := newEnv(t, open)
	e.sync(file, t0, cred("alpha"))
	e.ack("alpha", hours(1), "alice")
	e.rotate("alpha", hours(4), hours(4))
	b := cred("beta")
	b.RotatedAt = hours(3).Add(30 * time.Minute)
	e.sync(file, hours(4), cred("alpha"), b)
	type row struct {
		ID, Start, AckBy string
	}
	at := func(when time.Time) []row {
		t.Helper()
		states, err := e.StatesAt(e.ctx, when)
		if err != nil {
			t.Fatal(err)
		}
		var got []row
		for _, s := range states {
			got = append(got, row{s.ID, ts(s.Start), s.AckBy})
		}
		return got
	}
	// Between alpha's rotations: its earlier cycle, as recorded, with its
	// acknowledgment; beta, first rotated later, is not yet known.
	equal(t, "states at 3h", at(hours(3)), []row{{"alpha", ts(rotated), "alice"}})
	equal(t, "states at 5h", at(hours(5)), []row{{"alpha", ts(hours(4)), ""}, {"beta", ts(hours(3).Add(30 * time.Minute)), ""}})
	equal(t, "states before any rotation", len(at(rotated.Add(-time.Hour))), 0)
}

func testHistory(t *testing.T, open Opener) {
	// The history of a small story: alpha and beta added at t0 (their
	// rotations dated from the config), alpha acknowledged at 2h and
	// rotated at 3h (recorded at 4h), beta removed at 5h.
	e := newEnv(t, open)
	e.sync(file, t0, cred("alpha"), cred("beta"))
	e.ack("alpha", hours(2), "alice")
	e.rotate("alpha", hours(3), hours(4))
	e.sync(file, hours(5), cred("alpha"))

	var (
		rotA0  = "rotation/config alpha @" + ts(rotated)
		rotB0  = "rotation/config beta @" + ts(rotated)
		addA   = "credential/added alpha @" + ts(t0)
		addB   = "credential/added beta @" + ts(t0)
		rotA1  = "rotation/cli alpha @" + ts(hours(3))
		goneB  = "credential/inactive beta @" + ts(hours(5))
		ackTxt = "ack/cli alpha @" + ts(hours(2))
	)
	cases := []struct {
		name   string
		filter domain.HistoryFilter
		want   []string
	}{
		{"everything, in time order", domain.HistoryFilter{}, []string{rotA0, rotB0, addA, addB, ackTxt, rotA1, goneB}},
		{"one credential", domain.HistoryFilter{CredentialID: "beta"}, []string{rotB0, addB, goneB}},
		{"one type", domain.HistoryFilter{Type: domain.EventRotation}, []string{rotA0, rotB0, rotA1}},
		{"since, inclusive", domain.HistoryFilter{Since: t0}, []string{addA, addB, ackTxt, rotA1, goneB}},
		{"until, exclusive", domain.HistoryFilter{Until: hours(2)}, []string{rotA0, rotB0, addA, addB}},
		{"since and until", domain.HistoryFilter{Since: hours(2), Until: hours(5)}, []string{ackTxt, rotA1}},
		{"a limit keeps the earliest", domain.HistoryFilter{Limit: 3}, []string{rotA0, rotB0, addA}},
		{"every filter at once", domain.HistoryFilter{CredentialID: "alpha", Type: domain.EventRotation, Since: t0, Limit: 5}, []string{rotA1}},
		{"since after everything", domain.HistoryFilter{Since: hours(6)}, nil},
		{"an unknown credential", domain.HistoryFilter{CredentialID: "nope"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			equal(t, "history", eventText(e.history(tc.filter)), tc.want)
		})
	}
}

func testLease(t *testing.T, open Opener) {
	const name, ttl = "dispatcher", 30 * time.Second
	type step struct {
		handle  int // 0 or 1: which process
		op      string
		holder  string
		now     time.Time
		held    bool      // acquire: whether holder holds it after
		owner   string    // acquire: the lease's holder as returned
		since   time.Time // acquire: its acquisition time
		expires time.Time // acquire: its expiry
	}
	acquire := func(h int, holder string, now time.Time, held bool, owner string, since, expires time.Time) step {
		return step{handle: h, op: "acquire", holder: holder, now: now, held: held, owner: owner, since: since, expires: expires}
	}
	release := func(h int, holder string) step { return step{handle: h, op: "release", holder: holder} }
	s := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }

	cases := []struct {
		name  string
		steps []step
	}{
		{"a free lease is acquired", []step{
			acquire(0, "a", s(0), true, "a", s(0), s(30)),
		}},
		{"another holder is refused while it is unexpired and told who holds it", []step{
			acquire(0, "a", s(0), true, "a", s(0), s(30)),
			acquire(1, "b", s(29), false, "a", s(0), s(30)),
		}},
		{"the holder renews it and keeps its acquisition time", []step{
			acquire(0, "a", s(0), true, "a", s(0), s(30)),
			acquire(0, "a", s(20), true, "a", s(0), s(50)),
			acquire(1, "b", s(40), false, "a", s(0), s(50)),
		}},
		{"another holder takes it over once it has expired", []step{
			acquire(0, "a", s(0), true, "a", s(0), s(30)),
			acquire(1, "b", s(30), true, "b", s(30), s(60)),
			acquire(0, "a", s(31), false, "b", s(30), s(60)),
		}},
		{"a release lets another acquire it at once", []step{
			acquire(0, "a", s(0), true, "a", s(0), s(30)),
			release(0, "a"),
			acquire(1, "b", s(1), true, "b", s(1), s(31)),
		}},
		{"a release by another holder changes nothing", []step{
			acquire(0, "a", s(0), true, "a", s(0), s(30)),
			release(1, "b"),
			acquire(1, "b", s(1), false, "a", s(0), s(30)),
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, open)
			stores := []Store{e.Store, e.handle()}
			for i, st := range tc.steps {
				store := stores[st.handle]
				if st.op == "release" {
					if err := store.ReleaseLease(e.ctx, name, st.holder); err != nil {
						t.Fatalf("step %d: ReleaseLease(%s): %v", i, st.holder, err)
					}
					continue
				}
				l, held, err := store.AcquireLease(e.ctx, name, st.holder, st.now, ttl)
				if err != nil {
					t.Fatalf("step %d: AcquireLease(%s): %v", i, st.holder, err)
				}
				equal(t, fmt.Sprintf("step %d: %s holds it", i, st.holder), held, st.held)
				equal(t, fmt.Sprintf("step %d: lease", i), []string{l.Name, l.Holder, ts(l.Acquired), ts(l.ExpiresAt)},
					[]string{name, st.owner, ts(st.since), ts(st.expires)})
			}
		})
	}

	t.Run("leases of different names are independent", func(t *testing.T) {
		e := newEnv(t, open)
		if _, held, err := e.AcquireLease(e.ctx, "dispatcher", "a", t0, ttl); err != nil || !held {
			t.Fatalf("a: held %v, %v", held, err)
		}
		if _, held, err := e.AcquireLease(e.ctx, "syncer", "b", t0, ttl); err != nil || !held {
			t.Fatalf("b on another lease: held %v, %v; want it held", held, err)
		}
	})

	// A restarted daemon takes over the unexpired lease of a dead process
	// of its host, from that holder only: of two taking over at once from
	// the same dead holder, exactly one wins and the other is told the
	// winner; a takeover from a holder that no longer holds it changes
	// nothing.
	t.Run("taking over from a dead holder: from that holder only, one of two wins", func(t *testing.T) {
		e := newEnv(t, open)
		if _, held, err := e.AcquireLease(e.ctx, name, "dead", s(0), ttl); err != nil || !held {
			t.Fatalf("dead: held %v, %v", held, err)
		}
		stores := []Store{e.Store, e.handle()}
		leases := make([]domain.Lease, len(stores))
		held := make([]bool, len(stores))
		var wg sync.WaitGroup
		for i, st := range stores {
			wg.Go(func() {
				l, h, err := st.TakeOverLease(e.ctx, name, "dead", fmt.Sprintf("restarted-%d", i), s(1), ttl)
				if err != nil {
					t.Errorf("TakeOverLease: %v", err)
				}
				leases[i], held[i] = l, h
			})
		}
		wg.Wait()
		if held[0] == held[1] {
			t.Fatalf("held = %v, want exactly one to take it over", held)
		}
		winner := 0
		if held[1] {
			winner = 1
		}
		want := []string{name, fmt.Sprintf("restarted-%d", winner), ts(s(1)), ts(s(31))}
		for i, l := range leases {
			equal(t, fmt.Sprintf("taker %d: lease", i), []string{l.Name, l.Holder, ts(l.Acquired), ts(l.ExpiresAt)}, want)
		}
		// The dead holder's name no longer takes anything over; the
		// winner still holds the lease.
		l, h, err := e.TakeOverLease(e.ctx, name, "dead", "late", s(2), ttl)
		if err != nil || h {
			t.Fatalf("a late takeover from the dead holder: held %v, %v", h, err)
		}
		equal(t, "after a late takeover", []string{l.Holder, ts(l.Acquired)}, want[1:3])
		if l, h, err := e.AcquireLease(e.ctx, name, "other", s(3), ttl); err != nil || h || l.Holder != want[1] {
			t.Errorf("another holder after the takeover: held %v, holder %q, %v", h, l.Holder, err)
		}
		// Nobody holds it: a takeover takes nothing.
		if err := e.ReleaseLease(e.ctx, name, want[1]); err != nil {
			t.Fatal(err)
		}
		if l, h, err := e.TakeOverLease(e.ctx, name, "dead", "late", s(4), ttl); err != nil || h || l.Holder != "" {
			t.Errorf("a takeover of a free lease: held %v, holder %q, %v; want nothing taken", h, l.Holder, err)
		}
	})

	t.Run("two handles acquiring at once: exactly one holds it", func(t *testing.T) {
		e := newEnv(t, open)
		stores := []Store{e.Store, e.handle()}
		for round := range 5 {
			lease := fmt.Sprintf("%s-%d", name, round)
			held := make([]bool, len(stores))
			holders := make([]string, len(stores))
			done := make(chan struct{})
			for i, st := range stores {
				go func() {
					defer func() { done <- struct{}{} }()
					l, h, err := st.AcquireLease(e.ctx, lease, fmt.Sprintf("process-%d", i), t0, ttl)
					if err != nil {
						t.Errorf("AcquireLease: %v", err)
					}
					held[i], holders[i] = h, l.Holder
				}()
			}
			for range stores {
				<-done
			}
			if held[0] == held[1] {
				t.Errorf("%s: held = %v, want exactly one holder", lease, held)
			}
			if holders[0] != holders[1] {
				t.Errorf("%s: the two were told of different holders %v", lease, holders)
			}
		}
	})

	// Times are stored to the second. A holder that acquired or renewed
	// at a moment with a fraction believes it holds the lease until the
	// expiry it was told (and at least now+ttl, what it asked for): no
	// instant may exist at which another holder acquires it while the
	// holder still believes it holds it, and the other gets it no later
	// than a second after that.
	t.Run("no instant at which two holders believe they hold it", func(t *testing.T) {
		for _, frac := range []time.Duration{0, time.Nanosecond, 300 * time.Millisecond, 999_999_999} {
			for _, renew := range []bool{false, true} {
				t.Run(fmt.Sprintf("at +%s, renewed %v", frac, renew), func(t *testing.T) {
					e := newEnv(t, open)
					at := t0.Add(frac)
					if renew {
						if _, held, err := e.AcquireLease(e.ctx, name, "a", t0, ttl); err != nil || !held {
							t.Fatalf("a: held %v, %v", held, err)
						}
						at = t0.Add(10*time.Second + frac)
					}
					l, held, err := e.AcquireLease(e.ctx, name, "a", at, ttl)
					if err != nil || !held {
						t.Fatalf("a: held %v, %v", held, err)
					}
					believed := l.ExpiresAt
					if end := at.Add(ttl); end.After(believed) {
						t.Errorf("a asked for the lease until %s and was told %s: shorter than its ttl", ts(end), ts(believed))
						believed = end
					}
					other := e.handle()
					// Every 100 ms from the acquisition, and each nanosecond
					// around the second boundaries near the expiry.
					var probes []time.Time
					for u := at; u.Before(at.Add(ttl + 2*time.Second)); u = u.Add(100 * time.Millisecond) {
						probes = append(probes, u)
					}
					for _, b := range []time.Time{at.Add(ttl).Truncate(time.Second), at.Add(ttl).Truncate(time.Second).Add(time.Second)} {
						probes = append(probes, b.Add(-time.Nanosecond), b)
					}
					slices.SortFunc(probes, func(x, y time.Time) int { return x.Compare(y) })
					var got time.Time
					for _, u := range probes {
						lb, held, err := other.AcquireLease(e.ctx, name, "b", u, ttl)
						if err != nil {
							t.Fatalf("b at %s: %v", u.Format(time.RFC3339Nano), err)
						}
						if held {
							got = u
							break
						}
						equal(t, "b is told the holder", lb.Holder, "a")
					}
					switch {
					case got.IsZero():
						t.Fatalf("b never acquired the lease told to expire at %s", ts(l.ExpiresAt))
					case got.Before(believed):
						t.Errorf("b acquired the lease at %s while a believes it holds it until %s", got.Format(time.RFC3339Nano), believed.Format(time.RFC3339Nano))
					case got.Sub(at.Add(ttl)) > time.Second:
						t.Errorf("b acquired the lease at %s, more than a second after its expiry %s", got.Format(time.RFC3339Nano), at.Add(ttl).Format(time.RFC3339Nano))
					}
				})
			}
		}
	})
}
