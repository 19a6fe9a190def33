package main

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/report"
	"github.com/notifier-dev/notifier/internal/store"
	"github.com/notifier-dev/notifier/internal/store/backend"
)

// dryRun is `tick --dry-run`: what a tick at the command's moment (any
// moment: nothing is written) would send and skip. The database is opened
// read-only, never migrated or synced; without a database file the plan
// comes from the config alone, as a first run's would.
func (c *cli) dryRun(cmd *cobra.Command, format string) (err error) {
	clock, logger, cfg, err := c.configAt(cmd, true)
	if err != nil {
		return err
	}
	var st store.Engine // nil: no database yet
	exists := backend.IsPostgres(cfg.Database)
	if !exists {
		if _, err := os.Stat(cfg.Database); err == nil {
			exists = true
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if exists {
		ro, oerr := backend.OpenReadOnly(cmd.Context(), cfg.Database)
		if oerr != nil {
			return oerr
		}
		defer closeView(ro.Close, &err) // the command's err, not oerr
		st = ro
	}
	eng, err := engine.New(st, cfg, engine.WithLogger(logger), engine.WithStdout(c.stdout), engine.WithWallClock(c.wall))
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
