package storetest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/chain"
	"github.com/notifier-dev/notifier/internal/domain"
)

// verify runs VerifyChain and fails the test on an error (not on a
// problem, which the caller checks).
func (e *env) verify(opts chain.Options) chain.Report {
	e.t.Helper()
	rep, err := e.VerifyChain(e.ctx, opts)
	if err != nil {
		e.t.Fatalf("VerifyChain: %v", err)
	}
	return rep
}

// head is ChainHead, failing the test on an error.
func (e *env) head() chain.Head {
	e.t.Helper()
	h, err := e.ChainHead(e.ctx)
	if err != nil {
		e.t.Fatalf("ChainHead: %v", err)
	}
	return h
}

// intact checks that the chain verifies and covers every event of the
// history (a new database's chain starts at its first event).
func (e *env) intact(rep chain.Report) {
	e.t.Helper()
	if rep.Problem != nil {
		e.t.Fatalf("VerifyChain: %s (%s at row %d), want an intact chain", rep.Problem.Detail, rep.Problem.Kind, rep.Problem.Row)
	}
	all := e.history(domain.HistoryFilter{})
	equal(e.t, "rows chained", rep.Rows, int64(len(all)))
	equal(e.t, "chain start, events before it", []int64{rep.Start, rep.Before}, []int64{1, 0})
	var last int64
	for _, ev := range all {
		last = max(last, ev.ID)
	}
	equal(e.t, "head row", rep.HeadID, last)
	if len(all) > 0 && len(rep.Head) != chain.Size {
		e.t.Errorf("head %x: want %d bytes", rep.Head, chain.Size)
	}
}

func testChain(t *testing.T, open Opener) {
	t.Run("a new database's chain is empty and verifies", func(t *testing.T) {
		e := newEnv(t, open)
		rep := e.verify(chain.Options{})
		e.intact(rep)
		equal(t, "head", rep.Head == nil, true)
		equal(t, "ChainHead of an empty history", e.head(), chain.Head{})
	})

	t.Run("ChainHead is the head the walk ends at, and moves with every write", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"), cred("beta"))
		first := e.head()
		rep := e.verify(chain.Options{})
		e.intact(rep)
		equal(t, "ChainHead after a sync", first, chain.Head{ID: rep.HeadID, Hash: rep.Head})
		e.ack("alpha", hours(1), "alice")
		second := e.head()
		rep = e.verify(chain.Options{ExpectHead: first.Hash})
		e.intact(rep)
		equal(t, "ChainHead after an ack", second, chain.Head{ID: rep.HeadID, Hash: rep.Head})
		equal(t, "the ack's event is the new head", second.ID > first.ID, true)
		equal(t, "the earlier head is found in the chain", rep.ExpectedAt, first.ID)
	})

	t.Run("every rotation, acknowledgment and delivery outcome is an event of the chain", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"), cred("beta"), cred("gamma"))
		d := e.enqueue("alpha", hours(1), pending("30d", 0, "slack", t0), skipped("30d", 0, "email", t0, "missed during downtime"))[0]
		claim(t, e.Store, "w1", "slack", hours(1), hours(2), 10)
		retry := outcome(d, domain.StatusRetry, 1, hours(1))
		retry.NextAttemptAt, retry.Error = hours(1).Add(time.Minute), "HTTP 503"
		e.outcomes(e.Store, "w1", retry)
		claim(t, e.Store, "w1", "slack", hours(2), hours(3), 10)
		e.outcomes(e.Store, "w1", outcome(d, domain.StatusSent, 2, hours(2)))
		e.ack("alpha", hours(3), "alice")
		e.enqueue("beta", hours(3), pending("30d", 0, "slack", t0))
		e.rotate("beta", hours(4), hours(4))
		e.sync(file, hours(5), cred("alpha"), cred("beta")) // gamma leaves the config

		var got []string
		for _, ev := range e.history(domain.HistoryFilter{}) {
			got = append(got, fmt.Sprintf("%s %s %s %s %s", ev.Type, ev.CredentialID, ev.Stage, ev.Status, ev.Actor))
		}
		equal(t, "history", sorted(got), sorted([]string{
			"credential alpha  added ", "credential beta  added ", "credential gamma  added ",
			"rotation alpha  config ", "rotation beta  config ", "rotation gamma  config ",
			"reminder alpha 30d skipped ",
			"reminder alpha 30d retry ", "reminder alpha 30d sent ",
			"ack alpha  cli alice",
			"rotation beta  cli operator",
			"reminder beta 30d superseded ",
			"credential gamma  inactive ",
		}))
		e.intact(e.verify(chain.Options{}))
	})

	t.Run("the head moves with every append and an earlier head stays in the chain", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"), cred("beta"))
		first := e.verify(chain.Options{})
		e.intact(first)
		e.ack("alpha", hours(1), "alice")
		second := e.verify(chain.Options{ExpectHead: first.Head})
		e.intact(second)
		equal(t, "head moved", bytes.Equal(first.Head, second.Head), false)
		equal(t, "rows", second.Rows, first.Rows+1)
		equal(t, "the earlier head's row", second.ExpectedAt, first.HeadID)

		other := bytes.Repeat([]byte{0xab}, chain.Size)
		rep := e.verify(chain.Options{ExpectHead: other})
		if rep.Problem == nil || rep.Problem.Kind != chain.KindCut {
			t.Errorf("a head that was never in the chain: problem %+v, want %q", rep.Problem, chain.KindCut)
		}
	})

	t.Run("retractions of a rotation and of an acknowledgment verify: each row has its event", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"), cred("beta"))
		e.rotate("alpha", hours(1), hours(1))
		e.ack("beta", hours(2), "alice")
		e.retract(domain.RetractRotation, "alpha", 0, domain.Retraction{At: hours(3)})
		e.retract(domain.RetractAck, "beta", 0, domain.Retraction{At: hours(4)})
		e.intact(e.verify(chain.Options{}))
	})

	t.Run("two handles appending at once leave one chain", func(t *testing.T) {
		e := newEnv(t, open)
		other := e.handle()
		ids := []string{"a0", "a1", "a2", "a3", "b0", "b1", "b2", "b3"}
		var creds []domain.Credential
		for _, id := range ids {
			creds = append(creds, cred(id))
		}
		e.sync(file, t0, creds...)
		const rounds = 10
		var wg sync.WaitGroup
		errs := make(chan error, 2*rounds*4)
		for h, s := range []Store{e.Store, other} {
			wg.Go(func() {
				for r := range rounds {
					for _, id := range ids[4*h : 4*h+4] {
						at := t0.Add(time.Duration(r+1) * time.Minute)
						if err := s.RecordRotation(e.ctx, domain.Rotation{CredentialID: id, RotatedAt: at, Source: "cli"}, at); err != nil {
							errs <- err
						}
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("RecordRotation: %v", err)
		}
		rep := e.verify(chain.Options{})
		e.intact(rep)
		equal(t, "rows", rep.Rows, int64(2*len(ids)+2*rounds*4))
	})
}
