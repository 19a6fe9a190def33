package daemon

import (
	"context"
	"fmt"

	"github.com/notifier-dev/notifier/internal/httpapi"
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
	done := make(chan struct{})
	srv := httpapi.New(httpapi.Options{Engine: d.Engine, Database: d.DatabaseID, Logger: d.Logger, Health: d.Health, Metrics: d.Metrics})
	d.Logger.Info("http listening", "addr", l.Addr().String(), "public_url", h.PublicURL)
	go func() {
		defer close(done)
		if err := srv.Serve(ctx, l); err != nil {
			d.Logger.Error("http server", "err", err)
		}
	}()
	return done, nil
}

// closedChan is a channel that is already closed: nothing to wait for.
func closedChan() <-chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}
