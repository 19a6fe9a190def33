package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/httpapi"
	"github.com/notifier-dev/notifier/internal/schedule"
	"github.com/notifier-dev/notifier/internal/store"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
)

// countingReader is the real store, counting the scrape's walk over the
// fleet.
type countingReader struct {
	store.Reader
	walks atomic.Int64
}

func (c *countingReader) CredentialCounts(ctx context.Context, q domain.CountsQuery, fn func(domain.CredentialCount) error) error {
	c.walks.Add(1)
	return c.Reader.CredentialCounts(ctx, q, fn)
}

// rss is the process's resident memory in bytes (Linux), 0 if unknown.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// TestMetricsFloodComputedOnce: 300 concurrent scrapes of a fleet of
// 2,000 credentials read the fleet once, share the answer, and never hold
// more database connections than the pool's bound. It logs the figure of
// issue 17's flood row: computations, peak open connections, memory.
func TestMetricsFloodComputedOnce(t *testing.T) {
	const creds, scrapes = 2_000, 300
	st, now := fleet(t, creds)
	reader := &countingReader{Reader: st}
	// Every credential in the per-credential window (the fleet's deadlines
	// are 1 to 180 days away), so that each scrape carries the fleet.
	cfg := &config.Config{Location: time.UTC, HTTP: &config.HTTP{Metrics: config.Metrics{
		PerCredentialWithin: schedule.MustSpan("181d"), PerCredentialMax: creds, OwnersMax: 10}}}
	metrics := httpapi.NewMetrics()
	metrics.SetClock(func() time.Time { return now }) // every scrape within one interval
	api := httptest.NewServer(metrics.Handler(reader, func() *config.Config { return cfg }, slog.New(slog.DiscardHandler)))
	defer api.Close()

	runtime.GC()
	debug.FreeOSMemory()
	before := rss()
	var peakConns, peakRSS atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() { // measures (asserts nothing about time)
		defer close(sampled)
		for {
			if n := int64(st.Stats().OpenConnections); n > peakConns.Load() {
				peakConns.Store(n)
			}
			if n := rss(); n > peakRSS.Load() {
				peakRSS.Store(n)
			}
			select {
			case <-stop:
				return
			default:
				runtime.Gosched()
			}
		}
	}()
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := range scrapes {
		wg.Go(func() {
			resp, err := http.Get(api.URL + "/metrics")
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != 200 {
				failed.Add(1)
				return
			}
			if !strings.HasSuffix(string(body), "notifier_credential_series_left_out 0\n") {
				t.Errorf("scrape %d does not end with the per-credential series' last gauge", i)
			}
			if i == 0 {
				fams := parseMetrics(t, strings.NewReader(string(body)))
				if got := len(fams["notifier_credential_deadline_timestamp_seconds"].GetMetric()); got != creds {
					t.Errorf("a scrape has %d deadline series, want %d", got, creds)
				}
				if got := len(fams["notifier_credential_acknowledged"].GetMetric()); got != creds {
					t.Errorf("a scrape has %d acknowledged series, want %d", got, creds)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	<-sampled
	runtime.GC()
	debug.FreeOSMemory()
	after := rss()

	if n := failed.Load(); n > 0 {
		t.Errorf("%d of %d scrapes failed", n, scrapes)
	}
	if got := reader.walks.Load(); got != 1 {
		t.Errorf("%d concurrent scrapes read the fleet %d times, want 1", scrapes, got)
	}
	if got := peakConns.Load(); got > sqlite.MaxOpenConns {
		t.Errorf("%d concurrent scrapes held %d database connections, want at most %d", scrapes, got, sqlite.MaxOpenConns)
	}
	t.Logf("%d concurrent scrapes at %d credentials: %d computations, peak %d open database connections, RSS %d MiB before, peak +%d MiB, +%d MiB after",
		scrapes, creds, reader.walks.Load(), peakConns.Load(), before>>20, (peakRSS.Load()-before)>>20, (after-before)>>20)

	// After the interval, the next scrape reads the fleet again.
	now = now.Add(httpapi.MetricsInterval)
	resp, err := http.Get(api.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := reader.walks.Load(); got != 2 {
		t.Errorf("a scrape after the interval: the fleet read %d times in all, want 2", got)
	}
}

// blockingPing is the real store whose Ping (/readyz) waits until
// release, saying on entered that a request reached it.
type blockingPing struct {
	*sqlite.Store
	entered chan struct{}
	release chan struct{}
}

func (b *blockingPing) Ping(context.Context) error {
	b.entered <- struct{}{}
	<-b.release
	return nil
}

// TestConcurrencyLimit: beyond httpapi.MaxInFlight requests in flight, a
// request is answered 503 with Retry-After at once, without reaching the
// store, but /healthz is still answered; once one ends, requests are
// served again.
func TestConcurrencyLimit(t *testing.T) {
	f := newFixture(t)
	f.health.SetConfigLoaded(true)
	f.health.SetLease(true)
	b := &blockingPing{Store: f.store, entered: make(chan struct{}), release: make(chan struct{})}
	eng, err := engine.New(b, f.eng.Config())
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(httpapi.New(httpapi.Options{Engine: eng, Database: f.db, Health: f.health}).Handler())
	defer api.Close()
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: httpapi.MaxInFlight + 1}}
	defer client.CloseIdleConnections()

	type answer struct {
		code       int
		retryAfter string
	}
	get := func(out chan<- answer) {
		resp, err := client.Get(api.URL + "/readyz")
		if err != nil {
			t.Error(err)
			out <- answer{}
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		out <- answer{resp.StatusCode, resp.Header.Get("Retry-After")}
	}
	held := make(chan answer, httpapi.MaxInFlight)
	for range httpapi.MaxInFlight {
		go get(held)
	}
	for range httpapi.MaxInFlight {
		<-b.entered
	}
	// Every slot is taken: one more is refused without reaching the store.
	extra := make(chan answer, 1)
	go get(extra)
	reached := false
	select {
	case a := <-extra:
		if a.code != http.StatusServiceUnavailable || a.retryAfter == "" {
			t.Errorf("request %d: %d, Retry-After %q; want 503 with Retry-After", httpapi.MaxInFlight+1, a.code, a.retryAfter)
		}
	case <-b.entered:
		t.Errorf("request %d reached the store: no concurrency limit", httpapi.MaxInFlight+1)
		reached = true
	}
	// Liveness is no request for the store: /healthz answers while every
	// slot is taken, or a flood would get the daemon restarted.
	if code, _ := f.get(api.URL + "/healthz"); code != 200 {
		t.Errorf("/healthz with every slot taken: %d, want 200", code)
	}
	close(b.release)
	if reached {
		<-extra
	}
	for range httpapi.MaxInFlight {
		if a := <-held; a.code != 200 {
			t.Errorf("a request within the limit: %d, want 200", a.code)
		}
	}
	// The slots are free again.
	if code, _ := f.get(api.URL + "/healthz"); code != 200 {
		t.Errorf("/healthz after the flood: %d, want 200", code)
	}
}
