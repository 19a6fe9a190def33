// Package httpapi is the HTTP side of `notifier run`: the ack links that
// messages carry (GET shows a page, POST acknowledges), one endpoint for
// the buttons of interactive channels (Slack's Acknowledge), /healthz,
// /readyz and /metrics. It sits above the engine: it acknowledges through
// it and reads the store through it. It knows no service: a channel
// verifies, parses and updates its own interactions.
package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/notifier-dev/notifier/internal/engine"
)

// Timeouts of the server: a slow or stalled client holds a connection for
// at most these.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 15 * time.Second
	WriteTimeout      = 30 * time.Second
	IdleTimeout       = 60 * time.Second
	MaxHeaderBytes    = 16 << 10
	// MaxInFlight is how many requests are served at once; one more is
	// answered 503 with Retry-After at once, so that a flood of requests
	// (scrapes, page views) holds neither memory nor database connections
	// beyond it.
	MaxInFlight = 64
	// ShutdownGrace is how long requests in flight get at shutdown, well
	// within the daemon's 15 s stop grace.
	ShutdownGrace = 5 * time.Second
)

// Server serves the HTTP API.
type Server struct {
	eng      *engine.Engine
	database string
	logger   *slog.Logger
	now      func() time.Time
	health   *Health
	metrics  *Metrics
	mux      *http.ServeMux
	metricsH http.Handler // /metrics alone, within its own limit, when apart
	clicks   clicks       // interactions handled lately: a replay changes nothing
	handler  http.Handler // mux within the concurrency limit
}

// Options configure a Server.
type Options struct {
	Engine *engine.Engine
	// Database is the id of the engine's database (store.Reader's
	// DatabaseID): ack links issued by another database are refused, and
	// every link is when it is empty.
	Database string
	Logger   *slog.Logger     // nil: discard
	Now      func() time.Time // the real clock (default time.Now); also Metrics's
	Health   *Health          // nil: a new one, ready once set so
	Metrics  *Metrics         // nil: no /metrics
	// MetricsApart leaves /metrics out of Handler: MetricsHandler serves
	// it on an address of its own.
	MetricsApart bool
	// Console is the web console (internal/web), served at / beneath
	// every route above; nil: / is 404.
	Console http.Handler
	// Calendar serves /calendar.ics (internal/web.Calendar); nil: 404.
	Calendar http.Handler
}

// New returns a Server; it does not listen (see Serve, or use Handler).
func New(o Options) *Server {
	s := &Server{eng: o.Engine, database: o.Database, logger: o.Logger, now: o.Now, health: o.Health, metrics: o.Metrics, mux: http.NewServeMux()}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	} else if s.metrics != nil {
		s.metrics.SetClock(s.now)
	}
	if s.health == nil {
		s.health = NewHealth()
	}
	s.mux.HandleFunc("GET /ack/{token}", s.ackPage)
	s.mux.HandleFunc("POST /ack/{token}", s.ackPost)
	// One handler for every interactive channel; /slack/interactions is
	// the URL Slack apps are set up with.
	s.mux.HandleFunc("POST /slack/interactions", s.interactions(s.slackChannels))
	s.mux.HandleFunc("POST /interactions/{channel}", s.interactions(s.namedChannel))
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	if o.Calendar != nil {
		cal := o.Calendar
		if o.Health != nil { // the daemon's: it says when the first sync ran
			cal = s.afterFirstSync(cal)
		}
		s.mux.Handle("GET /calendar.ics", cal)
	}
	if o.Console != nil {
		console := o.Console
		if o.Health != nil { // the daemon's: its fleet is the database's once synced
			console = s.afterFirstSync(console)
		}
		s.mux.Handle("/", console)
	}
	if s.metrics != nil && o.MetricsApart {
		m := http.NewServeMux()
		m.Handle("GET /metrics", s.metrics.Handler(s.eng.Store(), s.eng.Config, s.logger))
		s.metricsH = limit(MaxInFlight, m)
	} else if s.metrics != nil {
		s.mux.Handle("GET /metrics", s.metrics.Handler(s.eng.Store(), s.eng.Config, s.logger))
	}
	// /healthz (liveness, which reads nothing) stays outside the limit: a
	// flood must not get the daemon restarted by its supervisor.
	limited := limit(MaxInFlight, s.mux)
	s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			s.mux.ServeHTTP(w, r)
			return
		}
		limited.ServeHTTP(w, r)
	})
	return s
}

// Handler is the API's handler, within the concurrency limit (all but
// /healthz).
func (s *Server) Handler() http.Handler { return s.handler }

// limit serves at most n requests at once with h; one more is answered
// 503 with Retry-After at once.
func limit(n int, h http.Handler) http.Handler {
	slots := make(chan struct{}, n)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
			h.ServeHTTP(w, r)
		default:
			w.Header().Set("Retry-After", "1")
			w.Header().Set("Cache-Control", "no-store")
			http.Error(w, "too many requests in flight: try again shortly", http.StatusServiceUnavailable)
		}
	})
}

// Listen opens the listener (so that a port in use is an error at start).
func Listen(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }

// PrefetchMetrics reads the database's part of /metrics now, as the next
// scrape would, and logs what it took (seconds at a million
// credentials): the daemon reads it before it says it is running, so that
// the first scrape is answered at once. A failed read is logged: the
// scrape then reads again. Without metrics it does nothing.
func (s *Server) PrefetchMetrics(ctx context.Context) {
	if s.metrics == nil {
		return
	}
	start := time.Now()
	if err := s.metrics.Prefetch(ctx, s.eng.Store(), s.eng.Config, s.logger); err != nil {
		s.logger.Warn("metrics not read", "err", err)
		return
	}
	s.logger.Info("metrics read", "took", time.Since(start).Round(time.Millisecond))
}

// RefreshMetrics reads what the next scrape of /metrics will serve now
// (there is no answer yet), then again after each write recorded, looking
// every poll, at most once per gap (see Metrics.Refresh), until ctx ends;
// without metrics it does nothing.
func (s *Server) RefreshMetrics(ctx context.Context, poll, gap time.Duration) {
	if s.metrics == nil {
		return
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	s.metrics.Refresh(ctx, s.eng.Store(), s.eng.Config, s.logger, t.C, gap)
}

// MetricsHandler serves /metrics alone when Options.MetricsApart (else
// nil).
func (s *Server) MetricsHandler() http.Handler { return s.metricsH }

// Serve serves on l until ctx ends, then gives requests in flight
// ShutdownGrace.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	return s.serve(ctx, l, s.handler)
}

// ServeMetrics serves MetricsHandler on l as Serve serves the API.
func (s *Server) ServeMetrics(ctx context.Context, l net.Listener) error {
	return s.serve(ctx, l, s.metricsH)
}

func (s *Server) serve(ctx context.Context, l net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if e := <-done; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}

// securityHeaders are set on every page: no framing, no referrer (the
// token is in the URL), nothing loaded from elsewhere, nothing cached.
func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
}

// afterFirstSync answers 503 with Retry-After until the daemon's first
// tick has synced the config: a calendar, a fleet page or its counts read
// from a database the config was not yet synced into (the first start,
// credentials added while it was stopped) would be taken for the whole
// truth.
func (s *Server) afterFirstSync(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.health.Synced() {
			w.Header().Set("Retry-After", "10")
			http.Error(w, "notifier is starting: the config is not synced yet", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	})
}
