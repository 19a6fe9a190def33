package main

import (
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/report"
	"github.com/notifier-dev/notifier/internal/store/backend"
)

// dryRun is `tick --dry-run`: what a tick at the command's moment (any
// moment: nothing is written) would send and skip. The database is opened
// read-only, never migrated or synced; without a database (no SQLite
// file, no notifier schema in PostgreSQL) the plan comes from the config
// alone, as a first run's would.
func (c *cli) dryRun(cmd *cobra.Command, format string) (err error) {
	clock, logger, cfg, err := c.configAt(cmd, true)
	if err != nil {
		return err
	}
	st, closeStore, err := openIfAny(cmd, cfg.Database)
	if err != nil {
		return err
	}
	defer closeView(closeStore, &err)
	eng, err := engine.New(st, cfg, engine.WithLogger(logger), engine.WithStdout(c.messages()), engine.WithWallClock(c.wall))
	if err != nil {
		return err
	}
	if pw := backend.Password(cfg.Database); pw != "" {
		eng.Redactor().Add(pw)
	}
	now := clock(cfg.Location)
	rows, err := eng.DryRun(cmd.Context(), now)
	if err != nil {
		return err
	}
	return report.DryRun(c.stdout, format, rows, now, cfg.Location)
}

// configAt is the command's clock, its logger and the config read at its
// moment, without opening the database: the main file, and every
// credential file too when all is set.
func (c *cli) configAt(cmd *cobra.Command, all bool) (config.Clock, *slog.Logger, *config.Config, error) {
	clock, err := c.clock(cmd)
	if err != nil {
		return nil, nil, nil, err
	}
	logger, err := c.logger()
	if err != nil {
		return nil, nil, nil, err
	}
	load := config.LoadMain
	if all {
		load = config.Load
	}
	cfg, err := load(c.configPath, clock, nil, registry.Default())
	if err != nil {
		return nil, nil, nil, err
	}
	return clock, logger, cfg, nil
}
