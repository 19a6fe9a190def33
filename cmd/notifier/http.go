package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/httpapi"
)

// ReloadSpec is how often the daemon looks (a stat) for a changed main
// config file between ticks.
const ReloadSpec = "@every 30s"

// serveHTTP starts the HTTP API when the config has http.listen; the
// returned channel is closed once it has stopped (after ctx ends). A
// listen address in use is an error at start, not a log line.
func (m *Main) serveHTTP(ctx context.Context) (<-chan struct{}, error) {
	h := m.Config.HTTP
	if h == nil || h.Listen == "" {
		return closedChan(), nil
	}
	l, err := httpapi.Listen(h.Listen)
	if err != nil {
		return closedChan(), fmt.Errorf("http.listen: %w", err)
	}
	done := make(chan struct{})
	srv := httpapi.New(httpapi.Options{Engine: m.Engine, Logger: m.Logger, Health: m.Health, Metrics: m.Metrics})
	m.Logger.Info("http listening", "addr", l.Addr().String(), "public_url", h.PublicURL)
	go func() {
		defer close(done)
		if err := srv.Serve(ctx, l); err != nil {
			m.Logger.Error("http server", "err", err)
		}
	}()
	return done, nil
}

// reloadOnHUP reloads the main config file at every SIGHUP until ctx ends.
func (m *Main) reloadOnHUP(ctx context.Context) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			m.Logger.Info("SIGHUP: reloading the config")
			m.reload(true)
		}
	}
}

// refused records a refused reload of the main file as it was (st).
func (m *Main) refused(st domain.ConfigFile, err error) {
	m.rejected = st
	m.Health.SetReload(err)
	m.Metrics.ObserveReload(time.Now(), err)
}

func httpChanged(a, b *config.HTTP) bool {
	listen := func(h *config.HTTP) string {
		if h == nil {
			return ""
		}
		return h.Listen
	}
	return listen(a) != listen(b)
}

// httpSummary is check's line for the http: block, without the secret.
func httpSummary(h *config.HTTP) string {
	if h == nil {
		return ""
	}
	links := "no ack links (no public_url)"
	if h.PublicURL != "" {
		links = "ack links " + h.PublicURL + "/ack/…, valid until the cycle ends"
		if h.AckLinkTTL > 0 {
			links = fmt.Sprintf("ack links %s/ack/…, valid %s", h.PublicURL, h.AckLinkTTL)
		}
	}
	return fmt.Sprintf("  http:        %s; %s\n", h.Listen, links)
}

func closedChan() <-chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}
