package httpapi_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/httpapi"
	"github.com/notifier-dev/notifier/internal/store"
)

// slowCounts is the real store whose CredentialCounts waits for release
// once armed: a fleet so large that counting it outlasts a scrape.
type slowCounts struct {
	store.Reader
	armed   bool
	release chan struct{}
}

func (s *slowCounts) CredentialCounts(ctx context.Context, q domain.CountsQuery, fn func(domain.CredentialCount) error) error {
	if s.armed {
		<-s.release
	}
	return s.Reader.CredentialCounts(ctx, q, fn)
}

// TestMetricsServesLastAnswerWhileReading: with ServeStaleAfter set (the
// daemon sets it), a scrape after the interval whose database read is
// still running is answered at once with the last read, which says when
// it was read; the scrape after the read ends gets the new one.
func TestMetricsServesLastAnswerWhileReading(t *testing.T) {
	st, now := fleet(t, 100)
	slow := &slowCounts{Reader: st, release: make(chan struct{})}
	cfg := &config.Config{Location: time.UTC}
	m := httpapi.NewMetrics()
	m.ServeStaleAfter(time.Millisecond)
	clock := now
	m.SetClock(func() time.Time { return clock })
	h := m.Handler(slow, func() *config.Config { return cfg }, slog.New(slog.DiscardHandler))
	scrape := func() string {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		if w.Code != 200 {
			t.Fatalf("scrape: status %d", w.Code)
		}
		return w.Body.String()
	}
	first := scrape() // no answer yet: waits for the read
	if !strings.Contains(first, "notifier_metrics_database_read_timestamp_seconds 1.780272e+09") {
		t.Fatalf("the first scrape does not say when the database was read:\n%s", grep(first, "read_timestamp"))
	}

	slow.armed = true
	clock = now.Add(httpapi.MetricsInterval)
	stale := scrape() // the read is blocked: the last answer, at once
	if !strings.Contains(stale, "notifier_metrics_database_read_timestamp_seconds 1.780272e+09") {
		t.Fatalf("a scrape during a slow read did not get the last answer:\n%s", grep(stale, "read_timestamp"))
	}
	if !strings.Contains(stale, `notifier_credentials{state="ok"} 100`) {
		t.Errorf("the last answer lost its counts:\n%s", grep(stale, "notifier_credentials{"))
	}

	close(slow.release)
	// The read in flight ends; the next scrape waits for nothing new to
	// start (the read is younger than the interval) and gets it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := scrape()
		if strings.Contains(got, "notifier_metrics_database_read_timestamp_seconds 1.780272015e+09") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the read that was in flight never reached a scrape:\n%s", grep(got, "read_timestamp"))
		}
		time.Sleep(time.Millisecond) // polls for the background read, not a schedule
	}
}

// grep is the lines of s that contain sub.
func grep(s, sub string) string {
	var out []string
	for line := range strings.Lines(s) {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}
