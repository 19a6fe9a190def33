// Package engine joins the parts: it syncs the config into the store, asks
// the schedule what is due, enqueues deliveries in the outbox, sends them
// through the channels and records every outcome. It also records
// rotations and acknowledgments. It is the only package that knows both
// the store and the channels.
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/db"
)

// Engine evaluates and delivers reminders. Its operations are serialized:
// a cron tick and a retry pass never run at once.
type Engine struct {
	store       *db.DB
	logger      *slog.Logger
	stdout      io.Writer
	httpClient  *http.Client
	sendTimeout time.Duration

	mu    sync.Mutex
	cfg   *config.Config
	chans map[string]channels.Channel
}

// Option configures an Engine.
type Option func(*Engine)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(e *Engine) { e.logger = l } }

// WithStdout sets where stdout channels print (default: os.Stdout).
func WithStdout(w io.Writer) Option { return func(e *Engine) { e.stdout = w } }

// WithHTTPClient sets the client HTTP integrations use (default: each
// integration's own, with its timeout).
func WithHTTPClient(c *http.Client) Option { return func(e *Engine) { e.httpClient = c } }

// WithSendTimeout bounds one Send (default 30s).
func WithSendTimeout(d time.Duration) Option { return func(e *Engine) { e.sendTimeout = d } }

// New returns an engine on an open store and a loaded config, with its
// channels built (offline: nothing is contacted).
func New(store *db.DB, cfg *config.Config, opts ...Option) (*Engine, error) {
	e := &Engine{
		store:       store,
		logger:      slog.New(slog.DiscardHandler),
		sendTimeout: 30 * time.Second,
	}
	for _, o := range opts {
		o(e)
	}
	if err := e.SetConfig(cfg); err != nil {
		return nil, err
	}
	return e, nil
}

// SetConfig swaps in a newly loaded config and rebuilds the channels; the
// daemon calls it when the file changes.
func (e *Engine) SetConfig(cfg *config.Config) error {
	chans, err := BuildChannels(cfg, channels.Options{Logger: e.logger, HTTPClient: e.httpClient, Stdout: e.stdout})
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cfg, e.chans = cfg, chans
	return nil
}

// Config returns the config in use.
func (e *Engine) Config() *config.Config {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cfg
}

// BuildChannels builds every channel of cfg.
func BuildChannels(cfg *config.Config, opts channels.Options) (map[string]channels.Channel, error) {
	out := make(map[string]channels.Channel, len(cfg.Channels))
	for name, ch := range cfg.Channels {
		opts := opts
		if opts.Logger != nil {
			opts.Logger = opts.Logger.With("channel", name)
		}
		c, err := ch.Config.Build(name, opts)
		if err != nil {
			return nil, fmt.Errorf("channel %s: %w", name, err)
		}
		out[name] = c
	}
	return out, nil
}

// Outcome is what happened to one delivery (or skipped stage) in a tick.
type Outcome struct {
	Credential string
	Stage      string
	Seq        int
	Channel    string
	Status     string // db.StatusSent, StatusRetry, StatusFailed or StatusSkipped
	Detail     string
}

// Report is what a tick did.
type Report struct {
	Outcomes []Outcome
}

// Count returns how many outcomes have the status.
func (r Report) Count(status string) int {
	n := 0
	for _, o := range r.Outcomes {
		if o.Status == status {
			n++
		}
	}
	return n
}

// Tick is one evaluation at now: sync the config, plan every open cycle,
// enqueue what is due, then deliver everything pending. Running it twice at
// the same now sends nothing new.
func (e *Engine) Tick(ctx context.Context, now time.Time) (Report, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now = normalize(now)
	var rep Report
	if err := e.sync(ctx, now); err != nil {
		return rep, err
	}
	if err := e.enqueue(ctx, now, &rep); err != nil {
		return rep, err
	}
	err := e.dispatch(ctx, now, &rep)
	return rep, err
}

// Retry delivers the pending deliveries whose next attempt is due, without
// planning anything new: the daemon runs it between ticks.
func (e *Engine) Retry(ctx context.Context, now time.Time) (Report, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var rep Report
	err := e.dispatch(ctx, normalize(now), &rep)
	return rep, err
}

// Sync records the config in the store without planning or sending.
func (e *Engine) Sync(ctx context.Context, now time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.sync(ctx, normalize(now))
}

// normalize keeps times at whole seconds in UTC, as they are stored.
func normalize(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// Backoff is how long to wait after the attempts-th failed attempt:
// InitialBackoff doubled each time, at most MaxBackoff. It is a pure
// function of the stored attempt count, so retries survive a restart.
func Backoff(r config.Retry, attempts int) time.Duration {
	d := r.InitialBackoff
	for i := 1; i < attempts; i++ {
		d *= 2
		if d >= r.MaxBackoff {
			return r.MaxBackoff
		}
	}
	if d > r.MaxBackoff {
		return r.MaxBackoff
	}
	return d
}

// Errors a CLI or HTTP caller can tell apart.
var (
	ErrUnknownCredential = errors.New("unknown credential")
	ErrInactive          = errors.New("credential is inactive")
	ErrNotNewer          = errors.New("rotation is not newer than the latest recorded one")
)
