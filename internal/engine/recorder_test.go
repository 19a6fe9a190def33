package engine

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// TestRecorderCloseAfterALateWakeUp replays, step by step, the interleaving
// that hung a tick: the loop has taken a wake-up and waits for the lock
// while a last add leaves another wake-up in the buffer and close marks the
// recorder closed. The loop then records everything, sees closed and
// returns; close must not wait to hand it one more wake-up.
func TestRecorderCloseAfterALateWakeUp(t *testing.T) {
	f := newFixture(t)
	now := time.Date(2026, 10, 29, 0, 0, 0, 0, time.UTC)
	outcome := func(detail string) domain.Outcome {
		return domain.Outcome{DeliveryID: 1 << 40, Status: domain.StatusReleased,
			Event: domain.Event{Time: now, Type: domain.EventReminder, CredentialID: "sp-api-prod", Status: domain.StatusRetry, Detail: detail}}
	}
	r := newRecorder(context.Background(), f.store, "test")

	r.mu.Lock()
	r.pending = append(r.pending, outcome("first"))
	r.wake <- struct{}{}
	for len(r.wake) > 0 { // the loop takes the wake-up, then waits for the lock
		runtime.Gosched()
	}
	r.pending = append(r.pending, outcome("last")) // the last add…
	r.wake <- struct{}{}                           // …whose wake-up stays in the buffer
	r.closed = true                                // close has begun
	r.mu.Unlock()

	done := make(chan error, 1)
	go func() { done <- r.close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second): // a liveness bound; it takes milliseconds
		t.Fatal("close hangs")
	}
	evs, err := f.store.History(context.Background(), domain.HistoryFilter{Type: domain.EventReminder})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 {
		t.Errorf("%d events recorded, want both outcomes': %+v", len(evs), evs)
	}
}
