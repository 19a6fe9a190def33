package daemon

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// leases is a LeaseStore in memory: a lease is held by its holder until it
// expires; fail makes the next tries fail.
type leases struct {
	mu   sync.Mutex
	held map[string]domain.Lease
	fail error
}

func (s *leases) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (domain.Lease, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return domain.Lease{}, false, s.fail
	}
	if l, ok := s.held[name]; ok && l.Holder != holder && now.Before(l.ExpiresAt) {
		return l, false, nil
	}
	l := domain.Lease{Name: name, Holder: holder, Acquired: now, ExpiresAt: now.Add(ttl)}
	s.held[name] = l
	return l, true, nil
}

func (s *leases) ReleaseLease(ctx context.Context, name, holder string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if s.held[name].Holder == holder {
		delete(s.held, name)
	}
	return nil
}

// The keeper renews the lease every third of its TTL, tells its caller
// every try's outcome, and stops when told to or when ctx ends; Release
// lets the lease go even once ctx has ended.
func TestLeaseKeeper(t *testing.T) {
	store := &leases{held: map[string]domain.Lease{}}
	a := &LeaseKeeper{Store: store, Name: LeaseName, Holder: "a", TTL: 150 * time.Millisecond}
	b := &LeaseKeeper{Store: store, Name: LeaseName, Holder: "b", TTL: 150 * time.Millisecond}
	if _, held, err := a.Try(context.Background()); !held || err != nil {
		t.Fatalf("a's first try: held %v, %v", held, err)
	}
	if l, held, err := b.Try(context.Background()); held || err != nil || l.Holder != "a" {
		t.Fatalf("b's try while a holds it: held %v, holder %q, %v", held, l.Holder, err)
	}

	// a keeps it renewed well past its TTL; b, trying as often, never
	// gets it.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	renewals, bHeld := 0, false
	wg.Go(func() {
		a.Keep(ctx, func(_ domain.Lease, held bool, err error) bool {
			if !held || err != nil {
				t.Errorf("a's renewal: held %v, %v", held, err)
			}
			renewals++
			return true
		})
	})
	wg.Go(func() {
		b.Keep(ctx, func(_ domain.Lease, held bool, _ error) bool {
			bHeld = bHeld || held
			return true
		})
	})
	time.Sleep(750 * time.Millisecond) // five TTLs
	cancel()
	wg.Wait()
	if renewals < 5 || bHeld {
		t.Errorf("a renewed %d times in 5 TTLs (want at least 5), b held it: %v", renewals, bHeld)
	}

	// Release after ctx's end still lets it go: b takes it at once.
	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, held, _ := b.Try(context.Background()); !held {
		t.Error("b does not get the lease a released")
	}

	// Keep stops when its caller says so, and passes errors on.
	store.fail = errors.New("database gone")
	var got []error
	a.Keep(context.Background(), func(_ domain.Lease, _ bool, err error) bool {
		got = append(got, err)
		return len(got) < 2
	})
	if len(got) != 2 || !errors.Is(got[1], store.fail) {
		t.Errorf("Keep's errors: %v", got)
	}
}
