package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/channels/webhook"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
)

func TestBackoff(t *testing.T) {
	r := config.Retry{MaxAttempts: 8, InitialBackoff: time.Minute, MaxBackoff: time.Hour}
	for _, tc := range []struct {
		attempts int
		want     time.Duration
	}{
		{1, time.Minute}, {2, 2 * time.Minute}, {3, 4 * time.Minute}, {6, 32 * time.Minute},
		{7, time.Hour}, {8, time.Hour}, {60, time.Hour},
	} {
		if got := Backoff(r, tc.attempts); got != tc.want {
			t.Errorf("Backoff(%d) = %v, want %v", tc.attempts, got, tc.want)
		}
	}
}

// fixture is an engine on a real database file with a webhook channel
// answering with the status in code (and, when retryAfter is set, a
// Retry-After header of that many seconds).
type fixture struct {
	t          *testing.T
	e          *Engine
	store      *sqlite.Store
	code       atomic.Int32
	retryAfter atomic.Int32
	posts      atomic.Int32
	dir        string
	path       string // the config file
	out        bytes.Buffer

	mu       sync.Mutex
	payloads []webhook.Payload // every POST's body, in order
}

const fixtureConfig = `timezone: UTC
retry: {max_attempts: 3, initial_backoff: 1m, max_backoff: 10m}
policies:
  standard:
    - {before: 30d, channels: [hook]}
    - {before: 7d, channels: [hook, console]}
    - {after: 0s, repeat: 24h, channels: [hook]}
channels:
  hook: {type: webhook, url: "%s"}
  console: {type: stdout}
credentials:
  - {id: sp-api-prod, name: SP-API, owner: integrations, rotated_at: 2026-06-01}
`

// fixtureWall is the real clock as the fixture's engine sees it: after
// every moment the tests simulate, so that their acknowledgments and
// rotations are not in its future.
var fixtureWall = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)

func newFixture(t *testing.T) *fixture {
	f := &fixture{t: t, dir: t.TempDir()}
	f.code.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p webhook.Payload
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		f.mu.Lock()
		f.payloads = append(f.payloads, p)
		f.mu.Unlock()
		f.posts.Add(1)
		if secs := f.retryAfter.Load(); secs != 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(secs)))
		}
		w.WriteHeader(int(f.code.Load()))
	}))
	t.Cleanup(srv.Close)
	f.path = filepath.Join(f.dir, "config.yaml")
	if err := os.WriteFile(f.path, []byte(fmt.Sprintf(fixtureConfig, srv.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(f.path, config.At(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)), nil, registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	f.store, err = sqlite.Open(context.Background(), cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.store.Close() })
	f.e, err = New(f.store, cfg, WithStdout(&f.out), WithWallClock(func() time.Time { return fixtureWall }))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// received returns the bodies of the POSTs the webhook got so far.
func (f *fixture) received() []webhook.Payload {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.payloads)
}

// editConfig replaces old with new in the config file, as an operator
// would, and loads the file into the engine, judged at now, as the daemon
// does when the file changes.
func (f *fixture) editConfig(old, new string, now time.Time) {
	f.t.Helper()
	data, err := os.ReadFile(f.path)
	if err != nil {
		f.t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		f.t.Fatalf("the config has no %q", old)
	}
	if err := os.WriteFile(f.path, bytes.Replace(data, []byte(old), []byte(new), 1), 0o600); err != nil {
		f.t.Fatal(err)
	}
	cfg, err := config.Load(f.path, config.At(now), nil, registry.Default())
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.e.SetConfig(cfg); err != nil {
		f.t.Fatal(err)
	}
}

// delivery returns the one outbox row of the stage on the channel.
func (f *fixture) delivery(stage, channel string) domain.Delivery {
	f.t.Helper()
	ds, err := f.store.Deliveries(context.Background(), "sp-api-prod")
	if err != nil {
		f.t.Fatal(err)
	}
	var found []domain.Delivery
	for _, d := range ds {
		if d.Stage == stage && d.Channel == channel {
			found = append(found, d)
		}
	}
	if len(found) != 1 {
		f.t.Fatalf("%d deliveries of %s on %s, want 1: %+v", len(found), stage, channel, ds)
	}
	return found[0]
}

func (f *fixture) tick(at string) *Report {
	f.t.Helper()
	now, err := time.Parse(time.RFC3339, at)
	if err != nil {
		f.t.Fatal(err)
	}
	rep, err := f.e.Tick(context.Background(), now)
	if err != nil {
		f.t.Fatal(err)
	}
	return rep
}

func (f *fixture) deliveries() string {
	f.t.Helper()
	ds, err := f.store.Deliveries(context.Background(), "")
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%s#%d/%s:%s/%d", d.Stage, d.Seq, d.Channel, d.Status, d.Attempts))
	}
	return strings.Join(out, " ")
}

func TestRetryThenGiveUp(t *testing.T) {
	f := newFixture(t)
	f.code.Store(http.StatusBadGateway)
	rep := f.tick("2026-10-29T00:00:00Z")
	if rep.Count("retry") != 1 {
		t.Fatalf("outcomes %+v", rep.Outcomes)
	}
	// The retry pass does nothing before the backoff has passed…
	rep, err := f.e.Retry(context.Background(), time.Date(2026, 10, 29, 0, 0, 59, 0, time.UTC))
	if err != nil || len(rep.Outcomes) != 0 {
		t.Fatalf("early retry: %+v %v", rep.Outcomes, err)
	}
	// …then tries again at +1m and, after max_attempts, gives up.
	if rep, _ = f.e.Retry(context.Background(), time.Date(2026, 10, 29, 0, 1, 0, 0, time.UTC)); rep.Count("retry") != 1 {
		t.Fatalf("second attempt: %+v", rep.Outcomes)
	}
	if rep, _ = f.e.Retry(context.Background(), time.Date(2026, 10, 29, 0, 3, 0, 0, time.UTC)); rep.Count("failed") != 1 {
		t.Fatalf("third attempt: %+v", rep.Outcomes)
	}
	if got, want := f.deliveries(), "30d#0/hook:failed/3"; got != want {
		t.Errorf("deliveries %q, want %q", got, want)
	}
	if got := f.posts.Load(); got != 3 {
		t.Errorf("%d POSTs, want 3", got)
	}
}

func TestNewerReminderSupersedesOneStillRetrying(t *testing.T) {
	f := newFixture(t)
	f.code.Store(http.StatusServiceUnavailable)
	f.tick("2026-10-29T00:00:00Z") // 30d: retrying
	f.code.Store(http.StatusOK)
	rep := f.tick("2026-11-21T00:00:00Z") // 7d is due: the stale 30d is not sent
	if rep.Count("sent") != 2 {
		t.Errorf("outcomes %+v", rep.Outcomes)
	}
	if got, want := f.deliveries(), "30d#0/hook:superseded/1 7d#0/hook:sent/1 7d#0/console:sent/1"; got != want {
		t.Errorf("deliveries %q, want %q", got, want)
	}
	if !strings.Contains(f.out.String(), "7 days remaining") {
		t.Errorf("console output: %s", f.out.String())
	}
}

func TestRotationSupersedesPendingDeliveries(t *testing.T) {
	f := newFixture(t)
	f.code.Store(http.StatusServiceUnavailable)
	f.tick("2026-11-28T00:00:00Z") // overdue, retrying
	if err := f.e.Rotate(context.Background(), Rotation{Credential: "sp-api-prod", At: time.Date(2026, 11, 28, 0, 0, 30, 0, time.UTC), By: "bob", Source: "cli"}); err != nil {
		t.Fatal(err)
	}
	f.code.Store(http.StatusOK)
	rep := f.tick("2026-11-28T00:05:00Z")
	if len(rep.Outcomes) != 0 {
		t.Errorf("a rotated credential still sends: %+v", rep.Outcomes)
	}
	if got, want := f.deliveries(), "30d#0/hook:skipped/0 7d#0/hook:skipped/0 7d#0/console:skipped/0 overdue#0/hook:superseded/1"; got != want {
		t.Errorf("deliveries %q, want %q", got, want)
	}
	err := f.e.Rotate(context.Background(), Rotation{Credential: "sp-api-prod", At: time.Date(2026, 11, 28, 0, 0, 30, 0, time.UTC), Source: "cli"})
	if err == nil || !strings.Contains(err.Error(), "not newer") {
		t.Errorf("same rotation again: %v", err)
	}
}

func TestChannelRemovedFromConfigFailsItsDeliveries(t *testing.T) {
	f := newFixture(t)
	f.code.Store(http.StatusServiceUnavailable)
	f.tick("2026-10-29T00:00:00Z")
	cfg := *f.e.Config()
	cfg.Channels = map[string]*config.Channel{"console": cfg.Channels["console"]}
	if err := f.e.SetConfig(&cfg); err != nil {
		t.Fatal(err)
	}
	rep, err := f.e.Retry(context.Background(), time.Date(2026, 10, 29, 0, 1, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count("failed") != 1 || !strings.Contains(rep.Outcomes[0].Detail, "channel hook is no longer configured") {
		t.Errorf("outcomes %+v", rep.Outcomes)
	}
}

// A service's Retry-After sets the next attempt even when it is longer than
// max_backoff (10m here): retrying sooner only earns another 429.
func TestRetryAfterSetsTheNextAttempt(t *testing.T) {
	f := newFixture(t)
	f.code.Store(http.StatusTooManyRequests)
	f.retryAfter.Store(7200)
	start := time.Date(2026, 10, 29, 0, 0, 0, 0, time.UTC)
	rep := f.tick("2026-10-29T00:00:00Z") // 30d is due, and throttled
	if rep.Count("retry") != 1 {
		t.Fatalf("outcomes %+v", rep.Outcomes)
	}
	d := f.delivery("30d", "hook")
	if want := start.Add(2 * time.Hour); d.Status != domain.StatusPending || d.Attempts != 1 || !d.NextAttemptAt.Equal(want) {
		t.Errorf("delivery %s, %d attempts, next attempt at %v; want pending, 1, %v", d.Status, d.Attempts, d.NextAttemptAt, want)
	}
	if !strings.Contains(rep.Outcomes[0].Detail, "next attempt at 2026-10-29T02:00:00Z") {
		t.Errorf("outcome detail %q does not say the next attempt is at +2h", rep.Outcomes[0].Detail)
	}

	f.code.Store(http.StatusOK)
	f.retryAfter.Store(0)
	// Neither a retry pass nor a tick sends it before the 2 hours are up…
	if rep, err := f.e.Retry(context.Background(), start.Add(time.Hour)); err != nil || len(rep.Outcomes) != 0 {
		t.Errorf("retry at +1h: %+v %v", rep.Outcomes, err)
	}
	if rep := f.tick("2026-10-29T01:59:59Z"); len(rep.Outcomes) != 0 {
		t.Errorf("tick at +2h-1s: %+v", rep.Outcomes)
	}
	if got := f.posts.Load(); got != 1 {
		t.Errorf("%d POSTs before the Retry-After passed, want 1", got)
	}
	// …and the tick at +2h does.
	if rep := f.tick("2026-10-29T02:00:00Z"); rep.Count("sent") != 1 || rep.Outcomes[0].Stage != "30d" {
		t.Errorf("tick at +2h: %+v", rep.Outcomes)
	}
	if got, want := f.deliveries(), "30d#0/hook:sent/2"; got != want {
		t.Errorf("deliveries %q, want %q", got, want)
	}
	if got := f.posts.Load(); got != 2 {
		t.Errorf("%d POSTs, want 2", got)
	}
}

// An operator who writes a newer rotated_at into the config closes the
// cycle just as `notifier rotate` does: the next tick records the rotation
// (source config) and the old cycle's reminder that was still being retried
// is superseded, not sent to a service that has recovered meanwhile.
func TestRotationInConfigSupersedesPendingDeliveries(t *testing.T) {
	f := newFixture(t)
	f.code.Store(http.StatusBadGateway)
	if rep := f.tick("2026-11-28T00:00:00Z"); rep.Count("retry") != 1 { // overdue, retrying
		t.Fatalf("outcomes %+v", rep.Outcomes)
	}
	old := f.delivery("overdue", "hook")
	if want := time.Date(2026, 11, 28, 0, 1, 0, 0, time.UTC); old.Status != domain.StatusPending || !old.NextAttemptAt.Equal(want) {
		t.Fatalf("overdue delivery %s, next attempt at %v; want pending, %v", old.Status, old.NextAttemptAt, want)
	}
	before := f.received()
	if len(before) != 1 || before[0].Credential != "sp-api-prod" || before[0].Stage != "overdue" ||
		before[0].Delivery != old.ID || before[0].Deadline != "2026-11-28T00:00:00Z" {
		t.Fatalf("POSTs before the rotation: %+v", before)
	}

	// The operator rotates at 00:00:30 and records it in the config; the
	// daemon reloads the file, and the service recovers.
	tick := time.Date(2026, 11, 28, 0, 5, 0, 0, time.UTC) // the retry has been due since 00:01
	f.editConfig("rotated_at: 2026-06-01", `rotated_at: "2026-11-28T00:00:30Z"`, tick)
	f.code.Store(http.StatusOK)
	rep := f.tick("2026-11-28T00:05:00Z")
	if len(rep.Outcomes) != 0 {
		t.Errorf("a rotated credential still sends: %+v", rep.Outcomes)
	}
	for _, p := range f.received()[len(before):] {
		t.Errorf("POST after the rotation: %s %s (deadline %s, delivery %d, %q)", p.Credential, p.Stage, p.Deadline, p.Delivery, p.Subject)
	}
	d := f.delivery("overdue", "hook")
	if d.Status != domain.StatusSuperseded || d.Attempts != 1 || !d.NextAttemptAt.IsZero() ||
		d.LastError != "superseded by the rotation at 2026-11-28T00:00:30Z" {
		t.Errorf("old delivery %s, %d attempts, next %v, %q; want superseded by the rotation at 00:00:30, 1 attempt, none next",
			d.Status, d.Attempts, d.NextAttemptAt, d.LastError)
	}
	if got, want := f.deliveries(), "30d#0/hook:skipped/0 7d#0/hook:skipped/0 7d#0/console:skipped/0 overdue#0/hook:superseded/1"; got != want {
		t.Errorf("deliveries %q, want %q", got, want)
	}

	rotations, err := f.store.History(context.Background(), domain.HistoryFilter{CredentialID: "sp-api-prod", Type: domain.EventRotation})
	if err != nil {
		t.Fatal(err)
	}
	if len(rotations) != 2 {
		t.Fatalf("rotation events %+v, want the first and the one from the config", rotations)
	}
	r := rotations[1]
	if r.Status != "config" || !r.Time.Equal(time.Date(2026, 11, 28, 0, 0, 30, 0, time.UTC)) || r.RotationID == old.RotationID ||
		r.Detail != "rotated at 2026-11-28T00:00:30Z (source config)" {
		t.Errorf("rotation event %+v, want source config at 00:00:30 opening a new cycle", r)
	}
}
