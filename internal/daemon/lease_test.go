package daemon

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
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

// A lease's holder is dead when it is a process of this host whose pid no
// longer runs, or whose pid is this process's own; any other holder (of
// another host, alive, another user's, a name of another shape) is not,
// and its lease is refused or waited for as before. The liveness check is
// injected: no process is started or signalled.
func TestDeadHolder(t *testing.T) {
	const host, self = "vm", 1
	running := map[int]bool{1: true, 4242: true}
	alive := func(pid int) bool { return running[pid] }
	for _, tc := range []struct {
		name, holder string
		dead         bool
	}{
		{"a pid of this host that no longer runs", "vm:30257:6c3d6be6", true},
		{"a pid of this host that runs", "vm:4242:6c3d6be6", false},
		{"this process's own pid, another holder (a restarted container)", "vm:1:6c3d6be6", true},
		{"a pid of another host", "other:30257:6c3d6be6", false},
		{"a host that only ends like this one", "xvm:30257:6c3d6be6", false},
		{"a host with a colon", "vm:x:30257:6c3d6be6", false},
		{"no random suffix", "vm:30257", false},
		{"a suffix that is not hex", "vm:30257:zzzzzzzz", false},
		{"a pid that is not a number", "vm:abc:6c3d6be6", false},
		{"pid 0 (kill would signal the group)", "vm:0:6c3d6be6", false},
		{"a negative pid", "vm:-1:6c3d6be6", false},
		{"a pid with a sign", "vm:+30257:6c3d6be6", false},
		{"a name given WithClaimant", "standby-b", false},
		{"no host", ":30257:6c3d6be6", false},
		{"empty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := deadHolder(tc.holder, host, self, alive); got != tc.dead {
				t.Errorf("deadHolder(%q) = %v, want %v", tc.holder, got, tc.dead)
			}
		})
	}
	if deadHolder("vm:30257:6c3d6be6", "", self, alive) {
		t.Error("with no hostname of its own, a process judged a holder dead")
	}
	// The names this process makes parse back to its host and pid, and
	// the real check says this process runs.
	host0, _ := os.Hostname()
	if h, pid, ok := engine.ParseClaimant(engine.Claimant()); !ok || h != host0 || pid != os.Getpid() {
		t.Errorf("ParseClaimant(Claimant()) = %q, %d, %v; want %q, %d", h, pid, ok, host0, os.Getpid())
	}
	if !processAlive(os.Getpid()) {
		t.Error("processAlive: this process is not alive")
	}
}
