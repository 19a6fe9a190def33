package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store"
)

// Metrics are the daemon's Prometheus metrics, all named notifier_*. The
// process's own (counters of deliveries and ticks) live in a registry;
// what the database knows (pending and failed deliveries, each
// credential's deadline and acknowledgment) is read at each scrape.
//
// Labels are bounded: channel (the config's channels) and outcome (sent,
// retry, failed, released) on the counters; credential only on the two
// per-credential gauges, one series each per active credential. Those
// are streamed from the database a page at a time into the answer,
// without a registry, so a scrape of a million credentials does not hold
// the fleet (and two million metric objects) in memory: only the ids.
type Metrics struct {
	reg          *prometheus.Registry
	deliveries   *prometheus.CounterVec
	attempts     *prometheus.CounterVec
	tickDuration prometheus.Histogram
	tickFailures prometheus.Counter
	lastTick     prometheus.Gauge
	reloadOK     prometheus.Gauge
	reloadTime   prometheus.Gauge
	refused      prometheus.Gauge
	db           databasePart
}

// NewMetrics returns the metrics, with Go's and the process's collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		db:  databasePart{now: time.Now},
		reg: prometheus.NewRegistry(),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "notifier_deliveries_total",
			Help: "Delivery attempts by channel and outcome (sent, retry, failed, released)."}, []string{"channel", "outcome"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "notifier_delivery_attempts_total",
			Help: "Sends tried, by channel (a released send, cut short by a shutdown, is not counted)."}, []string{"channel"}),
		tickDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "notifier_tick_duration_seconds",
			Help:    "How long a tick (sync, plan, dispatch) took.",
			Buckets: []float64{.01, .05, .1, .5, 1, 5, 10, 30, 60, 300}}),
		tickFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "notifier_tick_failures_total",
			Help: "Ticks that failed."}),
		lastTick: prometheus.NewGauge(prometheus.GaugeOpts{Name: "notifier_last_successful_tick_timestamp_seconds",
			Help: "When the last successful tick ended (Unix time)."}),
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{Name: "notifier_config_last_reload_successful",
			Help: "1 if the last config load or reload succeeded, 0 if it was refused (the previous config is in use)."}),
		reloadTime: prometheus.NewGauge(prometheus.GaugeOpts{Name: "notifier_config_last_reload_success_timestamp_seconds",
			Help: "When a config was last loaded successfully (Unix time)."}),
		refused: prometheus.NewGauge(prometheus.GaugeOpts{Name: "notifier_config_files_refused",
			Help: "Config files the last sync or reload refused (their last good version is in use); 0 when every file was accepted."}),
	}
	m.reg.MustRegister(m.deliveries, m.attempts, m.tickDuration, m.tickFailures, m.lastTick, m.reloadOK, m.reloadTime, m.refused,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Delivered counts one attempt's outcome (engine.Observer).
func (m *Metrics) Delivered(channel, status string, _ int) {
	m.deliveries.WithLabelValues(channel, status).Inc()
	if status != domain.StatusReleased {
		m.attempts.WithLabelValues(channel).Inc()
	}
}

// ObserveTick records a tick that ended at end after d.
func (m *Metrics) ObserveTick(end time.Time, d time.Duration, err error) {
	m.tickDuration.Observe(d.Seconds())
	if err != nil {
		m.tickFailures.Inc()
		return
	}
	m.lastTick.Set(float64(end.Unix()))
}

// ObserveReload records a config load's outcome at at.
func (m *Metrics) ObserveReload(at time.Time, err error) {
	if err != nil {
		m.reloadOK.Set(0)
		return
	}
	m.reloadOK.Set(1)
	m.reloadTime.Set(float64(at.Unix()))
}

// ObserveRefused records how many config files are refused now.
func (m *Metrics) ObserveRefused(n int) { m.refused.Set(float64(n)) }

// MetricsInterval is how long what a scrape read from the database is
// served to later scrapes: the database is read at most once per
// interval, however many scrape.
const MetricsInterval = 15 * time.Second

// metricsReadTimeout bounds one read of the database for /metrics (as the
// server's WriteTimeout bounds an answer).
const metricsReadTimeout = WriteTimeout

// databasePart is what /metrics reads from the database, shared by the
// scrapes of one interval: the answer of the last read, when it ended,
// and the read in flight, if any.
type databasePart struct {
	mu     sync.Mutex
	now    func() time.Time
	body   []byte
	at     time.Time
	flight *metricsRead
}

// metricsRead is one read of the database; done is closed when body and
// err are set.
type metricsRead struct {
	done chan struct{}
	body []byte
	err  error
}

// SetClock sets the clock that says when a read is older than
// MetricsInterval (tests; the default is time.Now).
func (m *Metrics) SetClock(now func() time.Time) {
	m.db.mu.Lock()
	defer m.db.mu.Unlock()
	m.db.now = now
}

// Handler answers a scrape in the Prometheus text format (0.0.4), which
// every Prometheus version reads. The process's metrics are gathered at
// each scrape; what the database knows is read at most once per
// MetricsInterval and shared: concurrent scrapes wait for the one read in
// flight, later ones within the interval get its answer.
func (m *Metrics) Handler(store store.Reader, cfg func() *config.Config, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		families, err := m.reg.Gather()
		if err != nil {
			logger.Warn("metrics: gathering", "err", err)
		}
		body, err := m.fromDatabase(r.Context(), store, cfg, logger)
		if err != nil {
			http.Error(w, "the database did not answer", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
		bw := bufio.NewWriterSize(w, 64<<10)
		enc := expfmt.NewEncoder(bw, expfmt.NewFormat(expfmt.TypeTextPlain))
		for _, f := range families {
			if err := enc.Encode(f); err != nil {
				return
			}
		}
		_, _ = bw.Write(body)
		_ = bw.Flush()
	})
}

// fromDatabase is the database's part of a scrape: the last read's if it
// is younger than MetricsInterval, else that of the read in flight,
// started here if none is. The read runs on its own, so a scraper that
// goes away does not cut it short for the others.
func (m *Metrics) fromDatabase(ctx context.Context, store store.Reader, cfg func() *config.Config, logger *slog.Logger) ([]byte, error) {
	d := &m.db
	d.mu.Lock()
	if age := d.now().Sub(d.at); d.body != nil && age >= 0 && age < MetricsInterval {
		body := d.body
		d.mu.Unlock()
		return body, nil
	}
	f := d.flight
	if f == nil {
		f = &metricsRead{done: make(chan struct{})}
		d.flight = f
		go func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), metricsReadTimeout)
			defer cancel()
			body, complete, err := readDatabase(rctx, store, cfg(), logger)
			d.mu.Lock()
			defer d.mu.Unlock()
			f.body, f.err = body, err
			if err == nil && complete {
				d.body, d.at = body, d.now()
			}
			d.flight = nil
			close(f.done)
		}()
	}
	d.mu.Unlock()
	select {
	case <-f.done:
		return f.body, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// readDatabase reads the pending and failed counts and the credentials'
// gauges; complete is false when the credentials could not be read (the
// answer says so, and is not kept for later scrapes).
func readDatabase(ctx context.Context, store store.Reader, c *config.Config, logger *slog.Logger) (body []byte, complete bool, err error) {
	counts, err := store.DeliveryCounts(ctx)
	if err != nil {
		logger.Error("metrics: reading the outbox", "err", err)
		return nil, false, fmt.Errorf("metrics: %w", err)
	}
	var buf bytes.Buffer
	bw := bufio.NewWriterSize(&buf, 64<<10)
	writeCounts(bw, c, counts)
	complete = true
	if err := writeCredentials(ctx, bw, store, c.Location); err != nil {
		logger.Error("metrics: reading the credentials", "err", err)
		fmt.Fprintf(bw, "# the credentials could not be read: the scrape is incomplete\n")
		complete = false
	}
	_ = bw.Flush()
	return bytes.Clone(buf.Bytes()), complete, nil // kept: not the buffer's spare capacity
}

// writeCounts writes the pending and failed gauges, 0 for a configured
// channel with none.
func writeCounts(w *bufio.Writer, cfg *config.Config, counts []domain.DeliveryCount) {
	by := map[string]map[string]int{domain.StatusPending: {}, domain.StatusFailed: {}}
	for name := range cfg.Channels {
		by[domain.StatusPending][name], by[domain.StatusFailed][name] = 0, 0
	}
	for _, c := range counts {
		if by[c.Status] != nil {
			by[c.Status][c.Channel] = c.Count
		}
	}
	for _, f := range []struct{ status, name, help string }{
		{domain.StatusPending, "notifier_deliveries_pending", "Deliveries waiting to be sent or retried, by channel."},
		{domain.StatusFailed, "notifier_deliveries_failed", "Deliveries that finally failed (after every retry), by channel, in every cycle."},
	} {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n", f.name, f.help, f.name)
		for _, ch := range slices.Sorted(maps.Keys(by[f.status])) {
			fmt.Fprintf(w, "%s{channel=\"%s\"} %d\n", f.name, labelValue(ch), by[f.status][ch])
		}
	}
}

// writeCredentials streams the per-credential gauges in one pass over the
// cycles. A metric family's lines must be together, so the acknowledged
// family is written after the deadlines from what the pass kept of it: the
// ids, back to back, and one bit each (about 15 MB at a million
// credentials, against a second read of the fleet).
func writeCredentials(ctx context.Context, w *bufio.Writer, store store.Reader, loc *time.Location) error {
	const deadline, acked = "notifier_credential_deadline_timestamp_seconds", "notifier_credential_acknowledged"
	fmt.Fprintf(w, "# HELP %s The deadline of the credential's current cycle (Unix time).\n# TYPE %s gauge\n", deadline, deadline)
	var ids []byte
	var ends []int32 // where each id ends in ids
	var bits []uint64
	err := store.EachCycle(ctx, func(c domain.Cycle) error {
		id := labelValue(c.ID)
		i := len(ends)
		ids = append(ids, id...)
		ends = append(ends, int32(len(ids)))
		if i%64 == 0 {
			bits = append(bits, 0)
		}
		if !c.AckAt.IsZero() {
			bits[i/64] |= 1 << (i % 64)
		}
		_, err := fmt.Fprintf(w, "%s{credential=\"%s\"} %d\n", deadline, id, c.Deadline(loc).Unix())
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "# HELP %s 1 if the credential's current cycle is acknowledged, else 0.\n# TYPE %s gauge\n", acked, acked)
	from := int32(0)
	for i, end := range ends {
		v := bits[i/64] >> (i % 64) & 1
		if _, err := fmt.Fprintf(w, "%s{credential=\"%s\"} %d\n", acked, ids[from:end], v); err != nil {
			return err
		}
		from = end
	}
	return nil
}

// labelValue escapes a label value for the text format (ids and channel
// names are slugs, so this is a belt).
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func labelValue(s string) string { return labelEscaper.Replace(s) }
