package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store"
)

// maxClaimBatch bounds how many deliveries of one channel are claimed at a
// time: enough to keep a fast channel's workers busy between claims, few
// enough that a slow channel's claims do not wait long in the queue.
const maxClaimBatch = 64

// dispatch sends every pending delivery due at now: per channel, a feeder
// claims due deliveries in committed batches and a pool of the channel's
// `concurrency` workers sends them, so a hung service delays only its own
// channel. Outcomes are recorded by one recorder in group commits. No
// transaction and no engine lock is held while a service is called.
//
// When ctx is cancelled (SIGTERM) nothing more is claimed; sends in flight
// get the shutdown grace, then are cancelled and their deliveries given
// back, to be sent at the next start.
func (e *Engine) dispatch(ctx context.Context, v view, now time.Time, rep *Report) error {
	names, err := e.store.DueChannels(ctx, now)
	if err != nil || len(names) == 0 {
		return err
	}
	// Sends outlive ctx by the grace; outcomes are recorded whatever
	// happens to ctx, so nothing sent is forgotten.
	sendCtx, cancelSends := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelSends()
	stopGrace := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(e.grace, cancelSends)
		context.AfterFunc(sendCtx, func() { t.Stop() })
	})
	defer stopGrace()

	started := time.Now()
	held := newClaims(e, now, started)
	rec := newRecorder(context.WithoutCancel(ctx), e.store, e.claimant)
	rec.recorded = held.done
	// Claims are judged by the tick's clock moving on in real time, so a
	// long dispatch does not hold claims dated at its start.
	clock := func() time.Time { return now.Add(time.Since(started)).Truncate(time.Second) }
	// The claims are renewed until their outcomes are recorded, even while
	// a shutdown's grace runs: short claims, yet held as long as needed.
	renewCtx, stopRenewing := context.WithCancel(context.WithoutCancel(ctx))
	renewed := make(chan struct{})
	go func() { defer close(renewed); held.renew(renewCtx) }()

	var wg sync.WaitGroup
	errs := make([]error, len(names))
	for i, name := range names {
		wg.Go(func() { errs[i] = e.drain(ctx, sendCtx, v, name, now, clock, held, rec, rep) })
	}
	wg.Wait()
	errs = append(errs, rec.close())
	stopRenewing()
	<-renewed
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return ctx.Err()
}

// drain sends the channel's due deliveries until none is left to claim: a
// feeder claims batches into a queue that holds one batch, so the next
// claim overlaps the sends of the last, and the channel's workers send from
// the queue.
func (e *Engine) drain(ctx, sendCtx context.Context, v view, name string, now time.Time, clock func() time.Time, held *claims, rec *recorder, rep *Report) error {
	workers := 1
	if ch := v.cfg.Channels[name]; ch != nil && ch.Concurrency > 0 {
		workers = ch.Concurrency
	}
	batch := min(maxClaimBatch, 4*workers)
	queue := make(chan domain.Claimed, batch)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for d := range queue {
				if ctx.Err() != nil {
					// Shutting down: what was claimed but not started goes back.
					rec.add(released(d, now, "not sent: notifier is stopping; it goes out at the next start"))
					continue
				}
				if !held.sendable(d.ID) {
					// Its claim may have expired (renewals failed) or is
					// no longer this sender's: another may send it.
					e.logger.Warn("not sent: its claim could not be renewed; it goes out at a later claim", "credential", d.CredentialID,
						"stage", d.Stage, "seq", d.Seq, "channel", d.Channel, "delivery", d.ID)
					continue
				}
				o := e.attempt(sendCtx, v, d, now)
				rec.add(o)
				if o.Status != domain.StatusReleased {
					rep.add(Outcome{Credential: d.CredentialID, Stage: d.Stage, Seq: d.Seq, Channel: d.Channel, Status: o.Status, Detail: o.Event.Detail})
				}
			}
		})
	}
	err := e.feed(ctx, name, clock, held, batch, queue, rec, now)
	close(queue)
	wg.Wait()
	return err
}

// feed claims the channel's due deliveries a batch at a time into queue
// until none is left or ctx ends.
func (e *Engine) feed(ctx context.Context, name string, clock func() time.Time, held *claims, batch int,
	queue chan<- domain.Claimed, rec *recorder, now time.Time) error {
	for ctx.Err() == nil {
		at, asked := clock(), time.Now()
		claimed, err := e.store.ClaimDeliveries(ctx, e.claimant, name, at, held.until(), batch)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if len(claimed) == 0 {
			return nil
		}
		held.add(claimed, asked)
		for i, d := range claimed {
			select {
			case queue <- d:
			case <-ctx.Done():
				for _, d := range claimed[i:] {
					rec.add(released(d, now, "not sent: notifier is stopping; it goes out at the next start"))
				}
				return nil
			}
		}
	}
	return nil
}

func released(d domain.Claimed, now time.Time, why string) domain.Outcome {
	return domain.Outcome{DeliveryID: d.ID, Status: domain.StatusReleased, Attempts: d.Attempts,
		Event: domain.Event{Time: now, Type: domain.EventReminder, CredentialID: d.CredentialID, RotationID: d.RotationID,
			DeliveryID: d.ID, Stage: d.Stage, Channel: d.Channel, Status: domain.StatusRetry, Detail: why}}
}

// attempt renders and sends one claimed delivery and decides its outcome:
// sent, retry (with the next attempt's time from Backoff, or later if the
// service asked), failed, or released when the send was cancelled by a
// shutdown.
func (e *Engine) attempt(sendCtx context.Context, v view, d domain.Claimed, now time.Time) domain.Outcome {
	cfg := v.cfg
	attempts := d.Attempts + 1
	ev := domain.Event{Time: now, Type: domain.EventReminder, CredentialID: d.CredentialID, RotationID: d.RotationID,
		DeliveryID: d.ID, Stage: d.Stage, Channel: d.Channel}
	ch, ok := v.chans[d.Channel]
	var sendErr error
	switch {
	case !d.Cycle.Active:
		// Sync supersedes a removed credential's deliveries; this is a belt
		// for one removed between the claim and the send.
		sendErr = channels.Permanent(fmt.Errorf("credential %s is no longer in the config", d.CredentialID))
	case !ok:
		sendErr = channels.Permanent(fmt.Errorf("channel %s is no longer configured", d.Channel))
	default:
		msg, err := e.message(v, d, now)
		if err != nil {
			sendErr = channels.Permanent(err)
			break
		}
		sctx, cancel := context.WithTimeout(sendCtx, e.sendTimeout)
		sendErr = ch.Send(sctx, msg)
		cancel()
		ev.Detail = msg.Subject
		if sendErr != nil && sendCtx.Err() != nil {
			e.logger.Warn("send cancelled by shutdown; it goes out at the next start", "credential", d.CredentialID, "stage", d.Stage,
				"seq", d.Seq, "channel", d.Channel, "outcome", domain.StatusReleased, "attempt", attempts, "delivery", d.ID)
			e.observe(d.Channel, domain.StatusReleased, attempts)
			return released(d, now, fmt.Sprintf("attempt %d cancelled: notifier was stopping; it goes out at the next start", attempts))
		}
	}
	o := domain.Outcome{DeliveryID: d.ID, Attempts: attempts}
	if sendErr == nil {
		ev.Status, o.Status = domain.StatusSent, domain.StatusSent
		o.Event = ev
		e.logger.Info("reminder sent", "credential", d.CredentialID, "stage", d.Stage, "seq", d.Seq, "channel", d.Channel,
			"outcome", o.Status, "attempt", attempts, "delivery", d.ID)
		e.observe(d.Channel, o.Status, attempts)
		return o
	}
	// The one place where a send's error becomes text that is kept or
	// shown: the delivery's last error, the event's detail (history, the
	// tick's report) and the log line below all take the redacted text,
	// whatever the integration did. The classification is read first, from
	// the error itself.
	retry, after := channels.Classify(sendErr)
	o.Error = e.redactor.String(sendErr.Error())
	ev.Detail = fmt.Sprintf("attempt %d: %s", attempts, o.Error)
	if retry && attempts < cfg.Retry.MaxAttempts {
		o.NextAttemptAt = now.Add(max(Backoff(cfg.Retry, attempts), after))
		ev.Status, o.Status = domain.StatusRetry, domain.StatusRetry
		ev.Detail += "; next attempt at " + o.NextAttemptAt.UTC().Format(time.RFC3339)
	} else {
		ev.Status, o.Status = domain.StatusFailed, domain.StatusFailed
		if retry {
			ev.Detail += fmt.Sprintf("; giving up after %d attempts", attempts)
		}
	}
	o.Event = ev
	e.logger.Warn("delivery failed", "credential", d.CredentialID, "stage", d.Stage, "seq", d.Seq, "channel", d.Channel,
		"outcome", o.Status, "attempt", attempts, "delivery", d.ID, "status", o.Status, "err", o.Error)
	e.observe(d.Channel, o.Status, attempts)
	return o
}

// recorder records outcomes in group commits: it writes whatever has
// gathered while the previous commit ran, in one transaction.
type recorder struct {
	ctx      context.Context
	store    store.Dispatcher
	claimant string

	// recorded, if set, is told the deliveries whose outcomes were
	// written (or failed to be: their claims are not renewed either way).
	recorded func(ids ...int64)

	mu      sync.Mutex
	pending []domain.Outcome
	wake    chan struct{}
	done    chan error
	closed  bool
}

func newRecorder(ctx context.Context, store store.Dispatcher, claimant string) *recorder {
	r := &recorder{ctx: ctx, store: store, claimant: claimant, wake: make(chan struct{}, 1), done: make(chan error, 1)}
	go r.loop()
	return r
}

func (r *recorder) add(o domain.Outcome) {
	r.mu.Lock()
	r.pending = append(r.pending, o)
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *recorder) loop() {
	var errs []error
	for range r.wake {
		r.mu.Lock()
		batch, closed := r.pending, r.closed
		r.pending = nil
		r.mu.Unlock()
		if len(batch) > 0 {
			if err := r.store.RecordOutcomes(r.ctx, r.claimant, batch); err != nil {
				errs = append(errs, err)
			}
			if r.recorded != nil {
				ids := make([]int64, len(batch))
				for i, o := range batch {
					ids[i] = o.DeliveryID
				}
				r.recorded(ids...)
			}
		}
		if closed {
			r.done <- errors.Join(errs...)
			return
		}
	}
}

// close records what is left and returns the first errors met.
//
// The wake-up is sent as add sends it, without waiting: a pending one is
// enough for the loop to see closed. A blocking send would deadlock when
// the loop took an add's wake-up, then a last add left another one in the
// buffer, then the loop saw closed and returned: nothing would ever empty
// the buffer again.
func (r *recorder) close() error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return <-r.done
}

func (e *Engine) observe(channel, status string, attempts int) {
	if e.observer != nil {
		e.observer.Delivered(channel, status, attempts)
	}
}
