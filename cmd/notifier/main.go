// Command notifier makes sure no credential silently expires: it keeps
// rotation dates in SQLite and sends escalating reminders until someone
// rotates. This package is flag parsing and wiring only.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go stopPromptly(ctx, done, StopGrace, os.Stderr, os.Exit)
	code := Execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
	close(done)
	stop()
	os.Exit(code)
}

// StopGrace is how long a command may go on after SIGINT or SIGTERM. The
// daemon and tick stop well within it; a command that does not look at the
// signal (check of a large fleet, status of a million credentials) is ended
// then. Every write is a transaction, so ending one half-way loses nothing.
const StopGrace = 15 * time.Second

// stopPromptly exits with status 1 and one line when ctx is cancelled (a
// signal) and the command has not finished (done) within grace.
func stopPromptly(ctx context.Context, done <-chan struct{}, grace time.Duration, stderr io.Writer, exit func(int)) {
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		fmt.Fprintf(stderr, "notifier: still running %s after the signal; stopping (nothing half-written)\n", grace)
		exit(1)
	}
}
