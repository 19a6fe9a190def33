package daemon

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/notifier-dev/notifier/internal/amazon"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
)

// notifications builds the consumer of SP-API notifications, or nil when
// the config has no amazon: block.
func (d *Daemon) notifications() (*amazon.Consumer, error) {
	if d.Config.Amazon == nil {
		return nil, nil
	}
	c, err := amazon.NewConsumer(d.Config.Amazon, d.Engine, d.Logger, d.Engine.Redactor(), d.Now)
	if err == nil && d.WallClock != nil {
		c.WallClock = d.WallClock
	}
	return c, err
}

// startNotifications long-polls the SP-API queue in its own goroutine
// until ctx ends; the returned func waits for it to stop. A long poll in
// flight is abandoned at once on ctx's end.
func (d *Daemon) startNotifications(ctx context.Context) (wait func()) {
	c, err := d.notifications()
	if err != nil {
		d.Logger.Error("SP-API notifications are not received", "err", d.Engine.Redactor().String(err.Error()))
		return func() {}
	}
	if c == nil {
		return func() {}
	}
	// The queue's state as last told (0: not yet): the admins hear of a
	// change only, not of every receive.
	var told atomic.Int32
	c.OnReceive = func(err error) {
		state := int32(1)
		if err != nil {
			state = 2
		}
		if told.Swap(state) != state {
			d.Engine.Problem(ctx, domain.Problem{Key: engine.ProblemQueue,
				Detail: errDetail(err, "the SP-API queue is read again")}, err != nil)
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { c.Run(ctx) })
	d.Logger.Info("receiving SP-API notifications", "queue", d.Config.Amazon.SQSQueueURL)
	return wg.Wait
}

// DrainNotifications records the SP-API notifications waiting in the
// queue, after syncing the config (a credential's client id must be
// known), and prints what it did to w. No amazon: block: nothing to do.
// (`notifier receive` and `notifier tick` use it.)
func (d *Daemon) DrainNotifications(ctx context.Context, w io.Writer) (amazon.Counts, error) {
	c, err := d.notifications()
	if err != nil || c == nil {
		return amazon.Counts{}, err
	}
	if err := d.Engine.Sync(ctx, d.Now()); err != nil {
		return amazon.Counts{}, err
	}
	got, err := c.Drain(ctx)
	fmt.Fprintf(w, "SP-API notifications: %d received, %d applied, %d duplicate, %d unknown client, %d stale, %d left in the queue, %d malformed deleted\n",
		got.Received, got.Applied, got.Duplicate, got.Unknown, got.Stale, got.Left, got.Malformed)
	return got, err
}
