// Command notifier makes sure no credential silently expires: it keeps
// rotation dates in SQLite and sends escalating reminders until someone
// rotates. This package is flag parsing and wiring only.
package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/db"
	"github.com/notifier-dev/notifier/internal/engine"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// RetrySpec is how often the daemon looks for deliveries whose next
// attempt is due, between the config's check_schedule ticks.
const RetrySpec = "@every 1m"

// Main is the daemon: a config, a store, an engine and a cron runner.
// End-to-end tests reuse it.
type Main struct {
	ConfigPath string
	Logger     *slog.Logger
	Stdout     io.Writer        // where stdout channels print
	Clock      config.Clock     // the clock, given the config's zone; nil: time.Now
	Env        config.LookupEnv // nil: the process environment

	Config *config.Config
	Store  *db.DB
	Engine *engine.Engine

	cfgSum [sha256.Size]byte
}

// Open loads the config, opens the database (applying migrations) and
// builds the engine.
func (m *Main) Open(ctx context.Context) error {
	if m.Clock == nil {
		m.Clock = func(*time.Location) time.Time { return time.Now() }
	}
	if m.Logger == nil {
		m.Logger = slog.New(slog.DiscardHandler)
	}
	cfg, err := config.Load(m.ConfigPath, m.Clock, m.Env)
	if err != nil {
		return err
	}
	sum, err := config.Fingerprint(cfg.Sources)
	if err != nil {
		return err
	}
	store, err := db.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	eng, err := engine.New(store, cfg, engine.WithLogger(m.Logger), engine.WithStdout(m.Stdout))
	if err != nil {
		store.Close()
		return err
	}
	m.Config, m.Store, m.Engine, m.cfgSum = cfg, store, eng, sum
	return nil
}

// Now is the clock's time in the config's zone.
func (m *Main) Now() time.Time { return m.Clock(m.Config.Location) }

// Close releases the store.
func (m *Main) Close() error {
	if m.Store == nil {
		return nil
	}
	return m.Store.Close()
}

// Run ticks once, then on the config's check_schedule (in its time zone),
// and retries due deliveries every minute in between, until ctx is done.
// A tick in flight when ctx ends is allowed to finish. Before each tick the
// config file is re-read if it changed, so an operator's edit of rotated_at
// takes effect without a restart; an invalid edit is logged and the last
// good config kept.
func (m *Main) Run(ctx context.Context) error {
	// Jobs get a context that outlives ctx, so a signal lets the tick in
	// flight finish instead of cutting a send in half.
	jobCtx := context.WithoutCancel(ctx)
	m.tick(jobCtx)

	logger := cron.VerbosePrintfLogger(slog.NewLogLogger(m.Logger.Handler(), slog.LevelDebug))
	c := cron.New(
		cron.WithLocation(m.Config.Location),
		cron.WithLogger(logger),
		cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)),
	)
	if _, err := c.AddFunc(m.Config.CheckSchedule, func() { m.tick(jobCtx) }); err != nil {
		return fmt.Errorf("check_schedule: %w", err)
	}
	if _, err := c.AddFunc(RetrySpec, func() { m.retry(jobCtx) }); err != nil {
		return fmt.Errorf("retry schedule: %w", err)
	}
	c.Start()
	m.Logger.Info("notifier running", "schedule", m.Config.CheckSchedule, "timezone", m.Config.Timezone,
		"credentials", len(m.Config.Credentials), "database", m.Config.Database)
	<-ctx.Done()
	m.Logger.Info("stopping: waiting for the tick in flight")
	<-c.Stop().Done()
	m.Logger.Info("stopped")
	return nil
}

func (m *Main) tick(ctx context.Context) {
	m.reload()
	now := m.Now()
	rep, err := m.Engine.Tick(ctx, now)
	if err != nil {
		m.Logger.Error("tick failed", "err", err)
		return
	}
	m.Logger.Info("tick", "at", now.UTC().Format(time.RFC3339), "sent", rep.Count(db.StatusSent),
		"skipped", rep.Count(db.StatusSkipped), "retrying", rep.Count(db.StatusRetry), "failed", rep.Count(db.StatusFailed))
}

func (m *Main) retry(ctx context.Context) {
	rep, err := m.Engine.Retry(ctx, m.Now())
	if err != nil {
		m.Logger.Error("retry pass failed", "err", err)
		return
	}
	if len(rep.Outcomes) > 0 {
		m.Logger.Info("retry pass", "sent", rep.Count(db.StatusSent), "retrying", rep.Count(db.StatusRetry), "failed", rep.Count(db.StatusFailed))
	}
}

// reload swaps in the config if its files changed and it is valid. An
// unchanged config costs a hash of its files, not a parse.
func (m *Main) reload() {
	sum, err := config.Fingerprint(m.Config.Sources)
	if err == nil && sum == m.cfgSum {
		return
	}
	cfg, err := config.Load(m.ConfigPath, m.Clock, m.Env)
	var problems config.Problems
	switch {
	case errors.As(err, &problems):
		for _, p := range problems {
			m.Logger.Error("config change rejected; keeping the last good config", "problem", p.String())
		}
		return
	case err != nil:
		m.Logger.Error("config reload failed; keeping the last good config", "err", err)
		return
	}
	// The sum taken before loading: an edit made while loading is seen by
	// the next tick.
	if !slices.Equal(cfg.Sources, m.Config.Sources) {
		if sum, err = config.Fingerprint(cfg.Sources); err != nil {
			m.Logger.Error("config reload failed; keeping the last good config", "err", err)
			return
		}
	}
	if cfg.Database != m.Config.Database || cfg.CheckSchedule != m.Config.CheckSchedule || cfg.Timezone != m.Config.Timezone {
		m.Logger.Warn("database, check_schedule and timezone changes take effect at the next restart")
	}
	if err := m.Engine.SetConfig(cfg); err != nil {
		m.Logger.Error("config change rejected; keeping the last good config", "err", err)
		return
	}
	m.Config, m.cfgSum = cfg, sum
	m.Logger.Info("config reloaded", "credentials", len(cfg.Credentials))
}
