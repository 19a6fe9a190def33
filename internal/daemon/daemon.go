// Package daemon is notifier's service: `notifier run` opens a Daemon and
// runs it. It holds the database's lease (LeaseKeeper), or on PostgreSQL
// runs as one of several replicas; it ticks on the config's
// check_schedule and retries due deliveries between (cron), reloads the
// config when it changes or on SIGHUP, receives SP-API notifications
// (SQS) and serves the HTTP API. The one-shot commands open a Daemon too,
// for its config, store and engine, without running it.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/notifier-dev/notifier/internal/amazon"
	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/httpapi"
	"github.com/notifier-dev/notifier/internal/store"
	"github.com/notifier-dev/notifier/internal/store/backend"
	"github.com/notifier-dev/notifier/internal/web"
)

// ProblemLease is the admins' problem of a daemon that lost its lease.
const ProblemLease = "lease"

// LeaseName is the database lease one `notifier run` holds.
const LeaseName = "daemon"

// DefaultLeaseTTL is how long a daemon's lease lasts unrenewed: a crashed
// daemon's standby takes over after it. The lease is renewed every third
// of it.
const DefaultLeaseTTL = 30 * time.Second

// MinLeaseTTL is the shortest --lease-ttl run accepts.
const MinLeaseTTL = time.Second

// Daemon is the service: a config, a store, an engine and a cron runner.
// Set the exported fields before Open (zero values have the defaults
// documented); Open fills in the rest. The CLI and end-to-end tests reuse
// it.
type Daemon struct {
	ConfigPath string
	Logger     *slog.Logger // nil: logs are discarded
	Stdout     io.Writer    // where stdout channels print
	Clock      config.Clock // the clock, given the config's zone; nil: WallClock
	// WallClock is the real clock: what records say they were recorded
	// at, and the bound no record may be dated after. nil: time.Now.
	WallClock func() time.Time
	Env       config.LookupEnv // nil: the process environment
	// NotAhead makes Open refuse, before it opens the database, a Clock
	// ahead of WallClock (plus engine.MaxClockSkew): a command that
	// records what it does (tick) may act at a past moment, never at a
	// future one.
	NotAhead bool
	// Standby is what --standby asked for: waiting for the lease, which
	// Run always does now (on PostgreSQL it only earns a warning).
	Standby  bool
	LeaseTTL time.Duration // 0: DefaultLeaseTTL
	// NoCreate makes Open refuse a SQLite database that does not exist
	// instead of creating it (run without --init).
	NoCreate bool
	// Engine options beyond the logger and stdout (tests: send timeout,
	// shutdown grace).
	EngineOptions []engine.Option

	// Open sets these.
	Config *config.Config
	Store  store.Store
	// DatabaseID is the store's id, read once: ack links are signed
	// over it.
	DatabaseID string
	// replica is set while Run runs on a database that several replicas
	// share (PostgreSQL).
	replica *replica
	Engine  *engine.Engine

	// What the HTTP API reports (http.go); Open makes them.
	Health  *httpapi.Health
	Metrics *httpapi.Metrics
	// dbFile is the database file opened (SQLite), checked at each pass,
	// lease renewal and /readyz.
	dbFile *dbFile

	cfgMu    sync.Mutex        // guards Config against a SIGHUP's reload
	rejected domain.ConfigFile // the main file last refused, not logged again until it changes
	// mainRefused: the main file's last reload was refused.
	mainRefused atomic.Bool
	// dispatchFailed: the last tick failed only at sending (an
	// engine.DispatchError), which a successful retry pass clears.
	dispatchFailed atomic.Bool
	// http is the HTTP API while Run serves it (nil: no http.listen).
	http *httpapi.Server
	// console is the web console being served (nil: none); a reload
	// swaps in its new http.console block (guarded by cfgMu).
	console *web.Reloadable
}

// MetricsStaleAfter is how long a scrape waits for a new read of the
// database before it is answered with the last one.
const MetricsStaleAfter = 100 * time.Millisecond

// MetricsRefreshPoll is how often the daemon looks whether a write was
// recorded since /metrics last read the database (an atomic load), and
// MetricsRefreshGap the least time between the starts of two background
// reads: a burst of writes costs one read, then at most one per gap
// while it goes on (at a million credentials a read is ~2.6 s of CPU).
const (
	MetricsRefreshPoll = 250 * time.Millisecond
	MetricsRefreshGap  = httpapi.MetricsInterval
)

// Open loads the main config file, opens the database (applying
// migrations) and builds the engine. Credential files are read by the
// engine's sync, and only when they changed.
func (d *Daemon) Open(ctx context.Context) error {
	if d.WallClock == nil {
		d.WallClock = time.Now
	}
	if d.Clock == nil {
		wall := d.WallClock
		d.Clock = func(*time.Location) time.Time { return wall() }
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.LeaseTTL <= 0 {
		d.LeaseTTL = DefaultLeaseTTL
	}
	// The main file's credentials are decoded below, once the database
	// says whether the file changed since its last sync.
	cfg, err := config.LoadMainDeferred(d.ConfigPath, d.configClock(), d.Env, registry.Default())
	if err != nil {
		return err
	}
	if d.NotAhead {
		if err := engine.NotFuture(d.Clock(cfg.Location), d.WallClock()); err != nil {
			return err
		}
	}
	if d.NoCreate {
		if err := notCreated(cfg.Database); err != nil {
			return err
		}
	}
	// With no database yet there is no synced version to compare with:
	// the main file's credentials are decoded first, so that a refused
	// file creates nothing.
	if cfg.Deferred() && !databaseExists(ctx, cfg.Database) {
		if err := cfg.Settle(domain.ConfigFile{}, false); err != nil {
			return err
		}
	}
	store, err := backend.Open(ctx, cfg.Database, backend.WithAuditKey([]byte(cfg.Audit.Key)), backend.WithWallClock(d.WallClock))
	if err != nil {
		return err
	}
	if d.dbFile, err = openedFile(cfg.Database); err != nil {
		store.Close()
		return err
	}
	if err := d.settleMain(ctx, store, cfg); err != nil {
		store.Close()
		return err
	}
	dbID, err := store.DatabaseID(ctx)
	if err != nil {
		store.Close()
		return err
	}
	d.Health, d.Metrics = httpapi.NewHealth(), httpapi.NewMetrics()
	// A scrape is answered within its budget at any fleet size: after
	// 100 ms it gets the last read, which says when it was read.
	d.Metrics.ServeStaleAfter(MetricsStaleAfter)
	d.Health.SetCheck(d.dbFile.check)
	// One redactor for the engine and the AWS source reader, which
	// registers the AWS credentials with it as the SDK obtains them.
	red := channels.NewRedactor()
	// A claim lasts as long as the lease, renewed as often: a dead
	// replica's (or daemon's) claims are taken over as soon as its lease.
	opts := append([]engine.Option{engine.WithWallClock(d.WallClock), engine.WithLogger(d.Logger), engine.WithStdout(d.Stdout), engine.WithClaimTTL(d.LeaseTTL),
		engine.WithAckLinks(httpapi.AckLinks(dbID)), engine.WithObserver(d.Metrics),
		engine.WithRedactor(red), engine.WithSourceReader(amazon.NewSourceReader(red)), engine.WithProber(amazon.NewProber(red))}, d.EngineOptions...)
	eng, err := engine.New(store, cfg, opts...)
	if err != nil {
		store.Close()
		return err
	}
	// A password written into the URL itself (not from ${ENV}, which the
	// config registers) is a secret too.
	if pw := backend.Password(cfg.Database); pw != "" {
		eng.Redactor().Add(pw)
	}
	d.Config, d.Store, d.Engine, d.DatabaseID = cfg, store, eng, dbID
	d.Health.SetConfigLoaded(true)
	d.Metrics.ObserveReload(time.Now(), nil)
	return nil
}

// settleMain decodes the main file's own credentials unless the file is
// the version the database last synced: a fleet written in the main file
// is then not parsed again at every tick, as an unchanged credential file
// is not. A changed file is decoded, and refused as LoadMain refuses it.
func (d *Daemon) settleMain(ctx context.Context, st store.Engine, cfg *config.Config) error {
	if !cfg.Deferred() {
		return nil
	}
	known, err := st.ConfigFiles(ctx)
	if err != nil {
		return err
	}
	synced, ok := known[cfg.Main.Path]
	if ok && synced.Hash == cfg.Main.Hash {
		d.Logger.Debug("main config file unchanged since its last sync; its credentials are not decoded", "file", cfg.Main.Path)
	}
	return cfg.Settle(synced, ok)
}

// databaseExists says whether dsn names a database with notifier's
// tables that opens read-only; false for anything else.
func databaseExists(ctx context.Context, dsn string) bool {
	ro, err := backend.OpenReadOnly(ctx, dsn)
	if err != nil {
		return false
	}
	ro.Close()
	return true
}

// configClock is the clock the config is judged at: the wall clock, never
// the moment a command acts at (--at). A rotated_at after the wall clock
// is refused; one after --at is what a view at an earlier moment shows
// as not yet rotated, and no reason to refuse another credential's ack.
func (d *Daemon) configClock() config.Clock {
	return WallConfigClock(d.WallClock)
}

// WallConfigClock is wall as a config.Clock.
func WallConfigClock(wall func() time.Time) config.Clock {
	return func(*time.Location) time.Time { return wall() }
}

// Now is the clock's time in the config's zone.
func (d *Daemon) Now() time.Time {
	d.cfgMu.Lock()
	loc := d.Config.Location
	d.cfgMu.Unlock()
	return d.Clock(loc)
}

// Close releases the store.
func (d *Daemon) Close() error {
	if d.Store == nil {
		return nil
	}
	return d.Store.Close()
}

// Run takes the database's lease, ticks once, then on the config's
// check_schedule (in its time zone), and retries due deliveries every
// minute in between, until ctx is done. A second daemon on the same
// database waits, with one line naming the holder and its lease's expiry,
// and takes over when the holder's lease expires (so that a restart by
// systemd or a container runtime recovers without a failure loop); a
// holder that was a process of this host and no longer runs is taken
// over at once. On ctx's end nothing new is
// claimed, sends in flight get a short grace and the lease is released.
// Before each tick the main config file is re-read if it changed, and the
// engine syncs the credential files that changed, so an operator's edit
// takes effect without a restart; an invalid edit is logged and the last
// good config kept. SIGHUP reloads at once. With http.listen it serves the
// HTTP API (http.go), a standby while it waits too.
func (d *Daemon) Run(ctx context.Context) error {
	holder := d.Engine.Name()
	// The HTTP API serves until Run returns, while the daemon waits for
	// the lease too (its /readyz says the lease is not held).
	serveCtx, stopServing := context.WithCancel(ctx)
	served, err := d.serveHTTP(serveCtx)
	defer func() { stopServing(); <-served }()
	if err != nil {
		return err
	}
	// On PostgreSQL every replica runs: they share the dispatch through
	// claims, and the planner lease (lead) picks the one that plans. On
	// SQLite one daemon holds the database's lease.
	replicated := backend.Replicated(d.Config.Database)
	lease := &LeaseKeeper{Store: d.Store, Name: LeaseName, Holder: holder, TTL: d.LeaseTTL}
	if replicated {
		lease.Name = PlannerLease
	} else if err := d.acquire(ctx, lease); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return nil
	}
	runCtx, lost := context.WithCancelCause(ctx)
	defer lost(nil)
	// A database file deleted or replaced under the daemon stops it.
	d.dbFile.stopOn(lost)
	if d.dbFile.check() != nil {
		return context.Cause(runCtx)
	}
	defer func() {
		if err := lease.Release(ctx); err != nil {
			d.Logger.Error("releasing the lease", "err", err)
		}
	}()
	// A replica's own passes (its planning on notice, its looks for due
	// deliveries) send as the cron's ticks do: on SIGTERM they get the
	// same grace and give back what they did not send, and the lease and
	// the store are let go only after them.
	var replicaPasses sync.WaitGroup
	defer func() { lost(nil); replicaPasses.Wait() }()
	d.Health.SetLease(true)
	if replicated {
		if d.Standby {
			d.Logger.Warn(StandbyOnPostgres)
		}
		d.replica = &replica{}
		d.leading(runCtx)(lease.Try(runCtx)) // the first try, before the first tick
		replicaPasses.Go(func() { d.leadLoop(runCtx, lease) })
		replicaPasses.Go(func() { d.planOnNotice(runCtx) })
	} else {
		d.Engine.Problem(runCtx, domain.Problem{Key: ProblemLease, Detail: holder + " holds the database's lease"}, false)
		go lease.Keep(runCtx, d.renewed(runCtx, lost))
	}
	go d.reloadOnHUP(runCtx)

	d.Tick(runCtx)
	d.Health.SetSynced()
	if limit, ok := memoryLimit(os.Getenv); ok {
		// From the start-up tick on: its sync and planning of a fleet
		// first seen hold far more than the daemon does afterwards (a
		// million credentials' first tick took 504 s under the limit,
		// 125 s without); a later sync lifts it while it writes.
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(limit))
	}
	if d.http != nil {
		// The first scrape is answered from the read made here, before
		// the daemon says it is running, and the first after a write
		// from the refresher's read after the write, not kept waiting for
		// one (seconds at a million credentials).
		d.http.PrefetchMetrics(runCtx)
		go d.http.RefreshMetrics(runCtx, MetricsRefreshPoll, MetricsRefreshGap)
	}
	// After the start-up tick: a notification about a credential the
	// config has but the database does not yet would otherwise be
	// recorded as one for an unknown client id.
	waitNotifications := d.startNotifications(runCtx)

	c, err := d.startCron(runCtx)
	if err != nil {
		return err
	}
	d.Logger.Info("notifier running", "schedule", d.Config.CheckSchedule, "timezone", d.Config.Timezone,
		"database", backend.Name(d.Config.Database), "holder", holder)
	<-runCtx.Done()
	d.Logger.Info("stopping: no new sends; those in flight get a short grace")
	<-c.Stop().Done()
	replicaPasses.Wait()
	waitNotifications()
	if err := context.Cause(runCtx); ctx.Err() == nil && err != nil {
		return err
	}
	d.Logger.Info("stopped")
	return nil
}

// acquire takes the lease, or waits for it until its holder's expires or
// ctx ends, saying so once per holder; the lease of a dead process of
// this host it takes over at once (deadHolder).
func (d *Daemon) acquire(ctx context.Context, lease *LeaseKeeper) error {
	var err error
	waitingFor := ""
	host, _ := os.Hostname()
	wait := func(l domain.Lease, held bool, e error) (again bool) {
		if e == nil && !held && deadHolder(l.Holder, host, os.Getpid(), processAlive) {
			// The holder is a process of this host that no longer runs
			// (SIGKILLed, OOM-killed): its lease is taken over at once,
			// not waited out. Another process may win the takeover: then
			// the lease is tried again and judged as any other.
			if _, held, e = lease.TakeOver(ctx, l.Holder); e == nil && held {
				d.Logger.Info(fmt.Sprintf("took over the lease of %s, a process of this host that is no longer running", l.Holder))
				return false
			} else if e == nil {
				l, held, e = lease.Try(ctx)
			}
		}
		switch {
		case e != nil:
			err = e
			return false
		case held:
			return false
		case l.Holder != waitingFor:
			// One line per holder, not one per try.
			waitingFor = l.Holder
			d.Logger.Info(fmt.Sprintf("waiting for the lease: another notifier run holds %s; taking over when its lease expires",
				backend.Name(d.Config.Database)), "holder", l.Holder, "since", l.Acquired.UTC().Format(time.RFC3339),
				"lease_until", l.ExpiresAt.UTC().Format(time.RFC3339))
		}
		return true
	}
	if wait(lease.Try(ctx)) {
		lease.Keep(ctx, wait)
	}
	return err
}

// renewed is what the daemon does with each renewal of its lease until
// ctx ends: a lease lost to another daemon (this one was paused past its
// expiry) stops this one.
func (d *Daemon) renewed(ctx context.Context, lost context.CancelCauseFunc) func(domain.Lease, bool, error) bool {
	return func(lease domain.Lease, held bool, err error) bool {
		if d.dbFile.check() != nil {
			return false // Run stops with the cause
		}
		switch {
		case err != nil && ctx.Err() == nil:
			d.Logger.Error("renewing the lease", "err", err)
		case err == nil && !held:
			d.Logger.Error("lease lost to another notifier run; stopping", "holder", lease.Holder)
			d.Health.SetLease(false)
			d.Engine.Problem(context.WithoutCancel(ctx), domain.Problem{Key: ProblemLease,
				Detail: fmt.Sprintf("%s lost the database's lease to %s and stopped", d.Engine.Name(), lease.Holder)}, true)
			lost(fmt.Errorf("lease lost to %s", lease.Holder))
			return false
		}
		return true
	}
}

// Tick is one tick of the check_schedule: a look for a changed config,
// then the engine's tick (sync, plan, dispatch) at the clock's now; a
// replica that does not plan only sends.
func (d *Daemon) Tick(ctx context.Context) {
	if d.dbFile.check() != nil {
		return // Run stops: nothing is sent into a file nobody reads
	}
	d.reload(ctx, false)
	now := d.Now()
	start := time.Now()
	tick := d.Engine.Tick
	if d.replica != nil && !d.replica.planning.Load() {
		tick = d.Engine.Retry // another replica plans; this one sends
	}
	rep, err := tick(ctx, now)
	if ctx.Err() == nil {
		d.Metrics.ObserveTick(time.Now(), time.Since(start), err)
		d.Health.SetTick(err)
		var de *engine.DispatchError
		d.dispatchFailed.Store(errors.As(err, &de))
		d.observeRefused()
	}
	if err != nil && ctx.Err() == nil {
		d.Logger.Error("tick failed", "err", err)
		return
	}
	d.Logger.Info("tick", "at", now.UTC().Format(time.RFC3339), "sent", rep.Count(domain.StatusSent),
		"skipped", rep.Count(domain.StatusSkipped), "retrying", rep.Count(domain.StatusRetry), "failed", rep.Count(domain.StatusFailed))
	d.idle(ctx)
}

// idle is what the daemon does once a tick or a retry pass has finished
// (its sends are done; those still to retry wait for a later pass): it
// checkpoints the database, where the store is a Checkpointer (SQLite),
// so that the database file alone holds the record between passes.
// SQLite's own checkpoints come only every 10,000 pages of log, to keep
// them out of the dispatcher's commits; without this an idle daemon's
// file stayed empty for hours while its log held everything.
func (d *Daemon) idle(ctx context.Context) {
	c, ok := d.Store.(store.Checkpointer)
	if !ok || ctx.Err() != nil {
		return
	}
	if err := c.Checkpoint(ctx); err != nil && ctx.Err() == nil {
		d.Logger.Error("checkpoint failed", "err", err)
	}
}

func (d *Daemon) retry(ctx context.Context) {
	if d.dbFile.check() != nil {
		return
	}
	// The secrets whose probe interval has passed are probed first, so
	// that a rejection's alert goes out in this pass.
	d.Engine.ProbeDue(ctx, d.Now())
	d.Engine.AutoRotateDue(ctx, d.Now())
	d.sendDue(ctx)
}

// sendDue sends the deliveries that are due: new ones, retries, and those
// whose claims expired (a dead sender's).
func (d *Daemon) sendDue(ctx context.Context) {
	rep, err := d.Engine.Retry(ctx, d.Now())
	if err != nil && ctx.Err() == nil {
		d.Logger.Error("retry pass failed", "err", err)
		return
	}
	if err == nil && d.dispatchFailed.CompareAndSwap(true, false) {
		// The tick failed only at sending; this pass sent and recorded.
		d.Health.SetTick(nil)
	}
	if len(rep.Outcomes) > 0 {
		d.Logger.Info("retry pass", "sent", rep.Count(domain.StatusSent), "retrying", rep.Count(domain.StatusRetry), "failed", rep.Count(domain.StatusFailed))
	}
	d.idle(ctx)
}
