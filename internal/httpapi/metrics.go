package httpapi

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
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
}

// NewMetrics returns the metrics, with Go's and the process's collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
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
	}
	m.reg.MustRegister(m.deliveries, m.attempts, m.tickDuration, m.tickFailures, m.lastTick, m.reloadOK, m.reloadTime,
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

// Handler answers a scrape in the Prometheus text format (0.0.4), which
// every Prometheus version reads.
func (m *Metrics) Handler(store store.Reader, cfg func() *config.Config, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := cfg()
		families, err := m.reg.Gather()
		if err != nil {
			logger.Warn("metrics: gathering", "err", err)
		}
		counts, err := store.DeliveryCounts(r.Context())
		if err != nil {
			logger.Error("metrics: reading the outbox", "err", err)
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
		writeCounts(bw, c, counts)
		if err := writeCredentials(r.Context(), bw, store, c.Location); err != nil {
			logger.Error("metrics: reading the credentials", "err", err)
			fmt.Fprintf(bw, "# the credentials could not be read: the scrape is incomplete\n")
		}
		_ = bw.Flush()
	})
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
