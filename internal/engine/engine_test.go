package engine

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/db"
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
// answering with the status in code.
type fixture struct {
	t     *testing.T
	e     *Engine
	store *db.DB
	code  atomic.Int32
	posts atomic.Int32
	dir   string
	out   bytes.Buffer
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

func newFixture(t *testing.T) *fixture {
	f := &fixture{t: t, dir: t.TempDir()}
	f.code.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.posts.Add(1)
		w.WriteHeader(int(f.code.Load()))
	}))
	t.Cleanup(srv.Close)
	path := filepath.Join(f.dir, "config.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(fixtureConfig, srv.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, config.At(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)), nil)
	if err != nil {
		t.Fatal(err)
	}
	f.store, err = db.Open(context.Background(), cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.store.Close() })
	f.e, err = New(f.store, cfg, WithStdout(&f.out))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) tick(at string) Report {
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
