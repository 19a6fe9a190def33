package daemon

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store"
)

// PlannerLease is the lease that picks, among the replicas sharing a
// PostgreSQL database, the one that plans (syncs the config, works out
// next actions, enqueues deliveries). Every replica sends: the dispatch is
// shared through claims (SELECT … FOR UPDATE SKIP LOCKED), renewed while
// held, so a replica killed mid-send loses nothing and duplicates at most
// its in-flight sends, which go out again once their claims expire, a
// lease TTL after its death (and ReplicaPoll more).
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

// planOnNotice makes the planner plan at once when an acknowledgment,
// rotation or SP-API notification is recorded anywhere (any replica, the
// CLI, an ack link), rather than at its next tick: notices that come
// while it plans are folded into one more pass.
func (d *Daemon) planOnNotice(ctx context.Context) {
	l, ok := d.Store.(store.DueListener)
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
			if d.replica.planning.Load() {
				d.Tick(ctx)
			}
		}
	}
}

// ReplicaPoll is how often a replica looks for due deliveries (at most a
// third of the lease TTL): what the planner enqueues is sent by every
// replica within it, and a dead replica's claims, which expire a lease TTL
// after its death (they last as long as the lease), are taken over within
// it more. One indexed query a replica a second.
const ReplicaPoll = time.Second

// leadLoop keeps trying for the planner lease (lease) until ctx ends:
// the planner renews it, the others take it over within a TTL of the
// planner's death (its lease expires unrenewed), and one that becomes the
// planner ticks at once rather than at the next check_schedule. Between,
// every replica, the planner too, looks for due deliveries every
// ReplicaPoll. The passes run one at a time beside the lease's keeping,
// so that a long one does not keep the lease from being renewed; passes
// asked for while one runs are folded into one more.
func (d *Daemon) leadLoop(ctx context.Context, lease *LeaseKeeper) {
	var tick atomic.Bool
	wake := make(chan struct{}, 1)
	ask := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	var loops sync.WaitGroup
	defer loops.Wait() // a pass under way when ctx ends finishes its grace
	loops.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-wake:
			}
			if tick.Swap(false) {
				d.Tick(ctx)
			} else {
				d.sendDue(ctx)
			}
		}
	})
	lead := d.leading(ctx)
	loops.Go(func() {
		lease.Keep(ctx, func(l domain.Lease, held bool, err error) bool {
			if lead(l, held, err) {
				tick.Store(true)
			}
			ask()
			return true
		})
	})
	poll := time.NewTicker(min(ReplicaPoll, lease.TTL/3))
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
		}
		ask()
	}
}

// leading is what a replica does with a try for the planner lease: it
// plans while it holds it. The func says whether this replica has just
// become the planner.
func (d *Daemon) leading(ctx context.Context) func(lease domain.Lease, held bool, err error) (became bool) {
	return func(lease domain.Lease, held bool, err error) bool {
		if err != nil {
			if ctx.Err() == nil {
				// The database is unreachable: stop planning, for another
				// replica may reach it and take over.
				d.Logger.Error("planner lease", "err", err)
				d.replica.planning.Store(false)
			}
			return false
		}
		was := d.replica.planning.Swap(held)
		switch {
		case held && !was:
			d.Logger.Info("planning for the replicas", "holder", lease.Holder)
			return true
		case !held && was:
			d.Logger.Warn("another replica plans now; this one sends only", "planner", lease.Holder)
		}
		return false
	}
}
