package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"syscall"
	"time"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
)

// ReloadSpec is how often the daemon looks (a stat) for a changed main
// config file between ticks.
const ReloadSpec = "@every 30s"

// reload swaps in the main config file if it changed (or, forced by
// SIGHUP, in any case) and is valid. The credential files are the engine's
// sync's business. A refused file is logged once, not at every look until
// it changes; /readyz and /metrics report it until a good one is loaded.
func (d *Daemon) reload(force bool) {
	d.cfgMu.Lock()
	defer d.cfgMu.Unlock()
	st, err := config.StatConfigFile(d.Config.Dir, filepath.Join(d.Config.Dir, d.Config.Main.Path))
	if !force && err == nil && (st.Unchanged(d.Config.Main) || st.Unchanged(d.rejected)) {
		return
	}
	cfg, err := config.LoadMain(d.ConfigPath, d.configClock(), d.Env, registry.Default())
	var problems config.Problems
	switch {
	case errors.As(err, &problems):
		// /readyz says so before the log does.
		d.refused(st, fmt.Errorf("%d problem(s), first: %s", len(problems), problems[0].String()))
		for _, p := range problems {
			d.Logger.Error("config change rejected; keeping the last good config", "problem", p.String())
		}
		return
	case err != nil:
		d.refused(st, err)
		d.Logger.Error("config reload failed; keeping the last good config", "err", err)
		return
	}
	if cfg.Database != d.Config.Database || cfg.CheckSchedule != d.Config.CheckSchedule || cfg.Timezone != d.Config.Timezone {
		d.Logger.Warn("database, check_schedule and timezone changes take effect at the next restart")
	}
	if cfg.Audit.Key != d.Config.Audit.Key {
		d.Logger.Warn("an audit.key change takes effect at the next restart")
	}
	if httpChanged(d.Config.HTTP, cfg.HTTP) {
		d.Logger.Warn("http.listen changes take effect at the next restart; public_url, ack_secret and ack_link_ttl apply now")
	}
	d.amazonChanged(cfg)
	if err := d.Engine.SetConfig(cfg); err != nil {
		d.refused(st, err)
		d.Logger.Error("config change rejected; keeping the last good config", "err", err)
		return
	}
	unchanged := cfg.Main.Hash == d.Config.Main.Hash
	d.Config = cfg
	d.rejected = domain.ConfigFile{}
	d.Health.SetReload(nil)
	d.Metrics.ObserveReload(time.Now(), nil)
	if !unchanged {
		d.Logger.Info("config reloaded")
	}
}

// reloadOnHUP reloads the main config file at every SIGHUP until ctx ends.
func (d *Daemon) reloadOnHUP(ctx context.Context) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			d.Logger.Info("SIGHUP: reloading the config")
			d.reload(true)
		}
	}
}

// refused records a refused reload of the main file as it was (st).
func (d *Daemon) refused(st domain.ConfigFile, err error) {
	d.rejected = st
	d.Health.SetReload(err)
	d.Metrics.ObserveReload(time.Now(), err)
}

// httpChanged says whether http.listen changed, which a reload cannot
// apply: the server keeps its listener.
func httpChanged(a, b *config.HTTP) bool {
	listen := func(h *config.HTTP) string {
		if h == nil {
			return ""
		}
		return h.Listen
	}
	return listen(a) != listen(b)
}

// amazonChanged warns that a new amazon: block takes effect at the next
// restart: the daemon's poller keeps the queue it started with.
func (d *Daemon) amazonChanged(cfg *config.Config) {
	if !reflect.DeepEqual(cfg.Amazon, d.Config.Amazon) {
		d.Logger.Warn("amazon: changes take effect at the next restart")
	}
}
