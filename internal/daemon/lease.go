package daemon

import (
	"context"
	"errors"
	"syscall"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/store"
)

// LeaseKeeper takes and keeps one of the database's leases, as River's
// elector does: one try takes the lease or renews it for its holder, and
// Keep tries every third of the TTL, so that a held lease never lapses
// while its holder lives and a dead holder's is taken over within a TTL.
// What a try's outcome means (wait on standby, stop on a lost lease, plan
// or only send) is the caller's: Keep tells it every outcome. The
// single daemon's lease, its standby and the replicas' planner lease all
// use it.
type LeaseKeeper struct {
	Store  store.Leaser
	Name   string        // the lease: LeaseName or PlannerLease
	Holder string        // this process (the engine's name)
	TTL    time.Duration // how long the lease lasts unrenewed
}

// Try takes the lease if it is free or expired, or renews it if Holder
// holds it. held says whether Holder holds it now; if not, lease is the
// holder's.
func (k *LeaseKeeper) Try(ctx context.Context) (lease domain.Lease, held bool, err error) {
	return k.Store.AcquireLease(ctx, k.Name, k.Holder, time.Now(), k.TTL)
}

// Keep tries for the lease every TTL/3 until ctx ends or on returns
// false; on is given every try's outcome, but not that of a try ctx's end
// cut short. The first try is a third of
// the TTL away: the caller has just made one (Try).
func (k *LeaseKeeper) Keep(ctx context.Context, on func(lease domain.Lease, held bool, err error) (again bool)) {
	t := time.NewTicker(k.TTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		lease, held, err := k.Try(ctx)
		if ctx.Err() != nil {
			// Stopped while trying: the outcome is the stop's, not the
			// lease's (a cancelled try is no lost lease).
			return
		}
		if !on(lease, held, err) {
			return
		}
	}
}

// Release lets the lease go if Holder holds it, so that a successor need
// not wait for it to expire. It runs even when ctx has ended: releasing is
// what a stop does last.
func (k *LeaseKeeper) Release(ctx context.Context) error {
	return k.Store.ReleaseLease(context.WithoutCancel(ctx), k.Name, k.Holder)
}

// TakeOver takes the lease from the holder from, a process known to be
// dead, expired or not; from no other holder: of two processes taking it
// over at once one wins, and the other is told the winner.
func (k *LeaseKeeper) TakeOver(ctx context.Context, from string) (lease domain.Lease, held bool, err error) {
	return k.Store.TakeOverLease(ctx, k.Name, from, k.Holder, time.Now(), k.TTL)
}

// deadHolder says whether holder, a name engine.Claimant made, is a
// process of host (this one's, as os.Hostname gave it) that no longer
// runs: its pid is not alive, or is self, this process's own (a restarted
// container is pid 1 again, so the holder of that pid before it is dead).
// A holder of another host, or a name of another shape, is never dead:
// its lease is refused or waited for as before.
func deadHolder(holder, host string, self int, alive func(pid int) bool) bool {
	h, pid, ok := engine.ParseClaimant(holder)
	if !ok || host == "" || h != host {
		return false
	}
	return pid == self || !alive(pid)
}

// processAlive says whether a process of this host has the pid: kill with
// signal 0 checks without signalling. Only ESRCH (no such process) is
// dead; EPERM is another user's process, alive.
func processAlive(pid int) bool {
	if pid <= 0 {
		return true
	}
	return !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
