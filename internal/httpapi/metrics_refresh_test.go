package httpapi_test

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/httpapi"
)

// TestMetricsRefreshAfterAWrite: the daemon reads the database again in
// the background after a write it records, so that the next scrape finds
// the answer ready instead of waiting seconds for a read at a million
// credentials. Nothing written, nothing read; a burst of writes, one
// read; at most one read per gap, and a scrape within the gap still
// reads the truth itself.
func TestMetricsRefreshAfterAWrite(t *testing.T) {
	_, eng, now := metricsFleet(t, "", []fleetCred{{"soon", "a", "standard", 10}, {"later", "a", "standard", 12}})
	const gap = httpapi.MetricsInterval
	reader := &countingReader{Reader: eng.Store()}
	m := httpapi.NewMetrics()
	m.ServeStaleAfter(time.Millisecond)
	var clock atomic.Int64
	clock.Store(now.UnixNano())
	m.SetClock(func() time.Time { return time.Unix(0, clock.Load()).UTC() })
	logger := slog.New(slog.DiscardHandler)
	scrape := scraper(t, m.Handler(reader, eng.Config, logger))

	polls := make(chan time.Time)
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		m.Refresh(ctx, reader, eng.Config, logger, polls, gap)
	}()
	t.Cleanup(func() { cancel(); <-stopped })
	// poll is the refresher's polls until a write has settled (one poll
	// sees it, the next reads); the last send returns once that read, if
	// any, has ended.
	poll := func() {
		polls <- time.Time{}
		polls <- time.Time{}
		polls <- time.Time{}
	}
	ack := func(cred string) {
		t.Helper()
		if err := eng.Acknowledge(t.Context(), engine.Ack{Credential: cred, At: now, By: "alice", Source: "cli"}); err != nil {
			t.Fatal(err)
		}
	}
	later := func() { clock.Add(int64(gap)) }
	steps := []struct {
		name  string
		do    func()
		reads int64  // reads of the fleet in all after the step
		soon  string // its acknowledged gauge in a scrape after the step ("": no scrape)
		later string
	}{
		{"the first poll reads (no answer yet)", poll, 1, "", ""},
		{"a scrape is answered from it", func() {}, 1, "0", "0"},
		{"a poll with nothing written reads nothing", poll, 1, "", ""},
		{"an ack, then a poll: read in the background", func() { later(); ack("soon"); poll() }, 2, "", ""},
		{"the scrape after it is answered without a read", func() {}, 2, "1", "0"},
		{"an ack within the gap: the poll waits", func() { ack("later"); poll() }, 2, "", ""},
		{"a scrape within the gap reads the truth itself", func() {}, 3, "1", "1"},
		{"after the gap, nothing new to read", func() { later(); poll() }, 3, "", ""},
		{"a burst of writes, one read", func() {
			later()
			for _, c := range []string{"soon", "later"} {
				if _, err := eng.Retract(t.Context(), domain.Retraction{CredentialID: c, Kind: domain.RetractAck, At: now, Actor: "alice", Reason: "mistake"}); err != nil {
					t.Fatal(err)
				}
			}
			ack("soon")
			poll()
		}, 4, "", ""},
		{"the scrape after the burst is answered without a read", func() {}, 4, "1", "0"},
	}
	for _, s := range steps {
		s.do()
		var body string
		if s.soon != "" {
			body = scrape()
		}
		if got := reader.walks.Load(); got != s.reads {
			t.Errorf("%s: %d reads of the fleet in all, want %d", s.name, got, s.reads)
		}
		for cred, want := range map[string]string{"soon": s.soon, "later": s.later} {
			if line := `notifier_credential_acknowledged{credential="` + cred + `"} ` + want; s.soon != "" && !strings.Contains(body, line) {
				t.Errorf("%s: want %s, got\n%s", s.name, line, grep(body, "acknowledged{"))
			}
		}
	}
}
