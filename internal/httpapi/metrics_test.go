package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/httpapi"
	"github.com/notifier-dev/notifier/internal/schedule"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
)

// ParseMetrics parses a scrape as Prometheus does (text format).
func parseMetrics(t testing.TB, body io.Reader) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// value is the value of the family's series with the label, or -1.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.Label {
				if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Counter != nil:
			return m.Counter.GetValue()
		}
	}
	return -1
}

// scrape is the fixture's /metrics, parsed.
func (f *fixture) scrape() map[string]*dto.MetricFamily {
	f.t.Helper()
	resp, err := http.Get(f.api.URL + "/metrics")
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		f.t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	return parseMetrics(f.t, resp.Body)
}

func TestMetrics(t *testing.T) {
	f := newFixture(t)
	link := f.tick()
	scrape := f.scrape
	fams := scrape()
	deadline := f.cycle().Deadline(f.eng.Config().Location)
	tests := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"notifier_credential_deadline_timestamp_seconds", []string{"credential", "sp-api-prod"}, float64(deadline.Unix())},
		{"notifier_credential_acknowledged", []string{"credential", "sp-api-prod"}, 0},
		{"notifier_deliveries_total", []string{"channel", "hook", "outcome", "sent"}, 1},
		{"notifier_deliveries_total", []string{"channel", "ops-slack", "outcome", "sent"}, 1},
		{"notifier_delivery_attempts_total", []string{"channel", "hook"}, 1},
		{"notifier_deliveries_pending", []string{"channel", "hook"}, 0},
		{"notifier_deliveries_failed", []string{"channel", "ops-slack"}, 0},
	}
	for _, tc := range tests {
		if got := value(fams, tc.name, tc.labels...); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	for name, fam := range fams {
		if !strings.HasPrefix(name, "notifier_") && !strings.HasPrefix(name, "go_") && !strings.HasPrefix(name, "process_") {
			t.Errorf("metric %s is not prefixed notifier_", name)
		}
		if strings.HasPrefix(name, "notifier_") && !strings.HasPrefix(name, "notifier_credential_") {
			for _, m := range fam.Metric {
				for _, l := range m.Label {
					if l.GetName() == "credential" {
						t.Errorf("%s has a credential label: unbounded cardinality", name)
					}
				}
			}
		}
	}
	if code, _ := f.post(link, url.Values{"by": {"alice"}}); code != 200 {
		t.Fatalf("ack: %d", code)
	}
	// What the database knows is read at most once per interval, unless
	// a write was recorded since: the ack is shown at once.
	if got := value(scrape(), "notifier_credential_acknowledged", "credential", "sp-api-prod"); got != 1 {
		t.Errorf("acknowledged within the interval of the last read, after the ack = %v, want 1 (the shared answer is read before the ack)", got)
	}
	f.now = f.now.Add(httpapi.MetricsInterval)
	if got := value(scrape(), "notifier_credential_acknowledged", "credential", "sp-api-prod"); got != 1 {
		t.Errorf("acknowledged after the ack = %v, want 1", got)
	}
}

// BenchmarkMetricsScrape100k is one /metrics scrape of a fleet of 100,000
// credentials: the figures (time, and the bytes allocated per scrape) are
// in docs/scale.md.
func BenchmarkMetricsScrape100k(b *testing.B) {
	store, now := fleet(b, 100_000)
	cfg := &config.Config{Location: time.UTC}
	m := httpapi.NewMetrics()
	clock := now
	m.SetClock(func() time.Time { return clock })
	h := m.Handler(store, func() *config.Config { return cfg }, slog.New(slog.DiscardHandler))
	var size int
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		clock = clock.Add(httpapi.MetricsInterval) // every scrape reads the database
		w := &countingWriter{header: http.Header{}}
		h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		size = w.n
	}
	b.StopTimer()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(size), "bytes/scrape")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "MiB-heap-in-use")
}

// fleet is a SQLite database in a temporary folder with n active
// credentials, and the moment they were synced.
func fleet(tb testing.TB, n int) (*sqlite.Store, time.Time) {
	tb.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "notifier.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	creds := make([]domain.Credential, n)
	for i := range creds {
		creds[i] = domain.Credential{ID: fmt.Sprintf("cred-%06d", i), Name: "c", RotatedAt: now.AddDate(0, 0, -i%180),
			RotationPeriod: schedule.MustSpan("180d"), Policy: "standard", File: "creds.yaml"}
	}
	f := domain.ConfigFile{Path: "creds.yaml", Size: 1, ModTime: now, Hash: "x"}
	if _, err := store.SyncFile(ctx, f, creds, domain.SyncOptions{}, now); err != nil {
		tb.Fatal(err)
	}
	return store, now
}

// countingWriter is a ResponseWriter that keeps only the answer's size, so
// that the benchmark measures the handler's memory, not a copy of its
// answer.
type countingWriter struct {
	header http.Header
	n      int
}

func (w *countingWriter) Header() http.Header         { return w.header }
func (w *countingWriter) WriteHeader(int)             {}
func (w *countingWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }
