package httpapi_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/httpapi"
)

// TestMetricsScrapeAfterAWriteShowsIt: the answer shared by the scrapes
// of an interval is read again after a write this process records that
// changes a gauge (an acknowledgment, a rotation, a retraction), however
// young it is: a scrape right after an ack shows the ack.
func TestMetricsScrapeAfterAWriteShowsIt(t *testing.T) {
	const acked, deadline = "notifier_credential_acknowledged", "notifier_credential_deadline_timestamp_seconds"
	tests := []struct {
		name  string
		write func(t *testing.T, eng *engine.Engine, now time.Time)
		check func(t *testing.T, before, after float64)
		gauge string
	}{
		{"acknowledgment", func(t *testing.T, eng *engine.Engine, now time.Time) {
			if err := eng.Acknowledge(t.Context(), engine.Ack{Credential: "soon", At: now, By: "alice", Source: "cli"}); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, before, after float64) {
			if before != 0 || after != 1 {
				t.Errorf("acknowledged: %v before the ack, %v after; want 0, then 1", before, after)
			}
		}, acked},
		{"rotation", func(t *testing.T, eng *engine.Engine, now time.Time) {
			if err := eng.Rotate(t.Context(), engine.Rotation{Credential: "soon", At: now, By: "alice", Source: "cli"}); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, before, after float64) {
			if before <= 0 || after != -1 {
				t.Errorf("deadline series: %v before the rotation, %v after; want one, then none (180 days away: out of the window)", before, after)
			}
		}, deadline},
		{"retraction of an acknowledgment", func(t *testing.T, eng *engine.Engine, now time.Time) {
			if _, err := eng.Retract(t.Context(), domain.Retraction{CredentialID: "acked", Kind: domain.RetractAck, At: now, Actor: "alice", Reason: "clicked by mistake"}); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, before, after float64) {
			if before != 1 || after != 0 {
				t.Errorf("acknowledged: %v before the retraction, %v after; want 1, then 0", before, after)
			}
		}, acked},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			scrape, eng, now := metricsFleet(t, "", []fleetCred{{"soon", "a", "standard", 10}, {"acked", "a", "standard", 12}})
			if err := eng.Acknowledge(t.Context(), engine.Ack{Credential: "acked", At: now, By: "bob", Source: "cli"}); err != nil {
				t.Fatal(err)
			}
			cred := "soon"
			if tc.gauge == acked && strings.HasPrefix(tc.name, "retraction") {
				cred = "acked"
			}
			before := value(scrape(), tc.gauge, "credential", cred)
			tc.write(t, eng, now)
			// The clock has not moved: the last read is younger than
			// MetricsInterval.
			tc.check(t, before, value(scrape(), tc.gauge, "credential", cred))
		})
	}
}

// TestMetricsLastAnswerNotServedAfterAWrite: while a new read is slow,
// the last answer stands in for it only if no write was recorded since it
// was read: a scrape after an ack waits for the read that sees the ack.
func TestMetricsLastAnswerNotServedAfterAWrite(t *testing.T) {
	_, eng, now := metricsFleet(t, "", []fleetCred{{"soon", "a", "standard", 10}})
	slow := &slowCounts{Reader: eng.Store(), release: make(chan struct{})}
	m := httpapi.NewMetrics()
	m.ServeStaleAfter(time.Millisecond)
	clock := now
	m.SetClock(func() time.Time { return clock })
	scrape := scraper(t, m.Handler(slow, eng.Config, slog.New(slog.DiscardHandler)))
	if got := scrape(); !strings.Contains(got, `notifier_credential_acknowledged{credential="soon"} 0`) {
		t.Fatalf("the first scrape:\n%s", grep(got, "acknowledged{"))
	}
	if err := eng.Acknowledge(t.Context(), engine.Ack{Credential: "soon", At: now, By: "alice", Source: "cli"}); err != nil {
		t.Fatal(err)
	}
	slow.armed = true
	clock = now.Add(httpapi.MetricsInterval)
	got := make(chan string, 1)
	go func() { got <- scrape() }()
	// The read is held until the scrape answers, or long after the
	// 1 ms it may wait: what it answers is checked either way.
	var body string
	select {
	case body = <-got:
		close(slow.release)
	case <-time.After(500 * time.Millisecond):
		close(slow.release)
		body = <-got
	}
	if !strings.Contains(body, `notifier_credential_acknowledged{credential="soon"} 1`) {
		t.Errorf("the scrape after the ack, during a slow read, was given the answer from before the ack:\n%s", grep(body, "acknowledged{"))
	}
}

// TestMetricsPrefetch: the daemon reads the database for /metrics once
// after its start-up tick, so that the first scrape is answered from that
// read instead of waiting for one (seconds at a million credentials);
// scrapes of the interval share it while nothing is written (a tick with
// nothing due writes nothing), and the first after a write reads again.
func TestMetricsPrefetch(t *testing.T) {
	_, eng, now := metricsFleet(t, "", []fleetCred{{"soon", "a", "standard", 10}, {"later", "a", "standard", 100}})
	if _, err := eng.Tick(t.Context(), now); err != nil { // the start-up tick
		t.Fatal(err)
	}
	reader := &countingReader{Reader: eng.Store()}
	m := httpapi.NewMetrics()
	m.ServeStaleAfter(time.Millisecond)
	m.SetClock(func() time.Time { return now })
	logger := slog.New(slog.DiscardHandler)
	if err := m.Prefetch(t.Context(), reader, eng.Config, logger); err != nil {
		t.Fatal(err)
	}
	scrape := scraper(t, m.Handler(reader, eng.Config, logger))
	steps := []struct {
		name  string
		do    func()
		reads int64
		acked string
	}{
		{"the first scrape", func() {}, 1, "0"},
		{"a scrape after a tick with nothing due", func() {
			if _, err := eng.Tick(t.Context(), now.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
		}, 1, "0"},
		{"a scrape after an ack", func() {
			if err := eng.Acknowledge(t.Context(), engine.Ack{Credential: "soon", At: now, By: "alice", Source: "cli"}); err != nil {
				t.Fatal(err)
			}
		}, 2, "1"},
		{"the next scrape", func() {}, 2, "1"},
	}
	for _, s := range steps {
		s.do()
		body := scrape()
		if got := reader.walks.Load(); got != s.reads {
			t.Errorf("%s: %d reads of the fleet in all, want %d", s.name, got, s.reads)
		}
		if want := `notifier_credential_acknowledged{credential="soon"} ` + s.acked; !strings.Contains(body, want) {
			t.Errorf("%s: want %s, got\n%s", s.name, want, grep(body, "acknowledged{"))
		}
	}
}

// scraper is a scrape of h: its answer, an error unless it is a 200 (not
// fatal: it may run beside the test's goroutine).
func scraper(t *testing.T, h http.Handler) func() string {
	return func() string {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		if w.Code != 200 {
			t.Errorf("scrape: status %d", w.Code)
		}
		return w.Body.String()
	}
}
