package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
	"github.com/notifier-dev/notifier/internal/testutil/fleet"
	"github.com/notifier-dev/notifier/internal/web"
)

// BenchmarkCalendarOwner100k: /calendar.ics?owner=team-7 at 100,000
// credentials (fleet: owners team-0 … team-49, so 2,000 each), server
// time per feed, with a sha256 token.
func BenchmarkCalendarOwner100k(b *testing.B) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	path, err := fleet.Write(b.TempDir(), 100_000, now)
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := config.LoadMain(path, config.At(now), nil, registry.Default())
	if err != nil {
		b.Fatal(err)
	}
	cfg.HTTP = &config.HTTP{Calendar: &config.Calendar{Tokens: []config.CalendarToken{{Name: "bench", Hash: sha(calToken)}}}}
	st, err := sqlite.Open(context.Background(), cfg.Database)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	clock := func() time.Time { return now }
	eng, err := engine.New(st, cfg, engine.WithStdout(io.Discard), engine.WithWallClock(clock))
	if err != nil {
		b.Fatal(err)
	}
	if err := eng.Sync(context.Background(), now); err != nil {
		b.Fatal(err)
	}
	h := web.Calendar(web.CalendarOptions{Engine: eng, Now: clock})
	// The machine is shared: the process's CPU time per feed says more
	// than the wall clock's.
	var before, after syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	n := 0
	for b.Loop() {
		n++
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1/calendar.ics?owner=team-7&token="+calToken, nil))
		if n := strings.Count(rec.Body.String(), "BEGIN:VEVENT"); rec.Code != http.StatusOK || n != 2000 {
			b.Fatalf("%d, %d events", rec.Code, n)
		}
	}
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
	b.ReportMetric(float64(cpu.Milliseconds())/float64(n), "cpu-ms/op")
}
