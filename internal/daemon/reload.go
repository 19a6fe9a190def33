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
// SIGHUP, in any case) and is valid, then syncs: the config files that
// changed are recorded (a rotation_at moved forward is a rotation) and
// their cycles re-planned before "config reloaded" is logged. The
// periodic look syncs only when no tick runs (a tick syncs first anyway).
// A refused main file is logged once, not at every look until it changes;
// /readyz and /metrics report it, and refused credential files, until
// good ones are loaded.
func (d *Daemon) reload(ctx context.Context, force bool) {
	reloaded, judged, refusal := d.reloadMain(force)
	if judged {
		// A refused main file is a problem the admins are told of, once.
		d.Engine.Problem(ctx, domain.Problem{Key: ProblemMainConfig + d.mainPath(), Detail: errDetail(refusal, "config file accepted again")}, refusal != nil)
	}
	if d.replica == nil || d.replica.planning.Load() {
		ran, err := d.Engine.SyncConfig(ctx, d.Now(), force || reloaded)
		if err != nil && ctx.Err() == nil {
			d.Logger.Error("sync after reload failed; the next tick syncs again", "err", err)
		}
		if ran {
			d.observeRefused()
		}
	}
	if refusal == nil && (reloaded || force) {
		d.Logger.Info("config reloaded")
	}
}

// ProblemMainConfig is the key prefix of a refused main config file's
// problem (the admins' notices).
const ProblemMainConfig = "config:"

// mainPath is the main config file's path, as problems name it.
func (d *Daemon) mainPath() string {
	d.cfgMu.Lock()
	defer d.cfgMu.Unlock()
	return d.Config.Main.Path
}

// errDetail is err's text, or ok when err is nil.
func errDetail(err error, ok string) string {
	if err == nil {
		return ok
	}
	return err.Error()
}

// reloadMain swaps in the main config file if it changed (or, with force,
// in any case) and is valid, reporting whether a new one is in use,
// whether the file was judged at all (not: unchanged since the last
// look) and, if it was refused, why.
func (d *Daemon) reloadMain(force bool) (reloaded, judged bool, refusal error) {
	d.cfgMu.Lock()
	defer d.cfgMu.Unlock()
	st, err := config.StatConfigFile(d.Config.Dir, filepath.Join(d.Config.Dir, d.Config.Main.Path))
	if !force && err == nil && (st.Unchanged(d.Config.Main) || st.Unchanged(d.rejected)) {
		return false, false, nil
	}
	cfg, err := config.LoadMain(d.ConfigPath, d.configClock(), d.Env, registry.Default())
	var problems config.Problems
	switch {
	case errors.As(err, &problems):
		// /readyz says so before the log does.
		refusal := fmt.Errorf("%d problem(s), first: %s", problems.Count(), problems[0].String())
		d.refused(st, refusal)
		for _, p := range problems {
			d.Logger.Error("config change rejected; keeping the last good config", "problem", p.String())
		}
		return false, true, refusal
	case err != nil:
		d.refused(st, err)
		d.Logger.Error("config reload failed; keeping the last good config", "err", err)
		return false, true, err
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
		return false, true, err
	}
	unchanged := cfg.Main.Hash == d.Config.Main.Hash
	d.reloadConsole(cfg)
	d.Config = cfg
	d.rejected = domain.ConfigFile{}
	d.mainRefused.Store(false)
	d.Health.SetReload(nil)
	d.Metrics.ObserveReload(time.Now(), nil)
	return !unchanged, true, nil
}

// reloadConsole serves the console of cfg's http.console block (its
// users file read again by the load); a console added or removed takes
// effect at the next restart.
func (d *Daemon) reloadConsole(cfg *config.Config) {
	if d.console == nil {
		return
	}
	if cfg.HTTP == nil || cfg.HTTP.Console == nil {
		d.Logger.Warn("removing http.console takes effect at the next restart")
		return
	}
	d.console.SetConsole(cfg.HTTP.Console)
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
			d.reload(ctx, true)
		}
	}
}

// refused records a refused reload of the main file as it was (st).
func (d *Daemon) refused(st domain.ConfigFile, err error) {
	d.rejected = st
	d.mainRefused.Store(true)
	d.Health.SetReload(err)
	d.Metrics.ObserveReload(time.Now(), err)
	d.observeRefused()
}

// observeRefused tells /readyz and /metrics which config files are
// refused now: the credential files the engine's last sync refused, and
// the main file if its last reload was.
func (d *Daemon) observeRefused() {
	files := d.Engine.Refused()
	problems := make([]string, len(files))
	for i, f := range files {
		problems[i] = f.Problem
	}
	d.Health.SetRefused(problems)
	n := len(files)
	if d.mainRefused.Load() {
		n++
	}
	d.Metrics.ObserveRefused(n)
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
