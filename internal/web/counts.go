package web

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// countsFresh is how long the fleet's counts per state are shown before
// they are counted again. Counting reads the whole fleet (about a second
// at a million credentials), so it is never done on a page's time but
// the first: a page shows the last counts and, when they are older than
// this, one recount starts beside it for the pages after.
const countsFresh = 30 * time.Second

// countsTimeout bounds one recount.
const countsTimeout = time.Minute

// stateCounts are the fleet's counts per state, as last counted.
type stateCounts struct {
	mu       sync.Mutex
	by       map[string]int // nil: never counted
	at       time.Time      // the moment they were counted at
	counting bool
	first    chan struct{} // closed when the first count, under way, ends
	runs     atomic.Int64  // how many times the fleet was counted
	waiting  atomic.Int64  // pages waiting for the first count
}

// testHookCount, if set, runs before each count (a test holds a count
// there).
var testHookCount func()

// counts are the fleet's counts per state at about now and the moment
// they were counted at; nil when they could not be counted. The first
// call counts, and the pages asked meanwhile wait for that one count
// (each count reads the whole fleet: fifty first pages at once ran fifty
// counts side by side); later calls start a recount (one at a time)
// when the counts are older than countsFresh, and return the last ones
// at once.
func (s *Server) counts(ctx context.Context, now time.Time) (map[string]int, time.Time) {
	c := &s.stateCounts
	c.mu.Lock()
	if c.by == nil {
		first := c.first
		if first != nil {
			// Another page is counting: wait for its count.
			c.mu.Unlock()
			c.waiting.Add(1)
			defer c.waiting.Add(-1)
			select {
			case <-first:
			case <-ctx.Done():
				return nil, time.Time{}
			}
			c.mu.Lock()
			defer c.mu.Unlock()
			return c.by, c.at // nil if that count failed
		}
		first = make(chan struct{})
		c.first = first
		c.mu.Unlock()
		c.runs.Add(1)
		if testHookCount != nil {
			testHookCount()
		}
		by, err := s.eng.StateCounts(ctx, now)
		c.mu.Lock()
		defer c.mu.Unlock()
		c.first = nil
		close(first)
		if err != nil {
			s.logger.Error("console: counts per state", "err", err)
			return nil, time.Time{}
		}
		if c.by == nil || c.at.Before(now) {
			c.by, c.at = by, now
		}
		return c.by, c.at
	}
	defer c.mu.Unlock()
	if now.Sub(c.at) >= countsFresh && !c.counting {
		c.counting = true
		go s.recount(now)
	}
	return c.by, c.at
}

// recount counts the fleet again, beside the pages.
func (s *Server) recount(now time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), countsTimeout)
	defer cancel()
	s.stateCounts.runs.Add(1)
	by, err := s.eng.StateCounts(ctx, now)
	c := &s.stateCounts
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counting = false
	if err != nil {
		s.logger.Error("console: counts per state", "err", err)
		return
	}
	c.by, c.at = by, now
}
