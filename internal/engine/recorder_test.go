package engine

import (
	"testing"
	"time"
)

// TestRecorderCloseAfterTheLoopReturned: the state a last add can leave
// behind (the loop saw closed and returned, another wake-up still in the
// buffer) does not make close wait forever.
func TestRecorderCloseAfterTheLoopReturned(t *testing.T) {
	r := &recorder{wake: make(chan struct{}, 1), done: make(chan error, 1)}
	r.wake <- struct{}{} // a last add's wake-up, never taken
	r.done <- nil        // the loop has returned
	closed := make(chan error, 1)
	go func() { closed <- r.close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("close is stuck sending a wake-up nobody will take")
	}
}
