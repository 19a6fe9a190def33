package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestStopPromptly: after the signal, a command that is still running when
// the grace ends is ended with one line; one that finishes in time is not,
// and without a signal nothing happens however long it runs.
func TestStopPromptly(t *testing.T) {
	for _, tc := range []struct {
		name     string
		signal   bool
		finishes bool
		grace    time.Duration // long where it must not run out: no race with the test
		wantExit bool
	}{
		{"signal, the command does not finish", true, false, 10 * time.Millisecond, true},
		{"signal, the command finishes", true, true, time.Minute, false},
		{"no signal", false, true, 10 * time.Millisecond, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan struct{})
			exited := make(chan int, 1)
			var stderr bytes.Buffer
			returned := make(chan struct{})
			go func() {
				stopPromptly(ctx, done, tc.grace, &stderr, func(code int) { exited <- code })
				close(returned)
			}()
			if tc.signal {
				cancel()
			}
			if tc.finishes {
				close(done)
			}
			<-returned
			select {
			case code := <-exited:
				if !tc.wantExit || code != 1 {
					t.Fatalf("exit(%d), want exit: %v", code, tc.wantExit)
				}
				if !strings.Contains(stderr.String(), "still running 10ms after the signal") {
					t.Errorf("stderr %q", stderr.String())
				}
			default:
				if tc.wantExit {
					t.Fatal("no exit after the grace")
				}
				if stderr.Len() != 0 {
					t.Errorf("stderr %q, want nothing", stderr.String())
				}
			}
		})
	}
}
