package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/daemon"
	"github.com/notifier-dev/notifier/internal/domain"
)

// TestRunTicksAtStartAndStopsOnSIGTERM starts the daemon as a user would,
// waits for the reminder its start-up tick sends, then stops it with
// SIGTERM.
func TestRunTicksAtStartAndStopsOnSIGTERM(t *testing.T) {
	e := newEnv(t, time.Now().UTC().Add(-175*24*time.Hour).Format(time.RFC3339))
	arrived := make(chan struct{}, 1)
	e.hook.mu.Lock()
	e.hook.onPost = func() {
		select {
		case arrived <- struct{}{}:
		default:
		}
	}
	e.hook.mu.Unlock()
	cmd := exec.Command(binary, "--config", e.config, "run", "--init")
	cmd.Dir = e.dir
	var stderr bytes.Buffer
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { // drain
		s := bufio.NewScanner(stdout)
		for s.Scan() {
		}
	}()
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("no reminder from the start-up tick; stderr:\n%s", stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("daemon exit: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("daemon did not stop on SIGTERM")
	}
	got := e.hook.take()
	if len(got) != 1 || got[0].Stage != "7d" || got[0].DaysRemaining != 5 {
		t.Errorf("reminders: %+v", got)
	}
	for _, want := range []string{"notifier running", "stopping", "stopped"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, stderr.String())
		}
	}
}

// TestDaemonPicksUpConfigEdits: an operator moves rotated_at forward while
// the daemon runs; the next tick records the rotation without a restart.
// An invalid edit is rejected and the last good config kept.
func TestDaemonPicksUpConfigEdits(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	now := time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC)
	var logs bytes.Buffer
	m := &daemon.Daemon{ConfigPath: e.config, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Clock: func(*time.Location) time.Time { return now }}
	ctx := context.Background()
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	m.Tick(ctx)
	want(t, e.hook.take(), "overdue", 0)

	// A broken edit: the daemon keeps going on the last good config.
	if err := os.WriteFile(e.config, []byte("credentials: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	now = now.Add(24 * time.Hour)
	m.Tick(ctx)
	want(t, e.hook.take(), "overdue", -1)
	if !strings.Contains(logs.String(), "config change rejected") {
		t.Errorf("broken config not reported:\n%s", logs.String())
	}

	// The fix, with the rotation recorded.
	e.writeCreds(fmt.Sprintf(spAPI, "2026-11-29T00:30:00Z"))
	now = now.Add(24 * time.Hour)
	m.Tick(ctx)
	want(t, e.hook.take())
	rots, err := m.Store.History(ctx, domain.HistoryFilter{Type: domain.EventRotation})
	if err != nil {
		t.Fatal(err)
	}
	if len(rots) != 2 || rots[1].Status != "config" || !rots[1].Time.Equal(time.Date(2026, 11, 29, 0, 30, 0, 0, time.UTC)) {
		t.Errorf("rotations: %+v", rots)
	}
	if got := m.Config.Credentials[0].RotatedAt; !got.Equal(time.Date(2026, 11, 29, 0, 30, 0, 0, time.UTC)) {
		t.Errorf("config in use says rotated_at %v: the fixed config was not swapped in", got)
	}
}
