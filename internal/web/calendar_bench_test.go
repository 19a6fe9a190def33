package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/web"
)

// BenchmarkCalendarOwner100k: /calendar.ics?owner=team-7 at 100,000
// credentials (fleet: owners team-0 … team-49, so 2,000 each), server
// time per feed, with a sha256 token.
func BenchmarkCalendarOwner100k(b *testing.B) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	eng := fleetEngine(b, now, func(cfg *config.Config) {
		cfg.HTTP = &config.HTTP{Calendar: &config.Calendar{Tokens: []config.CalendarToken{{Name: "bench", Hash: sha(calToken)}}}}
	})
	clock := func() time.Time { return now }
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
