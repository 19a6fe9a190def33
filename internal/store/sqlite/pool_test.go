package sqlite

import (
	"database/sql"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/notifier-dev/notifier/internal/domain"
)

// TestPoolIsBounded: many readers at once (a flood of HTTP scrapes) share
// at most MaxOpenConns connections; the others wait for one, rather than
// each opening a connection (a file descriptor and a page cache each).
func TestPoolIsBounded(t *testing.T) {
	const readers = 64
	ctx := t.Context()
	s := openTemp(t)
	creds := []domain.Credential{credential("a"), credential("b")}
	if _, err := s.SyncFile(ctx, domain.ConfigFile{Path: "c.yaml", ModTime: t0}, creds, domain.SyncOptions{}, t0); err != nil {
		t.Fatal(err)
	}
	// Each reader holds its connection (as a report's snapshot
	// does) until release: those that got one are inside, the others wait
	// for one.
	release := make(chan struct{})
	var inside, peak atomic.Int64
	var wg sync.WaitGroup
	for range readers {
		wg.Go(func() {
			c, err := s.db.Conn(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			if err := c.PingContext(ctx); err != nil {
				t.Error(err)
			}
			inside.Add(1)
			for n := int64(s.db.Stats().OpenConnections); n > peak.Load(); {
				if peak.CompareAndSwap(peak.Load(), n) {
					break
				}
			}
			<-release
		})
	}
	// Every reader is either inside or waiting for a connection.
	for {
		if in := inside.Load(); in == readers || in+s.db.Stats().WaitCount >= readers {
			break
		}
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	st := s.db.Stats()
	if got := peak.Load(); got > MaxOpenConns {
		t.Errorf("%d readers at once opened %d connections, want at most %d", readers, got, MaxOpenConns)
	}
	if st.MaxOpenConnections != MaxOpenConns {
		t.Errorf("the pool's bound is %d, want %d", st.MaxOpenConnections, MaxOpenConns)
	}
	if st.Idle > MaxIdleConns {
		t.Errorf("%d idle connections kept after the readers, want at most %d", st.Idle, MaxIdleConns)
	}
}

// TestMemoryIsBounded: what SQLite may keep in memory has a bound, at
// every connection the pool opens: a small page cache each (2 MiB), and
// one limit over all of SQLite's memory in the process (the page caches
// give pages back rather than grow past it). Eight connections of 8 MiB
// caches each were most of a daemon's 150 MB while 50 clients paged
// through the console of a million credentials.
func TestMemoryIsBounded(t *testing.T) {
	ctx := t.Context()
	s := openTemp(t)
	var conns []*sql.Conn
	for range MaxOpenConns {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for i, c := range conns {
		var cache, limit int64
		if err := c.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&cache); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, `PRAGMA soft_heap_limit`).Scan(&limit); err != nil {
			t.Fatal(err)
		}
		if cache != -2048 {
			t.Errorf("connection %d: cache_size %d, want -2048 (2 MiB)", i, cache)
		}
		if limit != SoftHeapLimit || SoftHeapLimit != 48<<20 {
			t.Errorf("connection %d: soft_heap_limit %d, want SoftHeapLimit = %d", i, limit, 48<<20)
		}
		c.Close()
	}
}

// TestAPageOfStatesHoldsAPage: a read of one page of the fleet (a
// console or API page: 51 rows) holds room for about that many states,
// not for a thousand (the store's page when it streams a whole fleet) and
// a pipe batch of 256 beside: fifty pages at once held 25 MB of empty
// room. Each row read is copied once into the page and once into the
// pipe's batches (the first row goes alone), and the query has its own
// small needs: a page of n rows allocates room for at most about 6n.
func TestAPageOfStatesHoldsAPage(t *testing.T) {
	const limit = 51
	ctx := t.Context()
	s := openTemp(t)
	creds := []domain.Credential{credential("a"), credential("b"), credential("c")}
	if _, err := s.SyncFile(ctx, domain.ConfigFile{Path: "c.yaml", ModTime: t0}, creds, domain.SyncOptions{}, t0); err != nil {
		t.Fatal(err)
	}
	read := func() []string {
		var ids []string
		if err := s.EachState(ctx, domain.StateQuery{Limit: limit}, func(st domain.CredentialState) error {
			ids = append(ids, st.ID)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if got := strings.Join(read(), ","); got != "a,b,c" {
		t.Fatalf("states %q, want a,b,c", got)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	read()
	runtime.ReadMemStats(&after)
	size := uint64(unsafe.Sizeof(domain.CredentialState{}))
	if got, bound := after.TotalAlloc-before.TotalAlloc, 6*limit*size; got > bound {
		t.Errorf("a read of at most %d states allocated %d bytes, want at most %d (room for %d states of %d bytes)", limit, got, bound, 6*limit, size)
	}
}
