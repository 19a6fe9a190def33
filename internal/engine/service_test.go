package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/channels/webhook"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
)

// sink is a webhook receiver that counts what arrives per delivery key and
// can hang until released.
type sink struct {
	srv     *httptest.Server
	mu      sync.Mutex
	got     map[string]int // Idempotency-Key -> POSTs
	arrived chan string
	hang    chan struct{} // non-nil: every request waits for it to close
	entered atomic.Int32  // requests that reached the handler
	exited  chan struct{} // one per request that left it
}

func newSink(t *testing.T, hang bool) *sink {
	s := &sink{got: map[string]int{}, arrived: make(chan string, 10_000), exited: make(chan struct{}, 10_000)}
	if hang {
		s.hang = make(chan struct{})
	}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.entered.Add(1)
		defer func() { s.exited <- struct{}{} }()
		var p webhook.Payload
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		if s.hang != nil {
			select {
			case <-s.hang:
			case <-r.Context().Done():
				return
			}
		}
		key := r.Header.Get("Idempotency-Key")
		s.mu.Lock()
		s.got[key]++
		s.mu.Unlock()
		s.arrived <- key
	}))
	t.Cleanup(func() {
		if s.hang != nil {
			select {
			case <-s.hang:
			default:
				close(s.hang)
			}
		}
		s.srv.Close()
	})
	return s
}

// settle waits until every request that reached the handler has left it:
// a hung request the client gave up on is not received.
func (s *sink) settle(t *testing.T) {
	t.Helper()
	for range s.entered.Load() {
		select {
		case <-s.exited:
		case <-time.After(60 * time.Second):
			t.Fatal("a request is still in the handler a minute after its client left")
		}
	}
}

func (s *sink) counts() (keys, posts, dups int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.got {
		keys++
		posts += n
		if n > 1 {
			dups += n - 1
		}
	}
	return keys, posts, dups
}

// serviceNow is when every credential of a fleet config is 7 days before
// its deadline: one reminder each is due.
var serviceNow = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

// fleetConfig writes a config with n credentials due at serviceNow, whose
// 7d stage goes to the given channels (name -> webhook URL).
func fleetConfig(t *testing.T, dir string, n int, hooks map[string]string, concurrency int) string {
	t.Helper()
	var chans, names []string
	for name, url := range hooks {
		c := fmt.Sprintf("  %s: {type: webhook, url: %q", name, url)
		if concurrency > 0 {
			c += fmt.Sprintf(", concurrency: %d", concurrency)
		}
		chans = append(chans, c+"}")
		names = append(names, name)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "timezone: UTC\nretry: {max_attempts: 3, initial_backoff: 1m, max_backoff: 10m}\n")
	fmt.Fprintf(&b, "policies:\n  standard:\n    - {before: 7d, channels: [%s]}\n", strings.Join(names, ", "))
	fmt.Fprintf(&b, "channels:\n%s\ncredentials:\n", strings.Join(chans, "\n"))
	for i := range n {
		fmt.Fprintf(&b, "  - {id: cred-%04d, rotated_at: 2026-06-01}\n", i)
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// openEngine opens its own store handle on the config's database: two of
// them on one file are two processes as far as claims go.
func openEngine(t *testing.T, path string, opts ...Option) (*Engine, *sqlite.Store) {
	t.Helper()
	cfg, err := config.Load(path, config.At(serviceNow), nil, registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	return engineOn(t, cfg, opts...)
}

// openDaemonEngine is openEngine as the daemon loads its config: the main
// file only, the credential files being the sync's.
func openDaemonEngine(t *testing.T, path string, opts ...Option) (*Engine, *sqlite.Store) {
	t.Helper()
	cfg, err := config.LoadMain(path, config.At(serviceNow), nil, registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	return engineOn(t, cfg, append([]Option{WithStdout(io.Discard)}, opts...)...)
}

// engineOn is an engine on a loaded config, with its own handle on the
// config's database, closed when the test ends.
func engineOn(tb testing.TB, cfg *config.Config, opts ...Option) (*Engine, *sqlite.Store) {
	tb.Helper()
	store, err := sqlite.Open(context.Background(), cfg.Database)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	e, err := New(store, cfg, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return e, store
}

// TestConcurrentTicksSendNothingTwice: two engines (two processes' worth of
// store handles and claimants) tick at the same moment on one database,
// several times; every reminder arrives exactly once.
func TestConcurrentTicksSendNothingTwice(t *testing.T) {
	const n = 200
	s := newSink(t, false)
	path := fleetConfig(t, t.TempDir(), n, map[string]string{"hook": s.srv.URL}, 4)
	a, _ := openEngine(t, path)
	b, _ := openEngine(t, path)
	ctx := context.Background()
	for round := range 3 {
		var wg sync.WaitGroup
		reps := make([]*Report, 2)
		errs := make([]error, 2)
		for i, e := range []*Engine{a, b} {
			wg.Go(func() { reps[i], errs[i] = e.Tick(ctx, serviceNow.Add(time.Duration(round)*time.Minute)) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d engine %d: %v", round, i, err)
			}
		}
		if round == 0 && reps[0].Count(domain.StatusSent)+reps[1].Count(domain.StatusSent) != n {
			t.Errorf("round 0: the engines report %d + %d sent, want %d in all",
				reps[0].Count(domain.StatusSent), reps[1].Count(domain.StatusSent), n)
		}
	}
	keys, posts, dups := s.counts()
	if keys != n || posts != n || dups != 0 {
		t.Errorf("the sink got %d reminders in %d POSTs (%d duplicates), want %d once each", keys, posts, dups, n)
	}
}

// TestHungChannelDelaysOnlyItself: one webhook never answers (until the
// test ends); the healthy channel's reminders all arrive meanwhile. A
// dispatcher that sent one at a time would wait out the hung channel's
// 10-minute send timeout first.
func TestHungChannelDelaysOnlyItself(t *testing.T) {
	const n = 10
	hung, healthy := newSink(t, true), newSink(t, false)
	path := fleetConfig(t, t.TempDir(), n, map[string]string{"hung": hung.srv.URL, "healthy": healthy.srv.URL}, 2)
	e, store := openEngine(t, path, WithSendTimeout(10*time.Minute), WithShutdownGrace(50*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := e.Tick(ctx, serviceNow)
		done <- err
	}()
	deadline := time.After(60 * time.Second) // a liveness bound, far above the few ms it takes
	for i := range n {
		select {
		case <-healthy.arrived:
		case <-deadline:
			t.Fatalf("only %d of %d healthy reminders arrived while the other channel hung", i, n)
		}
	}
	cancel() // SIGTERM: the hung sends are cancelled after the grace
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the tick did not end after its context was cancelled")
	}
	ds, err := store.Deliveries(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	var sent, pending int
	for _, d := range ds {
		switch {
		case d.Channel == "healthy" && d.Status == domain.StatusSent:
			sent++
		case d.Channel == "hung" && d.Status == domain.StatusPending && d.Attempts == 0:
			pending++
		}
	}
	if sent != n || pending != n {
		t.Errorf("healthy sent %d (want %d); hung still pending and untried %d (want %d): %+v", sent, n, pending, n, ds)
	}
	// The next start sends what shutdown left behind, once.
	hung.settle(t)
	close(hung.hang)
	e2, _ := openEngine(t, path)
	rep, err := e2.Tick(context.Background(), serviceNow.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Count(domain.StatusSent); got != n {
		t.Errorf("after the restart %d sent, want the %d the shutdown left: %+v", got, n, rep.Outcomes)
	}
	if keys, posts, dups := hung.counts(); keys != n || dups != 0 || posts != n {
		t.Errorf("the once-hung channel got %d reminders in %d POSTs, want %d once each", keys, posts, n)
	}
}

// TestCrashedClaimantsDeliveriesAreRetriedAfterTheClaimExpires: a sender
// claimed deliveries and died without a word; another engine leaves them
// alone while the claim lasts, and sends them once it has expired.
func TestCrashedClaimantsDeliveriesAreRetriedAfterTheClaimExpires(t *testing.T) {
	const n = 5
	s := newSink(t, false)
	path := fleetConfig(t, t.TempDir(), n, map[string]string{"hook": s.srv.URL}, 1)
	e, store := openEngine(t, path)
	ctx := context.Background()
	if err := e.Sync(ctx, serviceNow); err != nil {
		t.Fatal(err)
	}
	rep := &Report{}
	if err := e.planDue(ctx, e.view(), serviceNow, rep); err != nil {
		t.Fatal(err)
	}
	claimed, err := store.ClaimDeliveries(ctx, "crashed-host:1:dead", "hook", serviceNow, serviceNow.Add(5*time.Minute), 100)
	if err != nil || len(claimed) != n {
		t.Fatalf("claimed %d, %v; want %d", len(claimed), err, n)
	}
	if rep, err := e.Tick(ctx, serviceNow.Add(time.Minute)); err != nil || rep.Count(domain.StatusSent) != 0 {
		t.Fatalf("while the claim lasts: %+v, %v; want nothing sent", rep.Outcomes, err)
	}
	if rep, err := e.Tick(ctx, serviceNow.Add(5*time.Minute)); err != nil || rep.Count(domain.StatusSent) != n {
		t.Fatalf("after the claim expired: %+v, %v; want %d sent", rep.Outcomes, err, n)
	}
	if keys, posts, _ := s.counts(); keys != n || posts != n {
		t.Errorf("the sink got %d reminders in %d POSTs, want %d", keys, posts, n)
	}
}

// TestDuplicateIDAcrossFilesIsRefused: an operator defines the same id in
// two new credential files; the second file written is refused whole (its
// last good version, none, stands), and the credential stays with the
// first. Moving a credential between two files in one edit works in
// either direction.
func TestDuplicateIDAcrossFilesIsRefused(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("config.yaml", `timezone: UTC
policies:
  standard: [{before: 7d, channels: [console]}]
channels:
  console: {type: stdout}
credential_files: ["creds/*.yaml"]
`)
	os.Mkdir(filepath.Join(dir, "creds"), 0o700)
	write("creds/a.yaml", "credentials:\n  - {id: dup, rotated_at: 2026-06-01}\n  - {id: only-a, rotated_at: 2026-06-01}\n")
	write("creds/b.yaml", "credentials:\n  - {id: dup, rotated_at: 2026-06-01}\n  - {id: only-b, rotated_at: 2026-06-01}\n")
	var logs strings.Builder
	e, store := openDaemonEngine(t, filepath.Join(dir, "config.yaml"), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	ctx := context.Background()
	if err := e.Sync(ctx, serviceNow); err != nil {
		t.Fatal(err)
	}
	owners := func() map[string]string {
		t.Helper()
		states, err := store.States(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, s := range states {
			if s.Active {
				out[s.ID] = s.File
			}
		}
		return out
	}
	if got, want := owners(), map[string]string{"dup": "creds/a.yaml", "only-a": "creds/a.yaml"}; !maps.Equal(got, want) {
		t.Errorf("active credentials by file: %v, want %v (b.yaml refused)", got, want)
	}
	if !strings.Contains(logs.String(), `credential \"dup\" is already defined in creds/a.yaml`) {
		t.Errorf("the refusal is not logged:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `msg="config file synced" file=creds/a.yaml added=2`) {
		t.Errorf("a.yaml's sync is not counted in the log:\n%s", logs.String())
	}

	// The operator fixes b.yaml, then moves only-a to b.yaml and only-b
	// back in one edit of both files.
	write("creds/b.yaml", "credentials:\n  - {id: only-b, rotated_at: 2026-06-01}\n")
	if err := e.Sync(ctx, serviceNow.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	write("creds/a.yaml", "credentials:\n  - {id: dup, rotated_at: 2026-06-01}\n  - {id: only-b, rotated_at: 2026-06-01}\n")
	write("creds/b.yaml", "credentials:\n  - {id: only-a, rotated_at: 2026-06-01}\n")
	if err := e.Sync(ctx, serviceNow.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, want := owners(), map[string]string{"dup": "creds/a.yaml", "only-b": "creds/a.yaml", "only-a": "creds/b.yaml"}; !maps.Equal(got, want) {
		t.Errorf("after the move: %v, want %v", got, want)
	}
}

// TestUnreadableFileKeepsItsCredentials: a credential file the glob still
// matches but that cannot be read (here replaced by a named pipe) is
// skipped with its last synced version standing: its credentials stay
// active. Every file the glob no longer matches retires its credentials.
func TestUnreadableFileKeepsItsCredentials(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "creds"), 0o700)
	files := map[string]string{
		"config.yaml":  "timezone: UTC\npolicies:\n  standard: [{before: 7d, channels: [console]}]\nchannels:\n  console: {type: stdout}\ncredential_files: [\"creds/*.yaml\"]\n",
		"creds/a.yaml": "credentials:\n  - {id: a-one, rotated_at: 2026-06-01}\n",
		"creds/b.yaml": "credentials:\n  - {id: b-one, rotated_at: 2026-06-01}\n",
		"creds/c.yaml": "credentials:\n  - {id: c-one, rotated_at: 2026-06-01}\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e, store := openDaemonEngine(t, filepath.Join(dir, "config.yaml"))
	ctx := context.Background()
	if err := e.Sync(ctx, serviceNow); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "creds/a.yaml"))
	if err := syscall.Mkfifo(filepath.Join(dir, "creds/a.yaml"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Rename(filepath.Join(dir, "creds/b.yaml"), filepath.Join(dir, "creds/b.yaml.old"))
	os.Remove(filepath.Join(dir, "creds/c.yaml"))
	if err := e.Sync(ctx, serviceNow.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	states, err := store.States(ctx)
	if err != nil {
		t.Fatal(err)
	}
	active := map[string]bool{}
	for _, s := range states {
		active[s.ID] = s.Active
	}
	if want := map[string]bool{"a-one": true, "b-one": false, "c-one": false}; !maps.Equal(active, want) {
		t.Errorf("active: %v, want %v (the unreadable file's credential kept, the vanished files' retired)", active, want)
	}
}

// TestNewCredentialIsDueAtItsFirstStage: a sync records each new
// credential's first action as the planner's answer (its first stage's
// threshold, or now when a stage is already due), so a first sync does not
// leave the whole fleet due for planning.
func TestNewCredentialIsDueAtItsFirstStage(t *testing.T) {
	s := newSink(t, false)
	dir := t.TempDir()
	path := fleetConfig(t, dir, 1, map[string]string{"hook": s.srv.URL}, 1)
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	body = append(body, "  - {id: late, rotated_at: 2026-06-01}\n"...)
	body = bytes.Replace(body, []byte("cred-0000, rotated_at: 2026-06-01"), []byte("cred-0000, rotated_at: 2026-07-01"), 1)
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	e, store := openDaemonEngine(t, path)
	at := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC) // late's 7d stage is due; cred-0000's comes on 2026-12-21
	if err := e.Sync(context.Background(), at); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]time.Time{"cred-0000": time.Date(2026, 12, 21, 0, 0, 0, 0, time.UTC), "late": at} {
		c, err := store.Cycle(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if !c.NextAction.Equal(want) {
			t.Errorf("%s: next action %v, want %v", id, c.NextAction, want)
		}
	}
}

// TestNewCredentialFileIsSyncedWithoutARestart: an operator adds a file to
// a folder credential_files matches; the daemon's next sync takes it, with
// the main config unchanged (it is not loaded again).
func TestNewCredentialFileIsSyncedWithoutARestart(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "creds"), 0o700)
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("config.yaml", "timezone: UTC\npolicies:\n  standard: [{before: 7d, channels: [console]}]\nchannels:\n  console: {type: stdout}\ncredential_files: [\"creds/*.yaml\"]\n")
	write("creds/a.yaml", "credentials:\n  - {id: a-one, rotated_at: 2026-06-01}\n")
	e, store := openDaemonEngine(t, filepath.Join(dir, "config.yaml"))
	ctx := context.Background()
	if err := e.Sync(ctx, serviceNow); err != nil {
		t.Fatal(err)
	}
	write("creds/b.yaml", "credentials:\n  - {id: b-one, rotated_at: 2026-06-01}\n")
	if err := e.Sync(ctx, serviceNow.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	c, err := store.Cycle(ctx, "b-one")
	if err != nil || !c.Active || c.File != "creds/b.yaml" {
		t.Errorf("b-one after the next sync: %+v, %v; want active, from creds/b.yaml", c, err)
	}
}
