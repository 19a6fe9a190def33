package daemon

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
)

// The keeper renews the lease every third of its TTL, so that a rival
// trying as often never gets it; it tells its caller every try's outcome
// and stops when told to or when ctx ends; Release lets the lease go even
// once ctx has ended; a store that fails reaches the caller. On a real
// database file: the lease is a row.
func TestLeaseKeeper(t *testing.T) {
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "notifier.db"))
	if err != nil {
		t.Fatal(err)
	}
	// Long enough that a renewal delayed by a loaded machine does not let
	// the lease lapse; the test waits for renewals, never for a duration.
	const ttl = 3 * time.Second
	a := &LeaseKeeper{Store: store, Name: LeaseName, Holder: "a", TTL: ttl}
	b := &LeaseKeeper{Store: store, Name: LeaseName, Holder: "b", TTL: ttl}
	if _, held, err := a.Try(context.Background()); !held || err != nil {
		t.Fatalf("a's first try: held %v, %v", held, err)
	}
	if l, held, err := b.Try(context.Background()); held || err != nil || l.Holder != "a" {
		t.Fatalf("b's try while a holds it: held %v, holder %q, %v", held, l.Holder, err)
	}

	// a renews it three times, past its first TTL; b, trying as often,
	// never gets it.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	renewals, bTries, bHeld := 0, 0, false
	wg.Go(func() {
		a.Keep(ctx, func(_ domain.Lease, held bool, err error) bool {
			if !held || err != nil {
				t.Errorf("a's renewal: held %v, %v", held, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if renewals++; renewals == 3 {
				cancel()
			}
			return true
		})
	})
	wg.Go(func() {
		b.Keep(ctx, func(l domain.Lease, held bool, err error) bool {
			mu.Lock()
			defer mu.Unlock()
			bTries++
			bHeld = bHeld || held
			if err != nil || (!held && l.Holder != "a") {
				t.Errorf("b's try: holder %q, %v", l.Holder, err)
			}
			return true
		})
	})
	wg.Wait()
	if renewals < 3 || bHeld {
		t.Errorf("a renewed %d times (want 3), b held it: %v (in %d tries)", renewals, bHeld, bTries)
	}

	// Release after ctx's end still lets it go: b takes it at once.
	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if l, held, err := b.Try(context.Background()); !held || err != nil || l.Holder != "b" {
		t.Errorf("b after a released: held %v, holder %q, %v", held, l.Holder, err)
	}

	// Keep stops when its caller says so, and passes the store's errors
	// on: here, a database closed under it.
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	var got []error
	b.Keep(context.Background(), func(_ domain.Lease, _ bool, err error) bool {
		got = append(got, err)
		return len(got) < 2
	})
	if len(got) != 2 || got[0] == nil || got[1] == nil {
		t.Errorf("Keep's outcomes on a closed database: %v, want two errors", got)
	}
}
