package main

// End-to-end tests of the long-running service through the binary: one
// sender per database, concurrent ticks, shutdown with a hung channel, and
// SIGKILL at random moments.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
)

// keySink counts webhook POSTs per Idempotency-Key (one per delivery), and
// can answer slowly or hang.
type keySink struct {
	srv   *httptest.Server
	delay time.Duration
	hang  chan struct{} // non-nil: requests wait until it closes (release) or the client goes
	once  sync.Once
	mu    sync.Mutex
	got   map[string]int
	seen  chan struct{} // a request arrived (buffered, never blocks)
}

func newKeySink(t testing.TB, delay time.Duration, hang bool) *keySink {
	s := &keySink{delay: delay, got: map[string]int{}, seen: make(chan struct{}, 100_000)}
	if hang {
		s.hang = make(chan struct{})
	}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		s.seen <- struct{}{}
		if s.hang != nil {
			select {
			case <-s.hang:
			case <-r.Context().Done():
				return
			}
		}
		if s.delay > 0 {
			select {
			case <-time.After(s.delay):
			case <-r.Context().Done():
				return // the sender died mid-request: not received
			}
		}
		s.mu.Lock()
		s.got[r.Header.Get("Idempotency-Key")]++
		s.mu.Unlock()
	}))
	t.Cleanup(func() {
		s.release()
		s.srv.Close()
	})
	return s
}

// release lets the requests a hanging sink holds (and later ones) go on.
func (s *keySink) release() {
	if s.hang != nil {
		s.once.Do(func() { close(s.hang) })
	}
}

func (s *keySink) counts() (keys, dups int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.got {
		keys++
		dups += n - 1
	}
	return keys, dups
}

// fleetEnv writes a config with n credentials rotated at rotated (180-day
// period), whose 7d reminder goes to one webhook: with 2026-06-01, it is
// due at 2026-11-21 (deadline 2026-11-28).
func fleetEnv(t testing.TB, n int, url, schedule, rotated string) (dir, config string) {
	dir = t.TempDir()
	var b strings.Builder
	fmt.Fprintf(&b, "database: notifier.db\ntimezone: UTC\ncheck_schedule: %q\n", schedule)
	b.WriteString("policies:\n  standard:\n    - {before: 7d, channels: [ops]}\n")
	fmt.Fprintf(&b, "channels:\n  ops: {type: webhook, url: %q}\ncredentials:\n", url)
	for i := range n {
		fmt.Fprintf(&b, "  - {id: cred-%04d, rotated_at: %s}\n", i, rotated)
	}
	config = filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(config, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, config
}

// deliveriesByStatus counts the outbox rows by status.
func deliveriesByStatus(t *testing.T, dir string) map[string]int {
	t.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "notifier.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ds, err := store.Deliveries(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, d := range ds {
		out[d.Status]++
		if d.Status == domain.StatusPending && d.Attempts != 0 {
			out["pending-tried"]++
		}
	}
	return out
}

// daemon is a `notifier run` process with its log lines collected.
type daemonProc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  bytes.Buffer
	line chan string
	done chan error
}

func startDaemon(t *testing.T, dir, config string, args ...string) *daemonProc {
	t.Helper()
	return startDaemonEnv(t, dir, config, nil, args...)
}

// startDaemonEnv is startDaemon with the given environment (nil: this
// process's).
func startDaemonEnv(t testing.TB, dir, config string, environ []string, args ...string) *daemonProc {
	t.Helper()
	d := &daemonProc{line: make(chan string, 1000), done: make(chan error, 1)}
	d.cmd = exec.Command(binary, append([]string{"--config", config, "run", "--init"}, args...)...)
	d.cmd.Dir = dir
	d.cmd.Env = environ
	d.cmd.Stdout = io.Discard
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			d.mu.Lock()
			d.log.WriteString(s.Text() + "\n")
			d.mu.Unlock()
			select {
			case d.line <- s.Text():
			default:
			}
		}
		d.done <- d.cmd.Wait()
	}()
	t.Cleanup(func() { d.cmd.Process.Kill() })
	return d
}

// terminate sends SIGTERM and fails the test unless the daemon exits
// cleanly within bound.
func (d *daemonProc) terminate(t testing.TB, bound time.Duration) {
	t.Helper()
	start := time.Now()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, d.logs())
		}
	case <-time.After(bound):
		t.Fatalf("still running %s after SIGTERM:\n%s", bound, d.logs())
	}
	t.Logf("stopped %v after SIGTERM", time.Since(start).Round(10*time.Millisecond))
}

func (d *daemonProc) logs() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.log.String()
}

// await waits for a log line containing s; bound is a liveness limit far
// above the expected time, not a measurement.
func (d *daemonProc) await(t testing.TB, s string, bound time.Duration) {
	t.Helper()
	limit := time.After(bound)
	for {
		select {
		case l := <-d.line:
			if strings.Contains(l, s) {
				return
			}
		case err := <-d.done:
			t.Fatalf("the daemon exited (%v) before logging %q:\n%s", err, s, d.logs())
		case <-limit:
			t.Fatalf("no %q within %s:\n%s", s, bound, d.logs())
		}
	}
}

// TestSecondDaemonWaitsAndTakesOver: one `notifier run` holds the
// database; a second, alive holder or not, does not exit: it logs one
// line naming the holder and its lease's expiry and waits (so that a
// systemd or container restart recovers without a failure loop), and
// SIGTERM stops it at once while it waits. A third (with --standby, still
// accepted, now the default) takes over once the holder stops renewing
// (SIGSTOPped: alive, so not taken over as dead) and its lease expires.
func TestSecondDaemonWaitsAndTakesOver(t *testing.T) {
	sink := newKeySink(t, 0, false)
	// Rotated ten days ago: nothing is due while the daemons run.
	dir, config := fleetEnv(t, 3, sink.srv.URL, "@hourly", time.Now().UTC().Add(-10*24*time.Hour).Format(time.RFC3339))
	first := startDaemon(t, dir, config, "--lease-ttl", "2s")
	first.await(t, "notifier running", 60*time.Second)
	holder := fmt.Sprintf(":%d:", first.cmd.Process.Pid)

	second := startDaemon(t, dir, config, "--lease-ttl", "2s")
	second.await(t, "waiting for the lease", 60*time.Second)
	line := second.logs()
	if !strings.Contains(line, holder) || !strings.Contains(line, "lease_until=") {
		t.Errorf("the waiting line does not name the holder (%s) and its lease's expiry:\n%s", holder, line)
	}
	if n := strings.Count(line, "waiting for the lease"); n != 1 {
		t.Errorf("%d waiting lines, want 1:\n%s", n, line)
	}
	second.terminate(t, 15*time.Second)
	if logs := second.logs(); strings.Contains(logs, "notifier running") {
		t.Errorf("the waiting daemon ran while the holder held the lease:\n%s", logs)
	}

	third := startDaemon(t, dir, config, "--standby", "--lease-ttl", "2s")
	third.await(t, "waiting for the lease", 60*time.Second)
	if err := first.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	third.await(t, "notifier running", 60*time.Second)
	if strings.Contains(third.logs(), "no longer running") {
		t.Errorf("a stopped (alive) holder was taken over as dead:\n%s", third.logs())
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.done
	third.terminate(t, 15*time.Second)
	if keys, dups := sink.counts(); keys != 0 || dups != 0 {
		t.Errorf("nothing was due, yet the sink got %d reminders", keys)
	}
}

// TestRestartAfterSIGKILLTakesOverTheDeadProcesssLease: `notifier run` is
// SIGKILLed (as the OOM killer does) and started again at once, without
// --standby: its lease, unexpired, names a process of this host that no
// longer runs, so the new one takes it over and runs instead of exiting 1
// for up to the lease's TTL (the default, 30 s), and SIGTERM stops it
// cleanly.
func TestRestartAfterSIGKILLTakesOverTheDeadProcesssLease(t *testing.T) {
	sink := newKeySink(t, 0, false)
	// Rotated ten days ago: nothing is due while the daemons run.
	dir, config := fleetEnv(t, 3, sink.srv.URL, "@hourly", time.Now().UTC().Add(-10*24*time.Hour).Format(time.RFC3339))
	first := startDaemon(t, dir, config)
	first.await(t, "notifier running", 60*time.Second)
	dead := first.cmd.Process.Pid
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.done
	killed := time.Now()

	again := startDaemon(t, dir, config)
	again.await(t, "took over the lease of", 60*time.Second)
	again.await(t, "notifier running", 60*time.Second)
	t.Logf("running again %v after the SIGKILL", time.Since(killed).Round(10*time.Millisecond))
	logs := again.logs()
	if !strings.Contains(logs, fmt.Sprintf(":%d:", dead)) || !strings.Contains(logs, "no longer running") {
		t.Errorf("the takeover line does not name the dead process (pid %d):\n%s", dead, logs)
	}
	if err := again.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-again.done; err != nil {
		t.Fatalf("the restarted daemon's exit: %v\n%s", err, again.logs())
	}
	if keys, dups := sink.counts(); keys != 0 || dups != 0 {
		t.Errorf("nothing was due, yet the sink got %d reminders", keys)
	}
}

// TestTwoTickProcessesAtOnceSendNothingTwice: two `notifier tick` processes
// at the same moment on one database.
func TestTwoTickProcessesAtOnceSendNothingTwice(t *testing.T) {
	const n = 200
	sink := newKeySink(t, 0, false)
	dir, config := fleetEnv(t, n, sink.srv.URL, "@hourly", "2026-06-01")
	// Both start on a database that exists, so neither creates the schema
	// under the other's feet.
	if out, err := exec.Command(binary, "--config", config, "migrate").CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	var wg sync.WaitGroup
	outs := make([][]byte, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			cmd := exec.Command(binary, "--config", config, "tick", "--at", "2026-11-21T00:00:00Z")
			cmd.Dir = dir
			atTestClock(cmd)
			outs[i], errs[i] = cmd.CombinedOutput()
		})
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil {
			t.Fatalf("tick %d: %v\n%s", i, errs[i], outs[i])
		}
	}
	if keys, dups := sink.counts(); keys != n || dups != 0 {
		t.Errorf("the sink got %d reminders with %d duplicates, want %d once each", keys, dups, n)
	}
	if st := deliveriesByStatus(t, dir); st[domain.StatusSent] != n {
		t.Errorf("deliveries %v, want %d sent", st, n)
	}
	// Both appended to the history's hash chain at once: it is one chain,
	// 2 events per credential added and one per reminder sent.
	wantChain(t, dir, config, 3*n, "after two ticks at once")
}

// TestSIGTERMWithAHungChannel: 30 reminders due, the webhook never answers;
// SIGTERM stops the daemon within 15 seconds, and what was not sent stays
// pending, untried, for the next start.
func TestSIGTERMWithAHungChannel(t *testing.T) {
	const n = 30
	sink := newKeySink(t, 0, true)
	// The daemon runs on the real clock: rotated 175 days ago, the 7d
	// reminders are due now.
	dir, config := fleetEnv(t, n, sink.srv.URL, "@hourly", time.Now().UTC().Add(-175*24*time.Hour).Format(time.RFC3339))
	d := startDaemon(t, dir, config)
	select {
	case <-sink.seen:
	case <-time.After(60 * time.Second):
		t.Fatalf("no request reached the hung webhook:\n%s", d.logs())
	}
	d.terminate(t, 15*time.Second)
	if st := deliveriesByStatus(t, dir); st[domain.StatusPending] != n || st["pending-tried"] != 0 {
		t.Errorf("deliveries %v, want all %d pending and untried", st, n)
	}
}

// TestSIGKILLAtRandomMomentsLosesNothing: `notifier tick` processes are
// killed mid-send, each after a random number of requests reached a slow
// webhook; a last tick, once the dead claims expired, completes. Every
// reminder arrives, and only ones a killed tick held claims on may arrive
// twice.
func TestSIGKILLAtRandomMomentsLosesNothing(t *testing.T) {
	// A killed tick can only have sent twice what it held claims on: at
	// most one claim batch (4 x the webhook's default concurrency of 10)
	// of sends in flight or sent but not yet recorded.
	const n, kills, claimBatch = 300, 5, 40
	sink := newKeySink(t, 20*time.Millisecond, false)
	dir, config := fleetEnv(t, n, sink.srv.URL, "@hourly", "2026-06-01")
	rng := rand.New(rand.NewPCG(7, 11))
	at := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	killed := 0
	for k := range kills {
		cmd := exec.Command(binary, "--config", config, "tick", "--at", at.Add(time.Duration(k)*time.Second).Format(time.RFC3339))
		cmd.Dir = dir
		atTestClock(cmd)
		var output bytes.Buffer
		cmd.Stdout, cmd.Stderr = &output, &output
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		wait := 1 + rng.IntN(40) // requests to let through before the kill
		var done bool
		for range wait {
			select {
			case <-sink.seen:
				continue
			case err := <-exited:
				if err != nil {
					t.Fatalf("tick %d failed before the kill: %v\n%s", k, err, output.String())
				}
				done = true // it sent everything before the kill
			case <-time.After(60 * time.Second):
				t.Fatal("no request reached the webhook within a minute")
			}
			break
		}
		if !done {
			if cmd.Process.Signal(syscall.SIGKILL) == nil {
				killed++
			}
			<-exited
		}
	}
	keysBefore, _ := sink.counts()
	// The dead processes' claims last a few minutes of the tick's clock.
	cmd := exec.Command(binary, "--config", config, "tick", "--at", at.Add(time.Hour).Format(time.RFC3339))
	cmd.Dir = dir
	atTestClock(cmd)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("last tick: %v\n%s", err, out)
	}
	keys, dups := sink.counts()
	if keys != n {
		t.Errorf("%d of %d reminders arrived", keys, n)
	}
	if dups > killed*claimBatch {
		t.Errorf("%d duplicates: more than the %d deliveries the %d killed ticks could hold claims on", dups, killed*claimBatch, killed)
	}
	if st := deliveriesByStatus(t, dir); st[domain.StatusSent] != n {
		t.Errorf("deliveries %v, want all %d sent", st, n)
	}
	// A killed tick's transaction is rolled back whole: the hash chain
	// has no half-written link.
	wantChain(t, dir, config, -1, fmt.Sprintf("after %d kills", killed))
	t.Logf("%d kills mid-send, %d reminders arrived before the last tick, %d duplicates", killed, keysBefore, dups)
}
