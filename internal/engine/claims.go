package engine

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store"
)

// DefaultClaimTTL is how long a claim lasts unrenewed: a sender renews the
// claims it holds every third of it while they wait in its queue and while
// they are sent, so a dead sender's claims are taken over by another
// sender (another replica, or the next start) about a TTL after its death.
const DefaultClaimTTL = 30 * time.Second

// WithClaimTTL sets how long a claim lasts unrenewed (default
// DefaultClaimTTL). The daemon makes it its lease's TTL, so that a dead
// replica's claims are taken over as soon as its planning is.
func WithClaimTTL(d time.Duration) Option {
	return func(e *Engine) {
		if d > 0 {
			e.claimTTL = d
		}
	}
}

// claims are the deliveries a dispatch holds: claimed, not yet recorded.
// Each is sent only while its claim is known to hold: confirmed (claimed
// or renewed) less than two thirds of the TTL ago, so that no other sender
// can have taken it over meanwhile. One whose renewal failed that long, or
// that the store no longer counts as held (superseded, taken over), is
// dropped unsent: its claim expires and it is claimed again.
type claims struct {
	store    store.Dispatcher
	claimant string
	ttl      time.Duration
	logger   *slog.Logger
	now      time.Time // the dispatch's time, at started (real)
	started  time.Time

	mu   sync.Mutex
	held map[int64]time.Time // delivery → when its claim was last confirmed
}

func newClaims(e *Engine, now, started time.Time) *claims {
	return &claims{store: e.store, claimant: e.claimant, ttl: e.claimTTL, logger: e.logger, now: now, started: started, held: map[int64]time.Time{}}
}

// until is the expiry of a claim taken or renewed now: a TTL on by the
// dispatch's clock (the tick's time moving on in real time), rounded up
// to the second as times are stored, so that the claim lasts at least the
// TTL in real time.
func (c *claims) until() time.Time {
	return c.now.Add(time.Since(c.started) + c.ttl + time.Second - 1).Truncate(time.Second)
}

// add holds claimed deliveries, confirmed at confirmed (taken before the
// claim was asked for).
func (c *claims) add(ds []domain.Claimed, confirmed time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range ds {
		c.held[d.ID] = confirmed
	}
}

// done lets go of deliveries whose outcome is recorded (or could not be).
func (c *claims) done(ids ...int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		delete(c.held, id)
	}
}

// sendable says whether the delivery's claim is sure to hold for a while
// yet; if not, it lets it go.
func (c *claims) sendable(id int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	confirmed, ok := c.held[id]
	if ok && time.Since(confirmed) < c.ttl*2/3 {
		return true
	}
	delete(c.held, id)
	return false
}

// renew renews the held claims every third of the TTL until ctx ends.
func (c *claims) renew(ctx context.Context) {
	t := time.NewTicker(c.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c.mu.Lock()
		ids := slices.Sorted(maps.Keys(c.held))
		c.mu.Unlock()
		if len(ids) == 0 {
			continue
		}
		started := time.Now()
		renewed, err := c.store.RenewClaims(ctx, c.claimant, ids, c.until())
		if err != nil {
			if ctx.Err() == nil {
				c.logger.Warn("renewing claims failed; what is not sent before they may expire is left to the next claim", "claims", len(ids), "err", err)
			}
			continue
		}
		ok := make(map[int64]bool, len(renewed))
		for _, id := range renewed {
			ok[id] = true
		}
		c.mu.Lock()
		for _, id := range ids {
			if _, held := c.held[id]; !held {
				continue
			}
			if ok[id] {
				c.held[id] = started
			} else {
				// Recorded meanwhile, superseded, or taken over after an
				// expiry: not to be sent.
				delete(c.held, id)
			}
		}
		c.mu.Unlock()
	}
}
