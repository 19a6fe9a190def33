// Command notifier makes sure no credential silently expires: it keeps
// rotation dates in SQLite and sends escalating reminders until someone
// rotates. This package is flag parsing and wiring only.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/notifier-dev/notifier/internal/amazon"
	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/httpapi"
	"github.com/notifier-dev/notifier/internal/store"
	"github.com/notifier-dev/notifier/internal/store/backend"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go stopPromptly(ctx, done, StopGrace, os.Stderr, os.Exit)
	code := Execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
	close(done)
	stop()
	os.Exit(code)
}

// StopGrace is how long a command may go on after SIGINT or SIGTERM. The
// daemon and tick stop well within it; a command that does not look at the
// signal (check of a large fleet, status of a million credentials) is ended
// then. Every write is a transaction, so ending one half-way loses nothing.
const StopGrace = 15 * time.Second

// stopPromptly exits with status 1 and one line when ctx is cancelled (a
// signal) and the command has not finished (done) within grace.
func stopPromptly(ctx context.Context, done <-chan struct{}, grace time.Duration, stderr io.Writer, exit func(int)) {
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		fmt.Fprintf(stderr, "notifier: still running %s after the signal; stopping (nothing half-written)\n", grace)
		exit(1)
	}
}

// RetrySpec is how often the daemon looks for deliveries whose next
// attempt is due, between the config's check_schedule ticks, and for
// SP-API secrets whose lwa.probe interval has passed or whose
// lwa.auto_rotate_before has come.
const RetrySpec = "@every 1m"

// LeaseName is the database lease one `notifier run` holds.
const LeaseName = "daemon"

// DefaultLeaseTTL is how long a daemon's lease lasts unrenewed: a crashed
// daemon's standby takes over after it. The lease is renewed every third
// of it.
const DefaultLeaseTTL = 30 * time.Second

// MinLeaseTTL is the shortest --lease-ttl run accepts.
const MinLeaseTTL = time.Second

// Main is the daemon: a config, a store, an engine and a cron runner.
// End-to-end tests reuse it.
type Main struct {
	ConfigPath string
	Logger     *slog.Logger
	Stdout     io.Writer        // where stdout channels print
	Clock      config.Clock     // the clock, given the config's zone; nil: time.Now
	Env        config.LookupEnv // nil: the process environment
	// Standby makes Run wait for the lease when another daemon holds it,
	// instead of refusing to start.
	Standby  bool
	LeaseTTL time.Duration // 0: DefaultLeaseTTL
	// Engine options beyond the logger and stdout (tests: send timeout,
	// shutdown grace).
	EngineOptions []engine.Option

	Config *config.Config
	Store  store.Store
	// replica is set while Run runs on a database that several replicas
	// share (PostgreSQL).
	replica *replica
	Engine  *engine.Engine

	// What the HTTP API reports (see http.go); Open makes them.
	Health  *httpapi.Health
	Metrics *httpapi.Metrics

	cfgMu    sync.Mutex        // guards Config against a SIGHUP's reload
	rejected domain.ConfigFile // the main file last refused, not logged again until it changes
}

// Open loads the main config file, opens the database (applying
// migrations) and builds the engine. Credential files are read by the
// engine's sync, and only when they changed.
func (m *Main) Open(ctx context.Context) error {
	if m.Clock == nil {
		m.Clock = func(*time.Location) time.Time { return time.Now() }
	}
	if m.Logger == nil {
		m.Logger = slog.New(slog.DiscardHandler)
	}
	if m.LeaseTTL <= 0 {
		m.LeaseTTL = DefaultLeaseTTL
	}
	cfg, err := config.LoadMain(m.ConfigPath, m.Clock, m.Env, registry.Default())
	if err != nil {
		return err
	}
	store, err := backend.Open(ctx, cfg.Database, backend.WithAuditKey([]byte(cfg.Audit.Key)))
	if err != nil {
		return err
	}
	m.Health, m.Metrics = httpapi.NewHealth(), httpapi.NewMetrics()
	// One redactor for the engine and the AWS source reader, which
	// registers the AWS credentials with it as the SDK obtains them.
	red := channels.NewRedactor()
	// A claim lasts as long as the lease, renewed as often: a dead
	// replica's (or daemon's) claims are taken over as soon as its lease.
	opts := append([]engine.Option{engine.WithLogger(m.Logger), engine.WithStdout(m.Stdout), engine.WithClaimTTL(m.LeaseTTL),
		engine.WithAckLinks(httpapi.AckLinks), engine.WithObserver(m.Metrics),
		engine.WithRedactor(red), engine.WithSourceReader(amazon.NewSourceReader(red)), engine.WithProber(amazon.NewProber(red))}, m.EngineOptions...)
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
	m.Config, m.Store, m.Engine = cfg, store, eng
	m.Health.SetConfigLoaded(true)
	m.Metrics.ObserveReload(time.Now(), nil)
	return nil
}

// Now is the clock's time in the config's zone.
func (m *Main) Now() time.Time {
	m.cfgMu.Lock()
	loc := m.Config.Location
	m.cfgMu.Unlock()
	return m.Clock(loc)
}

// Close releases the store.
func (m *Main) Close() error {
	if m.Store == nil {
		return nil
	}
	return m.Store.Close()
}

// Run takes the database's lease, ticks once, then on the config's
// check_schedule (in its time zone), and retries due deliveries every
// minute in between, until ctx is done. A second daemon on the same
// database is refused, naming the holder, or with Standby waits and takes
// over when the holder's lease expires. On ctx's end nothing new is
// claimed, sends in flight get a short grace and the lease is released.
// Before each tick the main config file is re-read if it changed, and the
// engine syncs the credential files that changed, so an operator's edit
// takes effect without a restart; an invalid edit is logged and the last
// good config kept. SIGHUP reloads at once. With http.listen it serves the
// HTTP API (http.go), a standby while it waits too.
func (m *Main) Run(ctx context.Context) error {
	holder := m.Engine.Name()
	// The HTTP API serves until Run returns. A standby serves while it
	// waits (its /readyz says the lease is not held); otherwise the
	// server starts once the lease is held, so that a second daemon is
	// refused for the lease, not for the port.
	serveCtx, stopServing := context.WithCancel(ctx)
	served := closedChan()
	defer func() { stopServing(); <-served }()
	var err error
	if m.Standby {
		if served, err = m.serveHTTP(serveCtx); err != nil {
			return err
		}
	}
	// On PostgreSQL every replica runs: they share the dispatch through
	// claims, and the planner lease (lead) picks the one that plans. On
	// SQLite one daemon holds the database's lease.
	replicated := backend.Replicated(m.Config.Database)
	lease := LeaseName
	if replicated {
		lease = PlannerLease
	} else if err := m.acquire(ctx, holder); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return nil
	}
	runCtx, lost := context.WithCancelCause(ctx)
	defer lost(nil)
	defer func() {
		if err := m.Store.ReleaseLease(context.WithoutCancel(ctx), lease, holder); err != nil {
			m.Logger.Error("releasing the lease", "err", err)
		}
	}()
	// A replica's own passes (its planning on notice, its looks for due
	// deliveries) send as the cron's ticks do: on SIGTERM they get the
	// same grace and give back what they did not send, and the lease and
	// the store are let go only after them.
	var replicaPasses sync.WaitGroup
	defer func() { lost(nil); replicaPasses.Wait() }()
	m.Health.SetLease(true)
	if replicated {
		if m.Standby {
			m.Logger.Warn(StandbyOnPostgres)
		}
		m.replica = &replica{}
		m.lead(runCtx, holder) // the first try, before the first tick
		replicaPasses.Go(func() { m.leadLoop(runCtx, holder) })
		replicaPasses.Go(func() { m.planOnNotice(runCtx) })
	} else {
		go m.renew(runCtx, holder, lost)
	}
	if !m.Standby {
		if served, err = m.serveHTTP(serveCtx); err != nil {
			return err
		}
	}
	go m.reloadOnHUP(runCtx)
	waitNotifications := m.startNotifications(runCtx)

	m.tick(runCtx)

	logger := cron.VerbosePrintfLogger(slog.NewLogLogger(m.Logger.Handler(), slog.LevelDebug))
	c := cron.New(
		cron.WithLocation(m.Config.Location),
		cron.WithLogger(logger),
		cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)),
	)
	if _, err := c.AddFunc(m.Config.CheckSchedule, func() { m.tick(runCtx) }); err != nil {
		return fmt.Errorf("check_schedule: %w", err)
	}
	if _, err := c.AddFunc(RetrySpec, func() { m.retry(runCtx) }); err != nil {
		return fmt.Errorf("retry schedule: %w", err)
	}
	if _, err := c.AddFunc(ReloadSpec, func() { m.reload(false) }); err != nil {
		return fmt.Errorf("reload schedule: %w", err)
	}
	c.Start()
	m.Logger.Info("notifier running", "schedule", m.Config.CheckSchedule, "timezone", m.Config.Timezone,
		"database", backend.Name(m.Config.Database), "holder", holder)
	<-runCtx.Done()
	m.Logger.Info("stopping: no new sends; those in flight get a short grace")
	<-c.Stop().Done()
	replicaPasses.Wait()
	waitNotifications()
	if err := context.Cause(runCtx); ctx.Err() == nil && err != nil {
		return err
	}
	m.Logger.Info("stopped")
	return nil
}

// acquire takes the lease, or waits for it on standby.
func (m *Main) acquire(ctx context.Context, holder string) error {
	for {
		lease, held, err := m.Store.AcquireLease(ctx, LeaseName, holder, time.Now(), m.LeaseTTL)
		if err != nil {
			return err
		}
		if held {
			return nil
		}
		if !m.Standby {
			return fmt.Errorf("another notifier run holds %s: %s, since %s, lease until %s; stop it first, or start this one with --standby",
				backend.Name(m.Config.Database), lease.Holder, lease.Acquired.Local().Format(time.RFC3339), lease.ExpiresAt.Local().Format(time.RFC3339))
		}
		m.Logger.Info("standing by: another notifier run holds the database", "holder", lease.Holder,
			"lease_until", lease.ExpiresAt.UTC().Format(time.RFC3339))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(m.LeaseTTL / 3):
		}
	}
}

// renew keeps the lease until ctx ends; a lease lost to another daemon
// (this one was paused past its expiry) stops this one.
func (m *Main) renew(ctx context.Context, holder string, lost context.CancelCauseFunc) {
	t := time.NewTicker(m.LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		lease, held, err := m.Store.AcquireLease(ctx, LeaseName, holder, time.Now(), m.LeaseTTL)
		switch {
		case err != nil && ctx.Err() == nil:
			m.Logger.Error("renewing the lease", "err", err)
		case err == nil && !held:
			m.Logger.Error("lease lost to another notifier run; stopping", "holder", lease.Holder)
			m.Health.SetLease(false)
			lost(fmt.Errorf("lease lost to %s", lease.Holder))
			return
		}
	}
}

func (m *Main) tick(ctx context.Context) {
	m.reload(false)
	now := m.Now()
	start := time.Now()
	tick := m.Engine.Tick
	if m.replica != nil && !m.replica.planning.Load() {
		tick = m.Engine.Retry // another replica plans; this one sends
	}
	rep, err := tick(ctx, now)
	if ctx.Err() == nil {
		m.Metrics.ObserveTick(time.Now(), time.Since(start), err)
		m.Health.SetTick(err)
	}
	if err != nil && ctx.Err() == nil {
		m.Logger.Error("tick failed", "err", err)
		return
	}
	m.Logger.Info("tick", "at", now.UTC().Format(time.RFC3339), "sent", rep.Count(domain.StatusSent),
		"skipped", rep.Count(domain.StatusSkipped), "retrying", rep.Count(domain.StatusRetry), "failed", rep.Count(domain.StatusFailed))
}

func (m *Main) retry(ctx context.Context) {
	// The secrets whose probe interval has passed are probed first, so
	// that a rejection's alert goes out in this pass.
	m.Engine.ProbeDue(ctx, m.Now())
	m.Engine.AutoRotateDue(ctx, m.Now())
	m.sendDue(ctx)
}

// sendDue sends the deliveries that are due: new ones, retries, and those
// whose claims expired (a dead sender's).
func (m *Main) sendDue(ctx context.Context) {
	rep, err := m.Engine.Retry(ctx, m.Now())
	if err != nil && ctx.Err() == nil {
		m.Logger.Error("retry pass failed", "err", err)
		return
	}
	if len(rep.Outcomes) > 0 {
		m.Logger.Info("retry pass", "sent", rep.Count(domain.StatusSent), "retrying", rep.Count(domain.StatusRetry), "failed", rep.Count(domain.StatusFailed))
	}
}

// reload swaps in the main config file if it changed (or, forced by
// SIGHUP, in any case) and is valid. The credential files are the engine's
// sync's business. A refused file is logged once, not at every look until
// it changes; /readyz and /metrics report it until a good one is loaded.
func (m *Main) reload(force bool) {
	m.cfgMu.Lock()
	defer m.cfgMu.Unlock()
	st, err := config.StatConfigFile(m.Config.Dir, filepath.Join(m.Config.Dir, m.Config.Main.Path))
	if !force && err == nil && (st.Unchanged(m.Config.Main) || st.Unchanged(m.rejected)) {
		return
	}
	cfg, err := config.LoadMain(m.ConfigPath, m.Clock, m.Env, registry.Default())
	var problems config.Problems
	switch {
	case errors.As(err, &problems):
		// /readyz says so before the log does.
		m.refused(st, fmt.Errorf("%d problem(s), first: %s", len(problems), problems[0].String()))
		for _, p := range problems {
			m.Logger.Error("config change rejected; keeping the last good config", "problem", p.String())
		}
		return
	case err != nil:
		m.refused(st, err)
		m.Logger.Error("config reload failed; keeping the last good config", "err", err)
		return
	}
	if cfg.Database != m.Config.Database || cfg.CheckSchedule != m.Config.CheckSchedule || cfg.Timezone != m.Config.Timezone {
		m.Logger.Warn("database, check_schedule and timezone changes take effect at the next restart")
	}
	if cfg.Audit.Key != m.Config.Audit.Key {
		m.Logger.Warn("an audit.key change takes effect at the next restart")
	}
	if httpChanged(m.Config.HTTP, cfg.HTTP) {
		m.Logger.Warn("http.listen changes take effect at the next restart; public_url, ack_secret and ack_link_ttl apply now")
	}
	m.amazonChanged(cfg)
	if err := m.Engine.SetConfig(cfg); err != nil {
		m.refused(st, err)
		m.Logger.Error("config change rejected; keeping the last good config", "err", err)
		return
	}
	unchanged := cfg.Main.Hash == m.Config.Main.Hash
	m.Config = cfg
	m.rejected = domain.ConfigFile{}
	m.Health.SetReload(nil)
	m.Metrics.ObserveReload(time.Now(), nil)
	if !unchanged {
		m.Logger.Info("config reloaded")
	}
}
