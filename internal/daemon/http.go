package daemon

import (
	"context"
	"fmt"
	"net"
	"sync"

	"github.com/notifier-dev/notifier/internal/httpapi"
	"github.com/notifier-dev/notifier/internal/web"
)

// serveHTTP starts the HTTP API when the config has http.listen; the
// returned channel is closed once it has stopped (after ctx ends). A
// listen address in use is an error at start, not a log line.
func (d *Daemon) serveHTTP(ctx context.Context) (<-chan struct{}, error) {
	h := d.Config.HTTP
	if h == nil || h.Listen == "" {
		return closedChan(), nil
	}
	l, err := httpapi.Listen(h.Listen)
	if err != nil {
		return closedChan(), fmt.Errorf("http.listen: %w", err)
	}
	var ml net.Listener
	if h.MetricsListen != "" && d.Metrics != nil {
		if ml, err = httpapi.Listen(h.MetricsListen); err != nil {
			l.Close()
			return closedChan(), fmt.Errorf("http.metrics_listen: %w", err)
		}
	}
	done := make(chan struct{})
	o := httpapi.Options{Engine: d.Engine, Database: d.DatabaseID, Logger: d.Logger, Health: d.Health, Metrics: d.Metrics, MetricsApart: ml != nil}
	// Always served: the tokens are read at each request, so a reload
	// that adds or removes http.calendar takes effect at once.
	o.Calendar = web.Calendar(web.CalendarOptions{Engine: d.Engine, Logger: d.Logger, Now: d.WallClock})
	if h.Console != nil {
		console := web.NewReloadable(web.Options{Engine: d.Engine, Console: h.Console, Logger: d.Logger, Now: d.WallClock})
		d.cfgMu.Lock()
		d.console = console
		d.cfgMu.Unlock()
		o.Console = console
		d.Logger.Info("console at /", "users_file", h.Console.UsersFile != "", "proxy", h.Console.Proxy != nil)
	}
	srv := httpapi.New(o)
	d.http = srv
	d.Logger.Info("http listening", "addr", l.Addr().String(), "public_url", h.PublicURL)
	var wg sync.WaitGroup
	serve := func(name string, l net.Listener, serve func(context.Context, net.Listener) error) {
		wg.Go(func() {
			if err := serve(ctx, l); err != nil {
				d.Logger.Error(name, "err", err)
			}
		})
	}
	serve("http server", l, srv.Serve)
	if ml != nil {
		d.Logger.Info("metrics listening", "addr", ml.Addr().String())
		serve("metrics server", ml, srv.ServeMetrics)
	}
	go func() {
		defer close(done)
		wg.Wait()
	}()
	return done, nil
}

// closedChan is a channel that is already closed: nothing to wait for.
func closedChan() <-chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}
