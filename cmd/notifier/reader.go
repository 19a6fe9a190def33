package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/daemon"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/store"
	"github.com/notifier-dev/notifier/internal/store/backend"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
)

// The auditors' commands read the database and never write it: they open
// it read-only (no migration, no config sync), work while the daemon
// writes, and with --db read a copy, with or without its config.

// dbFlag adds --db to a read-only command.
func dbFlag(cmd *cobra.Command, db *string) {
	usage := "read this database file (a copy, a backup) instead of the config's; the config is then read only if --config is given"
	if cmd.Name() == "status" {
		usage = "read this database file (a copy, a backup) instead of the config's"
	}
	cmd.Flags().StringVar(db, "db", "", usage)
}

// openReader opens the database read-only and returns it with the time
// zone to show times and count days in. Without --db it is the config's
// database and zone. With --db and no --config, the config is not read at
// all (an auditor may have only the file): the zone is the one the
// daemon's last sync recorded in the database, else UTC.
func (c *cli) openReader(cmd *cobra.Command, db string) (store.ReadOnly, *time.Location, error) {
	if cmd.Flags().Changed("db") && db == "" {
		return nil, nil, fmt.Errorf("--db: empty; give a database file, or leave --db out for the config's")
	}
	loc := time.UTC
	path := db
	if db == "" || cmd.Flags().Changed("config") {
		cfg, err := config.LoadMain(c.configPath, config.Timeless, nil, registry.Default())
		if err != nil {
			return nil, nil, err
		}
		loc = cfg.Location
		if path == "" {
			path = cfg.Database
		}
	}
	store, err := backend.OpenReadOnly(cmd.Context(), path)
	if err != nil {
		return nil, nil, err
	}
	if db != "" && !cmd.Flags().Changed("config") {
		tz, err := store.SyncedTimezone(cmd.Context())
		if err != nil {
			store.Close()
			return nil, nil, err
		}
		if tz != "" {
			if loc, err = time.LoadLocation(tz); err != nil {
				store.Close()
				return nil, nil, fmt.Errorf("%s: the time zone it records, %q: %w", path, tz, err)
			}
		}
	}
	return store, loc, nil
}

// openWindowReader is openReader for a command with --since and --until:
// a bad time is refused before anything is opened, then the bounds are
// read in the zone of the times shown.
func (c *cli) openWindowReader(cmd *cobra.Command, db, since, until string) (store store.ReadOnly, loc *time.Location, s, u time.Time, err error) {
	if _, _, err = windowFlags(cmd, since, until, time.UTC); err != nil {
		return nil, nil, s, u, err
	}
	if store, loc, err = c.openReader(cmd, db); err != nil {
		return nil, nil, s, u, err
	}
	if s, u, err = windowFlags(cmd, since, until, loc); err != nil {
		store.Close()
		return nil, nil, s, u, err
	}
	return store, loc, s, u, nil
}

// windowFlags parses --since and --until in loc; given empty is an error,
// as for --at, not "no bound".
func windowFlags(cmd *cobra.Command, since, until string, loc *time.Location) (s, u time.Time, err error) {
	if cmd.Flags().Changed("since") {
		if s, err = config.ParseTime(since, loc); err != nil {
			return s, u, fmt.Errorf("--since: %w", err)
		}
	}
	if cmd.Flags().Changed("until") {
		if u, err = config.ParseTime(until, loc); err != nil {
			return s, u, fmt.Errorf("--until: %w", err)
		}
	}
	return s, u, nil
}

// openStatusReader is open for status: the config (for the ladders), the
// database read-only (without --db, the config's), and an engine over it
// that only reads. Nothing is synced: status shows what the daemon's last
// sync recorded, and never waits for or writes to the database.
func (c *cli) openStatusReader(cmd *cobra.Command, db string) (*engine.Engine, store.ReadOnly, time.Time, error) {
	clock, err := c.clock(cmd)
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	logger, err := c.logger()
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	if cmd.Flags().Changed("db") && db == "" {
		return nil, nil, time.Time{}, fmt.Errorf("--db: empty; give a database file, or leave --db out for the config's")
	}
	cfg, err := config.LoadMain(c.configPath, daemon.WallConfigClock(c.wall), nil, registry.Default())
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	if db == "" {
		db = cfg.Database
	}
	store, err := backend.OpenReadOnly(cmd.Context(), db)
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	eng, err := engine.New(store, cfg, engine.WithLogger(logger), engine.WithStdout(c.stdout), engine.WithWallClock(c.wall))
	if err != nil {
		store.Close()
		return nil, nil, time.Time{}, err
	}
	return eng, store, clock(cfg.Location), nil
}

// openPlanner is open for plan, which never writes. When the database
// exists and no config file changed since its last sync (the main file
// by its hash, credential files by size and modification time, as sync
// judges them), the database holds the config as it is: the credential
// files are not read and the engine streams the plan from the store
// (streamed). Otherwise it reads the whole config and plans the recorded
// cycles as the config will change them at the next sync, saying so on
// stderr; without a database, from the config alone. closeStore
// releases the database, if one was opened.
func (c *cli) openPlanner(cmd *cobra.Command) (eng *engine.Engine, closeStore func() error, now time.Time, streamed bool, err error) {
	clock, err := c.clock(cmd)
	if err != nil {
		return nil, nil, now, false, err
	}
	logger, err := c.logger()
	if err != nil {
		return nil, nil, now, false, err
	}
	cfg, err := config.LoadMainDeferred(c.configPath, daemon.WallConfigClock(c.wall), nil, registry.Default())
	if err != nil {
		return nil, nil, now, false, err
	}
	es, closeStore, err := openIfAny(cmd, cfg.Database)
	if err != nil {
		return nil, nil, now, false, err
	}
	now = clock(cfg.Location)
	if es != nil {
		if streamed, err = configSynced(cmd, es, cfg); err != nil {
			closeStore()
			return nil, nil, now, false, err
		}
		// A view at an earlier moment reads each cycle as it was then.
		streamed = streamed && !now.Before(c.wall().Add(-engine.MaxClockSkew))
	}
	if !streamed {
		if es != nil {
			fmt.Fprintln(c.stderr, "plan: the config changed since the database's last sync (or the view is of an earlier moment): planning from the whole config, as the next sync will record it")
		}
		if cfg, err = config.Load(c.configPath, daemon.WallConfigClock(c.wall), nil, registry.Default()); err != nil {
			closeStore()
			return nil, nil, now, false, err
		}
	}
	if eng, err = engine.New(es, cfg, engine.WithLogger(logger), engine.WithStdout(c.stdout), engine.WithWallClock(c.wall)); err != nil {
		closeStore()
		return nil, nil, now, false, err
	}
	return eng, closeStore, now, streamed, nil
}

// configSynced says whether every config file is the version the
// database last synced, and no synced file is gone.
func configSynced(cmd *cobra.Command, st store.Engine, cfg *config.Config) (bool, error) {
	known, err := st.ConfigFiles(cmd.Context())
	if err != nil {
		return false, err
	}
	if m, ok := known[cfg.Main.Path]; !ok || m.Hash != cfg.Main.Hash {
		return false, nil
	}
	files, err := cfg.CredentialFiles()
	if err != nil {
		return false, err
	}
	if len(known) != len(files)+1 {
		return false, nil
	}
	for _, path := range files {
		f, err := config.StatConfigFile(cfg.Dir, path)
		if err != nil {
			return false, nil
		}
		if prev, ok := known[f.Path]; !ok || !f.Unchanged(prev) {
			return false, nil
		}
	}
	return true, nil
}

// openIfAny opens the database read-only for a command that can do
// without one (plan, tick --dry-run): with no database yet (no SQLite
// file, no notifier schema in PostgreSQL) the store is nil, not a
// ReadOnly holding nil, and the engine plans from the config alone.
// closeStore releases the database, if one was opened.
func openIfAny(cmd *cobra.Command, dsn string) (st store.Engine, closeStore func() error, err error) {
	switch ro, err := backend.OpenReadOnly(cmd.Context(), dsn); {
	case errors.Is(err, backend.ErrNoDatabase):
		return nil, func() error { return nil }, nil
	case err != nil:
		return nil, nil, err
	default:
		return ro, ro.Close, nil
	}
}

// closeView releases a view's database and makes its error the command's
// when the command had none: a SQLite file read without a lock that a
// daemon wrote meanwhile (sqlite.ErrChangedWhileRead) is said, not passed
// over. It is said first also when the command failed: the read's error
// ("database disk image is malformed") was then what SQLite made of the
// pages written under it.
func closeView(close func() error, err *error) {
	cerr := close()
	switch {
	case cerr == nil:
	case *err == nil:
		*err = cerr
	case errors.Is(cerr, sqlite.ErrChangedWhileRead):
		*err = fmt.Errorf("%w (the read failed: %v)", cerr, *err)
	}
}
