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
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/store"
)

// Metrics are the daemon's Prometheus metrics, all named notifier_*. The
// process's own (counters of deliveries and ticks) live in a registry;
// what the database knows (pending and failed deliveries, each
// credential's deadline and acknowledgment) is read at each scrape.
//
// Labels are bounded: channel (the config's channels) and outcome (sent,
// retry, failed, released) on the counters; state and policy on the
// aggregates; owner on the per-owner aggregates, at most
// http.metrics.owners_max owners; credential only on the two
// per-credential gauges, and only for the credentials overdue or due
// within http.metrics.per_credential_within, at most
// http.metrics.per_credential_max of them. The aggregates are one GROUP
// BY in the database, so a scrape of a million credentials holds neither
// the fleet nor its ids in memory: the answer is tens of kilobytes.
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
	// The last answer counted the old config's channels and policies.
	m.db.mu.Lock()
	m.db.body = nil
	m.db.mu.Unlock()
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
// the store's write generation it was read at, and the read in flight,
// if any. An answer is served only while the store's WriteGeneration is
// the one it was read at: a write this process records (an
// acknowledgment, a rotation, a retraction, a delivery's outcome, a sync)
// makes the next scrape read again, however young the answer.
type databasePart struct {
	mu     sync.Mutex
	now    func() time.Time
	body   []byte
	at     time.Time
	gen    uint64
	flight *metricsRead
	// started is when the last read began (Refresh keeps a gap after it);
	// seen is the write generation Refresh saw at its last poll.
	started time.Time
	seen    uint64
	// staleAfter: how long a scrape waits for a read in flight when it
	// has a last answer to give instead; 0 waits for the read.
	staleAfter time.Duration
}

// servable is the last answer if a scrape at now, when the store's
// write generation is gen, may be given it while a new read runs: nil
// once it is MaxStale old (frozen gauges would hide a database that
// stopped answering), after a write recorded since it was read (it would
// hide the write), or after a reload (ObserveReload drops it: it counted
// the old config's channels and policies). The caller holds d.mu.
func (d *databasePart) servable(now time.Time, gen uint64) []byte {
	if age := now.Sub(d.at); age < 0 || age >= MaxStale || d.gen != gen {
		return nil
	}
	return d.body
}

// metricsRead is one read of the database, begun when the store's write
// generation was gen; done is closed when body and err are set.
type metricsRead struct {
	done chan struct{}
	gen  uint64
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

// MaxStale is the oldest last answer a scrape is given instead of
// waiting for a new read (ServeStaleAfter): older, the scrape waits, and
// a database that does not answer is a 503, not frozen gauges.
const MaxStale = 5 * time.Minute

// ServeStaleAfter makes a scrape that finds the last read older than
// MetricsInterval wait at most d for the new read, then answer with the
// last one (whose notifier_metrics_database_read_timestamp_seconds says
// when it was read) if it is younger than MaxStale and of the config in
// force; the read goes on and the next scrape gets it. At a
// million credentials counting takes seconds: a scrape should not. The
// default, 0, waits for the read (tests that look at a change at once).
func (m *Metrics) ServeStaleAfter(d time.Duration) {
	m.db.mu.Lock()
	defer m.db.mu.Unlock()
	m.db.staleAfter = d
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

// Prefetch reads the database's part of a scrape now, as a scrape would,
// so that the next scrape within MetricsInterval is answered from it if
// no write was recorded meanwhile: the daemon calls it after its
// start-up tick.
func (m *Metrics) Prefetch(ctx context.Context, store store.Reader, cfg func() *config.Config, logger *slog.Logger) error {
	_, err := m.fromDatabase(ctx, store, cfg, logger)
	return err
}

// Refresh reads the database's part of /metrics again in the background
// after a write this process records, so that the scrape after it finds
// the answer ready instead of waiting for a read (seconds at a million
// credentials). At each value of polls it reads if the store's write
// generation has moved past the last answer (or nothing was read yet) and
// not since the poll before, no read is in flight, and the last read began
// at least gap ago: a burst of writes costs one read once it is over,
// and reads begin at least gap apart (a scrape during a burst reads the
// truth itself); with nothing written, nothing is read. A scrape that finds the
// generation newer than every answer still reads (or waits for the read
// in flight that sees it), as without Refresh. It returns when ctx ends.
func (m *Metrics) Refresh(ctx context.Context, store store.Reader, cfg func() *config.Config, logger *slog.Logger, polls <-chan time.Time, gap time.Duration) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-polls:
		}
		if m.db.due(store.WriteGeneration(), gap) {
			_ = m.Prefetch(ctx, store, cfg, logger) // its errors are logged by the read
		}
	}
}

// due says whether Refresh reads now, the store's write generation being
// gen.
func (d *databasePart) due(gen uint64, gap time.Duration) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	// After a reload (the answer dropped, the generation unchanged) it
	// waits for the sync's write, or a read begun before that write would
	// be thrown away by the scrape after it.
	settled := gen == d.seen // no write since the last poll: a burst is over
	d.seen = gen
	if d.flight != nil || (!d.started.IsZero() && (d.gen == gen || !settled)) {
		return false
	}
	since := d.now().Sub(d.started)
	return since < 0 || since >= gap // < 0: the clock was set back
}

// fromDatabase is the database's part of a scrape: the last read's if it
// is younger than MetricsInterval and no write was recorded since it
// began, else that of the read in flight begun after the last write,
// started here if none is. The read runs on its own, so a scraper that
// goes away does not cut it short for the others.
func (m *Metrics) fromDatabase(ctx context.Context, store store.Reader, cfg func() *config.Config, logger *slog.Logger) ([]byte, error) {
	d := &m.db
	d.mu.Lock()
	// Read before the read begins: the read sees every write counted.
	gen := store.WriteGeneration()
	if age := d.now().Sub(d.at); d.body != nil && d.gen == gen && age >= 0 && age < MetricsInterval {
		body := d.body
		d.mu.Unlock()
		return body, nil
	}
	f := d.flight
	if f == nil || f.gen != gen { // none, or one begun before a write
		f = &metricsRead{done: make(chan struct{}), gen: gen}
		d.flight = f
		now := d.now()
		d.started = now
		go func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), metricsReadTimeout)
			defer cancel()
			body, complete, err := readDatabase(rctx, store, cfg(), now, logger)
			d.mu.Lock()
			defer d.mu.Unlock()
			f.body, f.err = body, err
			// A read begun before another's write ends later: it is not
			// kept over the newer one.
			if err == nil && complete && f.gen >= d.gen {
				d.body, d.at, d.gen = body, d.now(), f.gen
			}
			if d.flight == f {
				d.flight = nil
			}
			close(f.done)
		}()
	}
	last, wait := d.servable(d.now(), gen), d.staleAfter
	d.mu.Unlock()
	var stale <-chan time.Time
	if last != nil && wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		stale = t.C
	}
	select {
	case <-f.done:
		return f.body, f.err
	case <-stale:
		return last, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// readDatabase reads the pending and failed counts, the fleet's
// aggregates and the per-credential gauges of the urgent window at now;
// complete is false when the credentials could not be read (the answer
// says so, and is not kept for later scrapes).
func readDatabase(ctx context.Context, store store.Reader, c *config.Config, now time.Time, logger *slog.Logger) (body []byte, complete bool, err error) {
	counts, err := store.DeliveryCounts(ctx)
	if err != nil {
		logger.Error("metrics: reading the outbox", "err", err)
		return nil, false, fmt.Errorf("metrics: %w", err)
	}
	var buf bytes.Buffer
	bw := bufio.NewWriterSize(&buf, 64<<10)
	fmt.Fprintf(bw, "# HELP notifier_metrics_database_read_timestamp_seconds When the database was read for the gauges below (Unix time): a scrape during a long read gets the last one.\n# TYPE notifier_metrics_database_read_timestamp_seconds gauge\nnotifier_metrics_database_read_timestamp_seconds %s\n",
		strconv.FormatFloat(float64(now.UnixMilli())/1000, 'g', -1, 64))
	writeCounts(bw, c, counts)
	complete = true
	set := config.MetricsOf(c)
	if err := writeAggregates(ctx, bw, store, c, set, now); err != nil {
		logger.Error("metrics: counting the credentials", "err", err)
		fmt.Fprintf(bw, "# the credentials could not be counted: the scrape is incomplete\n")
		complete = false
	} else if err := writeCredentials(ctx, bw, store, set, now, c.Location); err != nil {
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

// states are the credential states the aggregates count, in this order.
var states = [...]string{engine.StateOK, engine.StateDue, engine.StateOverdue, engine.StateInactive}

// stateCounts are the counts of one group, by states' order.
type stateCounts [len(states)]int

func (s *stateCounts) add(state string, n int) {
	if i := slices.Index(states[:], state); i >= 0 {
		s[i] += n
	}
}

// ownerCounts are one owner's counts and soonest deadline (zero: none).
type ownerCounts struct {
	owner string
	stateCounts
	next time.Time
}

// dueBy is, per configured policy, the latest deadline for which its
// least urgent stage is active at now (a policy whose stages all come
// after the deadline is not in it: never due before it is overdue).
func dueBy(c *config.Config, now time.Time) map[string]time.Time {
	out := map[string]time.Time{}
	for name, p := range c.Policies {
		if len(p.Stages) > 0 && !p.Stages[0].After {
			out[name] = p.Stages[0].Offset.Add(now, 1, c.Location)
		}
	}
	return out
}

// writeAggregates writes the fleet's counts by state, policy and owner
// (at most set.OwnersMax owners, in order; notifier_owners_left_out
// counts the others) and each owner's soonest deadline, from one GROUP BY
// of the database: what it holds grows with the owners kept, never with
// the fleet.
func writeAggregates(ctx context.Context, w *bufio.Writer, store store.Reader, c *config.Config, set config.Metrics, now time.Time) error {
	var total stateCounts
	byPolicy := map[string]*stateCounts{}
	var owners []ownerCounts
	leftOut, last, keep := 0, "", false
	err := store.CredentialCounts(ctx, domain.CountsQuery{Now: now, DueBy: dueBy(c, now)}, func(g domain.CredentialCount) error {
		total.add(g.State, g.Count)
		p := byPolicy[g.Policy]
		if p == nil {
			p = &stateCounts{}
			byPolicy[g.Policy] = p
		}
		p.add(g.State, g.Count)
		if len(owners)+leftOut == 0 || g.Owner != last { // rows come by owner
			last, keep = g.Owner, len(owners) < set.OwnersMax
			if !keep {
				leftOut++
			} else {
				owners = append(owners, ownerCounts{owner: g.Owner})
			}
		}
		if !keep {
			return nil
		}
		o := &owners[len(owners)-1]
		o.add(g.State, g.Count)
		if !g.NextDeadline.IsZero() && (o.next.IsZero() || g.NextDeadline.Before(o.next)) {
			o.next = g.NextDeadline
		}
		return nil
	})
	if err != nil {
		return err
	}
	family(w, "notifier_credentials", "Credentials by state: ok, due (a reminder stage is active), overdue, inactive (removed from the config).")
	for i, st := range states {
		fmt.Fprintf(w, "notifier_credentials{state=\"%s\"} %d\n", st, total[i])
	}
	for name := range c.Policies {
		if byPolicy[name] == nil {
			byPolicy[name] = &stateCounts{}
		}
	}
	family(w, "notifier_credentials_by_policy", "Credentials by the policy of their current cycle and state.")
	for _, name := range slices.Sorted(maps.Keys(byPolicy)) {
		for i, st := range states {
			fmt.Fprintf(w, "notifier_credentials_by_policy{policy=\"%s\",state=\"%s\"} %d\n", labelValue(name), st, byPolicy[name][i])
		}
	}
	family(w, "notifier_credentials_by_owner", "Credentials by owner and state (the first http.metrics.owners_max owners by name).")
	for _, o := range owners {
		for i, st := range states {
			fmt.Fprintf(w, "notifier_credentials_by_owner{owner=\"%s\",state=\"%s\"} %d\n", labelValue(o.owner), st, o.stateCounts[i])
		}
	}
	family(w, "notifier_owner_next_deadline_timestamp_seconds", "The soonest deadline among the owner's active credentials (Unix time).")
	for _, o := range owners {
		if !o.next.IsZero() {
			fmt.Fprintf(w, "notifier_owner_next_deadline_timestamp_seconds{owner=\"%s\"} %d\n", labelValue(o.owner), o.next.Unix())
		}
	}
	family(w, "notifier_owners_left_out", "Owners beyond http.metrics.owners_max, without series of their own (they are in the other aggregates).")
	fmt.Fprintf(w, "notifier_owners_left_out %d\n", leftOut)
	return nil
}

// family writes a gauge family's HELP and TYPE lines.
func family(w *bufio.Writer, name, help string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
}

// writeCredentials writes the per-credential gauges of the urgent window:
// active credentials overdue or due within set.PerCredentialWithin, at
// most set.PerCredentialMax of them, soonest first;
// notifier_credential_series_left_out counts those the cap cut. A metric
// family's lines must be together, so the acknowledged family is written
// after the deadlines from what the pass kept of it: the ids of the
// window, bounded by the cap. A snooze counts as acknowledged until its
// end, which notifier_credential_snoozed_until_timestamp_seconds says.
func writeCredentials(ctx context.Context, w *bufio.Writer, store store.Reader, set config.Metrics, now time.Time, loc *time.Location) error {
	const deadline, acked = "notifier_credential_deadline_timestamp_seconds", "notifier_credential_acknowledged"
	family(w, deadline, "The deadline of the credential's current cycle (Unix time), for credentials overdue or due within http.metrics.per_credential_within.")
	var ids []string
	var ack []bool
	var snoozed []time.Time
	total, err := store.UrgentCredentials(ctx, set.PerCredentialWithin.Add(now, 1, loc), set.PerCredentialMax, func(u domain.UrgentCredential) error {
		id := labelValue(u.ID)
		on := u.AcknowledgedAt(now)
		ids, ack = append(ids, id), append(ack, on)
		if on && !u.SnoozedUntil.IsZero() {
			snoozed = append(snoozed, u.SnoozedUntil)
		} else {
			snoozed = append(snoozed, time.Time{})
		}
		_, err := fmt.Fprintf(w, "%s{credential=\"%s\"} %d\n", deadline, id, u.Deadline.Unix())
		return err
	})
	if err != nil {
		return err
	}
	family(w, acked, "1 if the credential's current cycle is acknowledged, else 0 (the credentials of the deadline gauge).")
	for i, id := range ids {
		v := 0
		if ack[i] {
			v = 1
		}
		if _, err := fmt.Fprintf(w, "%s{credential=\"%s\"} %d\n", acked, id, v); err != nil {
			return err
		}
	}
	const until = "notifier_credential_snoozed_until_timestamp_seconds"
	family(w, until, "The end of the snooze in force on the credential's current cycle (Unix time); no series when none (the credentials of the deadline gauge).")
	for i, id := range ids {
		if snoozed[i].IsZero() {
			continue
		}
		if _, err := fmt.Fprintf(w, "%s{credential=\"%s\"} %d\n", until, id, snoozed[i].Unix()); err != nil {
			return err
		}
	}
	family(w, "notifier_credential_series_left_out", "Credentials in the window without series of their own: http.metrics.per_credential_max cut them.")
	fmt.Fprintf(w, "notifier_credential_series_left_out %d\n", total-len(ids))
	return nil
}

// labelValue escapes a label value for the text format (ids and channel
// names are slugs, so this is a belt).
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func labelValue(s string) string { return labelEscaper.Replace(s) }
