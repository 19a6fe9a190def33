package amazon

import (
	"fmt"
	"testing"

	"github.com/notifier-dev/notifier/internal/testutil/fauxqs"
)

// BenchmarkDrain: the time per SP-API notification drained from fauxqs
// (receive in batches of 10, parse, record in SQLite, delete), each an
// expiry notification with its own id, all sent before the timer starts.
func BenchmarkDrain(b *testing.B) {
	sqs := fauxqs.Start(b)
	r := newRig(b, sqs)
	c := r.consumer(nil)
	for i := range b.N {
		sqs.Send(b, r.queue, expiryBody(fmt.Sprintf("bench-%d", i), testClient, "2026-06-20T00:00:00Z"))
	}
	b.ResetTimer()
	drained := 0
	for drained < b.N {
		got, err := c.Drain(b.Context())
		if err != nil || got.Received == 0 {
			b.Fatalf("drain = %+v, %v after %d of %d", got, err, drained, b.N)
		}
		drained += got.Received
	}
}
