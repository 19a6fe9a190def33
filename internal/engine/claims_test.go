package engine

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store"
)

// unrenewable is the real SQLite store whose claims cannot be renewed (the
// database unreachable for this sender only, as far as its renewals go):
// each refused renewal is told on failed.
type unrenewable struct {
	store.Engine
	failed chan struct{}
}

func (u unrenewable) RenewClaims(context.Context, string, []int64, time.Time) ([]int64, error) {
	u.failed <- struct{}{}
	return nil, errors.New("test: the database is out of reach")
}

// A sender whose claims cannot be renewed does not send what waits in its
// queue once the claims may have expired (another sender may have taken
// them over): with one worker, the first of two reminders is in flight
// while the renewals fail; it is recorded as sent, the second is left
// pending, unsent, and goes out at a later claim.
func TestUnrenewedClaimsAreNotSent(t *testing.T) {
	g := newGate(t)
	path := fleetConfig(t, t.TempDir(), 2, map[string]string{"hook": g.srv.URL}, 1)
	cfg, err := config.Load(path, config.At(serviceNow), nil, registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	_, store := engineOn(t, cfg)
	// A claim of 1.5 s, renewed every 0.5 s, sent only within 1 s of its
	// last confirmation.
	spy := unrenewable{Engine: store, failed: make(chan struct{}, 100)}
	e, err := New(spy, cfg, WithClaimTTL(1500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	release := sync.OnceFunc(func() { close(g.release) })
	defer release()
	done := make(chan *Report, 1)
	go func() {
		rep, err := e.Tick(context.Background(), serviceNow)
		if err != nil {
			t.Errorf("tick: %v", err)
		}
		done <- rep
	}()
	<-g.in
	// Four failed renewals: two seconds since the claims were taken.
	for range 4 {
		<-spy.failed
	}
	release()
	rep := <-done
	if rep == nil || rep.Count(domain.StatusSent) != 1 || len(rep.Outcomes) != 1 {
		t.Fatalf("tick's outcomes: %+v, want the one in flight sent", rep)
	}
	if n := len(g.in); n != 0 {
		t.Errorf("%d more requests reached the webhook, want none", n)
	}
	statuses := func() []string {
		ds, err := store.Deliveries(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range ds {
			out = append(out, d.Status)
		}
		return out
	}
	if got := statuses(); len(got) != 2 || got[0] != domain.StatusSent || got[1] != domain.StatusPending {
		t.Fatalf("deliveries %v, want sent, pending", got)
	}
	// Once its claim expired, another sender sends it.
	other, _ := engineOn(t, cfg)
	if rep, err := other.Retry(context.Background(), serviceNow.Add(time.Minute)); err != nil || rep.Count(domain.StatusSent) != 1 {
		t.Errorf("retry after the claim expired: %+v, %v", rep, err)
	}
	if got := statuses(); len(got) != 2 || got[1] != domain.StatusSent {
		t.Errorf("deliveries %v, want both sent", got)
	}
}
