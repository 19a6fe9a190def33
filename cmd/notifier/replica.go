package main

import (
	"context"
	"sync/atomic"
	"time"
)

// PlannerLease is the lease that picks, among the replicas sharing a
// PostgreSQL database, the one that plans (syncs the config, works out
// next actions, enqueues deliveries). Every replica sends: the dispatch is
// shared through claims (SELECT … FOR UPDATE SKIP LOCKED), renewed while
// held, so a replica killed mid-send loses nothing and duplicates at most
// its in-flight sends, which go out again once their claims expire, a
// lease TTL after its death.
const PlannerLease = "planner"

// StandbyOnPostgres is what `notifier run --standby` logs on PostgreSQL,
// where no replica waits for another. It is accepted rather than refused:
// a unit file written for SQLite keeps starting after a move to
// PostgreSQL, and the replica does what a standby is there for (it takes
// over from a dead one), sooner.
const StandbyOnPostgres = "--standby has no effect on PostgreSQL: every replica is active, sends, and takes over the planning and the claims of a dead one"

// replica is a `notifier run` among several on one database.
type replica struct {
	planning atomic.Bool // holds the planner lease
}

// dueListener is a store that says when another process made a cycle due
// for planning (PostgreSQL's LISTEN/NOTIFY).
type dueListener interface {
	ListenDue(ctx context.Context, fn func()) error
}

// planOnNotice makes the planner plan at once when an acknowledgment,
// rotation or SP-API notification is recorded anywhere (any replica, the
// CLI, an ack link), rather than at its next tick: notices that come
// while it plans are folded into one more pass.
func (m *Main) planOnNotice(ctx context.Context) {
	l, ok := m.Store.(dueListener)
	if !ok {
		return
	}
	due := make(chan struct{}, 1)
	go l.ListenDue(ctx, func() {
		select {
		case due <- struct{}{}:
		default:
		}
	})
	for {
		select {
		case <-ctx.Done():
			return
		case <-due:
			if m.replica.planning.Load() {
				m.tick(ctx)
			}
		}
	}
}

// leadLoop tries for the planner lease every third of its TTL until ctx
// ends: the planner renews it, the others take it over within a TTL of
// the planner's death (its lease expires unrenewed), and one that becomes
// the planner ticks at once rather than at the next check_schedule. Every
// other time each replica, the planner too, looks for due deliveries, so
// that what the planner enqueues is sent by every replica within seconds,
// and a dead replica's claims, which expire a TTL after its death (they
// last as long as the lease), are taken over within a third of a TTL
// more. The passes run in work, beside this loop: a long dispatch must
// not keep the lease from being renewed.
func (m *Main) leadLoop(ctx context.Context, holder string) {
	var tick atomic.Bool
	wake := make(chan struct{}, 1)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-wake:
			}
			if tick.Swap(false) {
				m.tick(ctx)
			} else {
				m.retry(ctx)
			}
		}
	}()
	t := time.NewTicker(m.LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if m.lead(ctx, holder) {
			tick.Store(true)
		}
		// A pass asked for while one runs is folded into one more.
		select {
		case wake <- struct{}{}:
		default:
		}
	}
}

// lead takes or renews the planner lease and says whether this replica
// has just become the planner.
func (m *Main) lead(ctx context.Context, holder string) (became bool) {
	lease, held, err := m.Store.AcquireLease(ctx, PlannerLease, holder, time.Now(), m.LeaseTTL)
	if err != nil {
		if ctx.Err() == nil {
			// The database is unreachable: stop planning, for another
			// replica may reach it and take over.
			m.Logger.Error("planner lease", "err", err)
			m.replica.planning.Store(false)
		}
		return false
	}
	was := m.replica.planning.Swap(held)
	switch {
	case held && !was:
		m.Logger.Info("planning for the replicas", "holder", holder)
		return true
	case !held && was:
		m.Logger.Warn("another replica plans now; this one sends only", "planner", lease.Holder)
	}
	return false
}
