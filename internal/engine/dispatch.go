package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/config"
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
// channel. Outcomes are recorded by one recorder in group commits; while
// the database refuses them (a full disk) nothing more is claimed or sent
// and the dispatch waits for them to be recorded. No transaction and no
// engine lock is held while a service is called.
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
	rec := newRecorder(ctx, e)
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
				if !rec.wait(ctx) {
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
	for rec.wait(ctx) {
		at, asked := clock(), time.Now()
		claimed, err := e.store.ClaimDeliveries(ctx, e.claimant, name, at, held.until(), batch)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if rec.stalledOn() {
				continue // the database refuses writes: claim again once outcomes are recorded
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
		line, err := e.escalationLine(sendCtx, v, d)
		if err != nil {
			sendErr = err // the database: worth another attempt
			break
		}
		markEscalation(&msg, line)
		to := e.route(cfg, cfg.Channels[d.Channel], &msg)
		sctx, cancel := context.WithTimeout(sendCtx, e.sendTimeout)
		sendErr = ch.Send(sctx, msg)
		cancel()
		ev.Detail = msg.Subject
		if to != "" {
			ev.Detail += "; " + to
		}
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
		o.WakeAt = escalationWake(v, d, now)
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
		o.NextAttemptAt = v.retryAt(d, now.Add(max(Backoff(cfg.Retry, attempts), after)))
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

// commitRetry is how the recorder retries a group commit the database
// refused (a full disk, say): Backoff's doubling from a tenth of a second
// to five seconds, a pure function of the attempts, so that it resumes soon
// after space returns.
var commitRetry = config.Retry{InitialBackoff: 100 * time.Millisecond, MaxBackoff: 5 * time.Second}

// recorder records outcomes in group commits: it writes whatever has
// gathered while the previous commit ran, in one transaction. An outcome
// is kept until it is committed: a refused commit is retried with its
// batch and whatever joined it, and meanwhile the recorder is stalled:
// the feeders claim nothing and the workers send nothing (wait), and the
// engine's Unrecorded says why. Once ctx ends (a shutdown), retries go on
// for the grace at most; what is still not committed then is logged, one
// line per outcome, and its claim left to expire.
type recorder struct {
	ctx      context.Context
	store    store.Dispatcher
	claimant string
	logger   *slog.Logger
	grace    time.Duration
	ttl      time.Duration

	// recorded, if set, is told the deliveries whose outcomes were
	// written (or given up at exit): their claims are not renewed.
	recorded func(ids ...int64)
	// stalled, if set, is told each refused commit's error, and nil once
	// the backlog is committed.
	stalled func(error)

	mu      sync.Mutex
	pending []domain.Outcome
	failing error         // the last refused commit's error while the backlog waits
	resumed chan struct{} // closed when the backlog is committed
	wake    chan struct{}
	done    chan error
	closed  bool
}

func newRecorder(ctx context.Context, e *Engine) *recorder {
	r := &recorder{ctx: ctx, store: e.store, claimant: e.claimant, logger: e.logger, grace: e.grace, ttl: e.claimTTL,
		stalled: e.setUnrecorded, wake: make(chan struct{}, 1), done: make(chan error, 1)}
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

// wait returns at once while outcomes are committed, and otherwise when
// the backlog is, or when ctx ends (false).
func (r *recorder) wait(ctx context.Context) bool {
	r.mu.Lock()
	resumed := r.resumed
	r.mu.Unlock()
	if resumed == nil {
		return ctx.Err() == nil
	}
	select {
	case <-resumed:
		return ctx.Err() == nil
	case <-ctx.Done():
		return false
	}
}

// stalledOn says whether a commit is being retried.
func (r *recorder) stalledOn() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failing != nil
}

func (r *recorder) take() ([]domain.Outcome, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	batch := r.pending
	r.pending = nil
	return batch, r.closed
}

func (r *recorder) loop() {
	var err error
	for range r.wake {
		batch, closed := r.take()
		switch {
		case len(batch) == 0:
		case err == nil:
			err = r.commit(batch)
		default: // given up at exit already: these join what is logged
			r.abandon(batch, err)
		}
		if closed {
			r.done <- err
			return
		}
	}
}

// commit writes batch, retrying a refused commit with the outcomes that
// joined meanwhile until it is written, or until the shutdown's grace has
// run out: then it logs every outcome left and returns the error.
func (r *recorder) commit(batch []domain.Outcome) error {
	var giveUp <-chan time.Time
	for attempts := 1; ; attempts++ {
		err := r.store.RecordOutcomes(context.WithoutCancel(r.ctx), r.claimant, batch)
		if err == nil {
			r.settle(batch, nil)
			return nil
		}
		if attempts == 1 {
			r.logger.Error("outcomes not recorded: the database refused them; nothing more is claimed or sent until they are, retrying",
				"outcomes", len(batch), "err", err)
		}
		r.settle(nil, err)
		if giveUp == nil && r.ctx.Err() != nil {
			giveUp = time.After(r.grace)
		}
		t := time.NewTimer(Backoff(commitRetry, attempts))
		select {
		case <-t.C:
		case <-giveUp:
			t.Stop()
			r.abandon(batch, err)
			return fmt.Errorf("outcomes not recorded: %d at exit: %w", len(batch), err)
		case <-r.ctx.Done():
			t.Stop()
			if giveUp == nil {
				giveUp = time.After(r.grace)
			}
		}
		more, _ := r.take()
		batch = append(batch, more...)
	}
}

// settle records a commit's end: written (err nil) lets the stalled
// workers and feeders go on; refused holds them.
func (r *recorder) settle(written []domain.Outcome, err error) {
	r.mu.Lock()
	if err != nil {
		r.failing = err
		if r.resumed == nil {
			r.resumed = make(chan struct{})
		}
	} else if r.resumed != nil {
		r.logger.Info("outcomes recorded again: claims and sends resume", "outcomes", len(written))
		r.failing = nil
		close(r.resumed)
		r.resumed = nil
	}
	r.mu.Unlock()
	if r.stalled != nil {
		r.stalled(err)
	}
	if err == nil && r.recorded != nil {
		r.recorded(ids(written)...)
	}
}

// abandon logs, at exit, each outcome that could not be committed.
func (r *recorder) abandon(batch []domain.Outcome, err error) {
	for _, o := range batch {
		ev := o.Event
		r.logger.Error("outcome not recorded at exit: the delivery keeps its claim until it expires; after that the next start takes it over"+
			" and, if it was sent, sends it again (with the same idempotency key) and records it",
			"credential", ev.CredentialID, "stage", ev.Stage, "channel", ev.Channel, "delivery", o.DeliveryID,
			"outcome", o.Status, "attempt", o.Attempts, "claim_expires_within", r.ttl, "err", err)
	}
	if r.recorded != nil {
		r.recorded(ids(batch)...)
	}
}

func ids(batch []domain.Outcome) []int64 {
	out := make([]int64, len(batch))
	for i, o := range batch {
		out[i] = o.DeliveryID
	}
	return out
}

// close records what is left and returns the error of outcomes given up.
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
