package engine

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
	"github.com/notifier-dev/notifier/internal/testutil/fleet"
)

var benchNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// fleetEngine writes a fleet of n credentials (5,000 a file, nothing due
// at benchNow) and returns an engine on a fresh database beside it.
func fleetEngine(b *testing.B, n int) (*Engine, *sqlite.Store) {
	b.Helper()
	dir := b.TempDir()
	path, err := fleet.Write(dir, n, benchNow)
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := config.LoadMain(path, config.At(benchNow), nil, registry.Default())
	if err != nil {
		b.Fatal(err)
	}
	return engineOn(b, cfg)
}

// BenchmarkFirstSync100k: the first tick on a fresh database records
// 100,000 credentials and their first rotations.
func BenchmarkFirstSync100k(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		e, store := fleetEngine(b, 100_000)
		b.StartTimer()
		rep, err := e.Tick(ctx, benchNow)
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Outcomes) != 0 {
			b.Fatalf("%d outcomes, want none due", len(rep.Outcomes))
		}
		b.StopTimer()
		store.Close()
		b.StartTimer()
	}
}

func benchTickNothingDue(b *testing.B, n int) {
	e, _ := fleetEngine(b, n)
	ctx := context.Background()
	if _, err := e.Tick(ctx, benchNow); err != nil { // the first sync
		b.Fatal(err)
	}
	at := benchNow
	for b.Loop() {
		at = at.Add(time.Minute)
		rep, err := e.Tick(ctx, at)
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Outcomes) != 0 {
			b.Fatalf("%d outcomes, want none due", len(rep.Outcomes))
		}
	}
}

// BenchmarkTickNothingDue100k and 1M: a tick after the first sync, the
// config unchanged, nothing due: it stats the config files and reads the
// index of next actions, whatever the fleet's size.
func BenchmarkTickNothingDue100k(b *testing.B) { benchTickNothingDue(b, 100_000) }
func BenchmarkTickNothingDue1M(b *testing.B)   { benchTickNothingDue(b, 1_000_000) }

// ladderFleet is the fleet's ladder with issue 19's features in use: the
// 72d stage (active for about 10%% of the fleet at benchNow) goes to a
// pager and to an office whose window (weekends, Europe/Berlin) defers
// it, and escalates after 4h to a lead with office hours of its own.
const ladderFleet = `database: notifier.db
timezone: UTC
policies:
  standard:
    - {before: 72d, channels: [pager, office], escalate: {after: 4h, channels: [lead], then: {after: 1d, channels: [pager]}}}
    - {before: 30d, repeat: 24h, channels: [pager]}
    - {before: 7d, channels: [pager], escalate: {after: 4h, channels: [lead]}}
    - {before: 24h, channels: [pager, lead]}
    - {after: 0s, repeat: 24h, channels: [pager]}
channels:
  pager: {type: webhook, url: %q}
  office: {type: webhook, url: %q, deliver: {days: Sat-Sun, hours: "09:00-18:00", timezone: Europe/Berlin}}
  lead: {type: webhook, url: %q, deliver: {days: Mon-Fri, hours: "09:00-18:00", timezone: Europe/Berlin}}
credential_files: [%%q]
`

// benchTickNothingDueLadder is benchTickNothingDue on a fleet where, at
// benchNow, the credentials rotated 108 to 120 days ago (13 in 120) have
// had the 72d stage delivered to the pager, wait for its escalation to
// the lead and have a deferred reminder for the office in the outbox,
// and every tenth credential is snoozed for two days.
func benchTickNothingDueLadder(b *testing.B, n int) {
	srv, got := countingSink(b, 0)
	dir := b.TempDir()
	path, err := fleet.WriteWith(dir, fmt.Sprintf(ladderFleet, srv.URL+"/pager", srv.URL+"/office", srv.URL+"/lead"), n, benchNow)
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := config.LoadMain(path, config.At(benchNow), nil, registry.Default())
	if err != nil {
		b.Fatal(err)
	}
	e, store := engineOn(b, cfg, WithWallClock(func() time.Time { return benchNow.Add(time.Hour) }))
	ctx := context.Background()
	rep, err := e.Tick(ctx, benchNow) // the first sync; the 72d stage goes out
	if err != nil {
		b.Fatal(err)
	}
	active := 0
	for i := range n {
		if i%120 >= 107 {
			active++
		}
	}
	if sent := rep.Count(domain.StatusSent); sent != active || got.Load() != int64(active) {
		b.Fatalf("the first tick sent %d (the sink got %d), want the 72d stage of %d credentials", sent, got.Load(), active)
	}
	for i := 0; i < n; i += 10 {
		if err := e.Acknowledge(ctx, Ack{Credential: fmt.Sprintf("cred-%06d", i), At: benchNow, By: "bench", Source: "cli", Until: benchNow.Add(48 * time.Hour)}); err != nil {
			b.Fatal(err)
		}
	}
	if rep, err := e.Tick(ctx, benchNow.Add(time.Second)); err != nil || len(rep.Outcomes) != 0 { // plans the snoozed cycles
		b.Fatalf("the tick after the snoozes: %v, %d outcomes", err, len(rep.Outcomes))
	}
	counts, err := store.DeliveryCounts(ctx)
	if err != nil {
		b.Fatal(err)
	}
	deferred := 0
	for _, c := range counts {
		if c.Channel == "office" && c.Status == domain.StatusPending {
			deferred = c.Count
		}
	}
	if deferred != active {
		b.Fatalf("%d reminders to the office wait for its window, want %d", deferred, active)
	}
	at := benchNow.Add(time.Second)
	for b.Loop() {
		at = at.Add(time.Second) // the escalations are due 4h after benchNow
		rep, err := e.Tick(ctx, at)
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Outcomes) != 0 {
			b.Fatalf("%d outcomes, want none due", len(rep.Outcomes))
		}
	}
}

// BenchmarkTickNothingDueLadder100k and 1M: the nothing-due tick with
// snoozes, pending escalations and deferred reminders (issue 19: within
// 10 ms at 1M).
func BenchmarkTickNothingDueLadder100k(b *testing.B) { benchTickNothingDueLadder(b, 100_000) }
func BenchmarkTickNothingDue1MLadder(b *testing.B)   { benchTickNothingDueLadder(b, 1_000_000) }

// countingSink answers every POST at once, or after delay.
func countingSink(b *testing.B, delay time.Duration) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if delay > 0 {
			time.Sleep(delay) // the service's answer time, not a wait in the test
		}
		n.Add(1)
	}))
	b.Cleanup(srv.Close)
	return srv, &n
}

// dueEngine is an engine with n reminders planned and due at serviceNow
// on one webhook channel.
func dueEngine(b *testing.B, n int, url string) *Engine {
	b.Helper()
	dir := b.TempDir()
	var sb strings.Builder
	fmt.Fprintf(&sb, "timezone: UTC\npolicies:\n  standard:\n    - {before: 7d, channels: [hook]}\n")
	fmt.Fprintf(&sb, "channels:\n  hook: {type: webhook, url: %q}\ncredentials:\n", url)
	for i := range n {
		fmt.Fprintf(&sb, "  - {id: cred-%05d, rotated_at: 2026-06-01}\n", i)
	}
	path := filepath.Join(dir, "config.yaml")
	if err := writeFile(path, sb.String()); err != nil {
		b.Fatal(err)
	}
	cfg, err := config.LoadMain(path, config.At(serviceNow), nil, registry.Default())
	if err != nil {
		b.Fatal(err)
	}
	e, _ := engineOn(b, cfg)
	ctx := context.Background()
	if err := e.Sync(ctx, serviceNow); err != nil {
		b.Fatal(err)
	}
	if err := e.planDue(ctx, e.view(), serviceNow, &Report{}); err != nil {
		b.Fatal(err)
	}
	return e
}

// BenchmarkDispatchFastSink sends 5,000 due reminders to a local webhook
// that answers at once, and, in the same run, POSTs as many requests of
// the same size to it one after another: the sink's own sequential rate.
// sent/s over sink-seq/s is the share of the sink's rate the dispatcher
// reaches, with its claims, rendering and group commits.
func BenchmarkDispatchFastSink(b *testing.B) {
	const n = 5000
	srv, got := countingSink(b, 0)
	body := bytes.Repeat([]byte("x"), 700) // about a rendered payload
	client := &http.Client{}
	var sendTime, seqTime time.Duration
	for b.Loop() {
		b.StopTimer()
		e := dueEngine(b, n, srv.URL)
		got.Store(0)
		b.StartTimer()
		start := time.Now()
		rep, err := e.Retry(context.Background(), serviceNow)
		sendTime += time.Since(start)
		if err != nil || rep.Count(domain.StatusSent) != n || got.Load() != n {
			b.Fatalf("sent %d, the sink got %d, %v", rep.Count(domain.StatusSent), got.Load(), err)
		}
		b.StopTimer()
		start = time.Now()
		for range n {
			resp, err := client.Post(srv.URL, "application/json", bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		seqTime += time.Since(start)
		b.StartTimer()
	}
	sent := float64(n*b.N) / sendTime.Seconds()
	seq := float64(n*b.N) / seqTime.Seconds()
	b.ReportMetric(sent, "sent/s")
	b.ReportMetric(seq, "sink-seq/s")
	b.ReportMetric(100*sent/seq, "%-of-sink")
}

// BenchmarkDispatchSlowSink2000: 2,000 due reminders to a webhook that
// takes 50 ms to answer each; the webhook's 10 workers send them side by
// side (one at a time took about 103 s).
func BenchmarkDispatchSlowSink2000(b *testing.B) {
	const n = 2000
	srv, got := countingSink(b, 50*time.Millisecond)
	for b.Loop() {
		b.StopTimer()
		e := dueEngine(b, n, srv.URL)
		got.Store(0)
		b.StartTimer()
		rep, err := e.Retry(context.Background(), serviceNow)
		if err != nil || rep.Count(domain.StatusSent) != n || got.Load() != n {
			b.Fatalf("sent %d, the sink got %d, %v", rep.Count(domain.StatusSent), got.Load(), err)
		}
	}
}

func writeFile(path, body string) error { return os.WriteFile(path, []byte(body), 0o600) }
