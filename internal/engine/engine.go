// Package engine joins the parts: it syncs the config files that changed
// into the store, plans the cycles whose next action has come, claims due
// deliveries and sends them through the channels, a small pool of workers
// per channel, and records every outcome. It also records rotations and
// acknowledgments. It is the only package that knows both the store and the
// channels; it consumes the store's roles (store.Engine).
//
// Secrets: the engine owns one channels.Redactor. SetConfig registers with
// it every value the config took from ${ENV} and hands it to every channel
// it builds, which registers its own secrets' wire forms; the text of every
// failed send is redacted in attempt, the one place where it becomes the
// delivery's last error, the history event's detail and the log line.
package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/store"
)

// Engine evaluates and delivers reminders. One tick (or retry pass) runs at
// a time in a process; acknowledgments, rotations and status never wait
// for it, since no lock is held across a network call.
type Engine struct {
	store       store.Engine
	logger      *slog.Logger
	stdout      io.Writer
	httpClient  *http.Client
	sendTimeout time.Duration
	grace       time.Duration
	claimTTL    time.Duration
	claimant    string
	redactor    *channels.Redactor
	wallClock   func() time.Time
	ackLinks    AckLinker
	observer    Observer
	sources     SourceReader
	prober      Prober

	tickMu sync.Mutex // one sync, tick or retry pass at a time

	refused refusals // the config files the last sync refused

	unrecordedMu sync.Mutex
	unrecorded   error // why outcomes wait to be recorded; nil when none does

	mu      sync.RWMutex // guards the fields below, swapped by SetConfig
	cfg     *config.Config
	chans   map[string]channels.Channel
	ladders map[string]ladder
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

// WithShutdownGrace is how long sends in flight may finish once the tick's
// context is cancelled, before they are cancelled too and their deliveries
// given back for the next start (default 5s).
func WithShutdownGrace(d time.Duration) Option { return func(e *Engine) { e.grace = d } }

// WithClaimant names this engine in the claims it takes (default: host,
// process id and a random suffix, unique per engine).
func WithClaimant(name string) Option { return func(e *Engine) { e.claimant = name } }

// WithRedactor sets the Redactor the engine registers the config's
// secrets with, hands its channels, and redacts every send's error with
// (default: a new one).
func WithRedactor(r *channels.Redactor) Option { return func(e *Engine) { e.redactor = r } }

// WithWallClock sets the real clock that acknowledgments and rotations are
// judged by (default time.Now): tests that simulate a later day inject one.
// It is not the simulated moment (--at) of a tick: a record may be dated
// back, never ahead of this clock.
func WithWallClock(now func() time.Time) Option { return func(e *Engine) { e.wallClock = now } }

// New returns an engine on an open store and a loaded config, with its
// channels built (offline: nothing is contacted).
func New(store store.Engine, cfg *config.Config, opts ...Option) (*Engine, error) {
	e := &Engine{
		store:       store,
		logger:      slog.New(slog.DiscardHandler),
		sendTimeout: 30 * time.Second,
		grace:       5 * time.Second,
		claimTTL:    DefaultClaimTTL,
		wallClock:   time.Now,
	}
	for _, o := range opts {
		o(e)
	}
	if e.claimant == "" {
		e.claimant = Claimant()
	}
	if e.redactor == nil {
		e.redactor = channels.NewRedactor()
	}
	if err := e.SetConfig(cfg); err != nil {
		return nil, err
	}
	return e, nil
}

// Claimant is a name for this process that no other process shares:
// host, process id and a random suffix.
func Claimant() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// ParseClaimant reads the host and process id out of a name Claimant
// made; ok is false for any other name (one given WithClaimant).
func ParseClaimant(name string) (host string, pid int, ok bool) {
	rest, suffix, found := cutLast(name, ":")
	if !found || len(suffix) != 8 {
		return "", 0, false
	}
	if _, err := hex.DecodeString(suffix); err != nil {
		return "", 0, false
	}
	host, p, found := cutLast(rest, ":")
	if !found || host == "" {
		return "", 0, false
	}
	pid, err := strconv.Atoi(p)
	if err != nil || pid <= 0 || strconv.Itoa(pid) != p {
		return "", 0, false
	}
	return host, pid, true
}

func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// Name is the claimant name the engine uses.
func (e *Engine) Name() string { return e.claimant }

// SetConfig swaps in a newly loaded config, rebuilding the channels and
// the ladders; the daemon calls it when the main file changes.
// The config's ${ENV} values are registered with the engine's Redactor
// first; those of earlier configs stay registered.
func (e *Engine) SetConfig(cfg *config.Config) error {
	e.redactor.Add(cfg.Secrets()...)
	chans, err := BuildChannels(cfg, channels.Options{Logger: e.logger, HTTPClient: e.httpClient, Stdout: e.stdout, Redactor: e.redactor})
	if err != nil {
		return err
	}
	ladders := make(map[string]ladder, len(cfg.Policies))
	for name, p := range cfg.Policies {
		ladders[name] = newLadder(p)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cfg, e.chans, e.ladders = cfg, chans, ladders
	return nil
}

// Redactor is the engine's Redactor: every secret of its configs and
// channels is registered with it.
func (e *Engine) Redactor() *channels.Redactor { return e.redactor }

// Config returns the config in use.
func (e *Engine) Config() *config.Config {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.cfg
}

// view is the config, channels and ladders of one operation: a reload in
// the middle does not mix two configs.
type view struct {
	cfg     *config.Config
	chans   map[string]channels.Channel
	ladders map[string]ladder
}

func (e *Engine) view() view {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return view{e.cfg, e.chans, e.ladders}
}

// BuildChannels builds every channel of cfg.
func BuildChannels(cfg *config.Config, opts channels.Options) (map[string]channels.Channel, error) {
	out := make(map[string]channels.Channel, len(cfg.Channels))
	for name, ch := range cfg.Channels {
		opts := opts
		opts.Concurrency = ch.Concurrency
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
	Status     string // domain.StatusSent, StatusRetry, StatusFailed, StatusSkipped or StatusReleased
	Detail     string
}

// Report is what a tick did.
type Report struct {
	mu       sync.Mutex
	Outcomes []Outcome
}

func (r *Report) add(o Outcome) {
	r.mu.Lock()
	r.Outcomes = append(r.Outcomes, o)
	r.mu.Unlock()
}

// Count returns how many outcomes have the status.
func (r *Report) Count(status string) int {
	n := 0
	for _, o := range r.Outcomes {
		if o.Status == status {
			n++
		}
	}
	return n
}

// Unrecorded says why outcomes of sent (or tried) reminders are waiting
// to be recorded, the database refusing them (a full disk, say): while
// it is not nil, nothing more is claimed or sent. /readyz reports it.
func (e *Engine) Unrecorded() error {
	e.unrecordedMu.Lock()
	defer e.unrecordedMu.Unlock()
	return e.unrecorded
}

func (e *Engine) setUnrecorded(err error) {
	e.unrecordedMu.Lock()
	defer e.unrecordedMu.Unlock()
	e.unrecorded = err
}

// Tick is one evaluation at now: sync the config files that changed and
// read the credentials' AWS sources, plan the cycles whose next action has
// come, then deliver everything due.
// Running it twice at the same now, or in two processes at once, sends
// nothing twice.
func (e *Engine) Tick(ctx context.Context, now time.Time) (*Report, error) {
	e.tickMu.Lock()
	defer e.tickMu.Unlock()
	now = normalize(now)
	v := e.view()
	rep := &Report{}
	if err := e.syncConfig(ctx, v, now); err != nil {
		return rep, err
	}
	e.refusedProblems(ctx)
	e.syncSources(ctx, now)
	if err := e.planDue(ctx, v, now, rep); err != nil {
		return rep, err
	}
	err := e.dispatch(ctx, v, now, rep)
	e.channelProblems(ctx, rep)
	err = errors.Join(err, e.digests(ctx, v, now))
	if err != nil {
		err = &DispatchError{Err: err}
	}
	return rep, err
}

// DispatchError is a tick that synced and planned but failed to send or
// record what it sent: a later Retry that succeeds has done that part
// again, so the failure is over (the daemon's /readyz says so).
type DispatchError struct{ Err error }

func (e *DispatchError) Error() string { return e.Err.Error() }
func (e *DispatchError) Unwrap() error { return e.Err }

// Retry delivers the pending deliveries whose next attempt is due, without
// planning anything new: the daemon runs it between ticks.
func (e *Engine) Retry(ctx context.Context, now time.Time) (*Report, error) {
	e.tickMu.Lock()
	defer e.tickMu.Unlock()
	rep := &Report{}
	v, now := e.view(), normalize(now)
	err := e.dispatch(ctx, v, now, rep)
	e.channelProblems(ctx, rep)
	return rep, errors.Join(err, e.digests(ctx, v, now))
}

// Sync records the config files that changed in the store, and the new
// versions of the credentials' AWS sources, without planning or sending.
func (e *Engine) Sync(ctx context.Context, now time.Time) error {
	e.tickMu.Lock()
	defer e.tickMu.Unlock()
	now = normalize(now)
	if err := e.syncConfig(ctx, e.view(), now); err != nil {
		return err
	}
	e.syncSources(ctx, now)
	return nil
}

// normalize keeps times at whole seconds in UTC, as they are stored.
func normalize(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// Backoff is how long to wait after the attempts-th failed attempt:
// InitialBackoff doubled each time, at most MaxBackoff. It is a pure
// function of the stored attempt count, so retries survive a restart.
func Backoff(r config.Retry, attempts int) time.Duration {
	d := r.InitialBackoff
	for i := 1; i < attempts; i++ {
		if d > r.MaxBackoff/2 { // doubling would reach it, or overflow
			return r.MaxBackoff
		}
		d *= 2
	}
	if d > r.MaxBackoff {
		return r.MaxBackoff
	}
	return d
}

// SyncConfig syncs the config files that changed, without reading AWS
// sources, planning or sending: the daemon's reload runs it, so that an
// edit is recorded at once (a rotation closes its cycle and sets the new
// one's next action; what is due is sent on check_schedule, as ever).
// With wait false it does nothing, and reports so, while a tick or retry
// pass runs.
func (e *Engine) SyncConfig(ctx context.Context, now time.Time, wait bool) (ran bool, err error) {
	if !wait && !e.tickMu.TryLock() {
		return false, nil
	} else if wait {
		e.tickMu.Lock()
	}
	defer e.tickMu.Unlock()
	now = normalize(now)
	if err := e.syncConfig(ctx, e.view(), now); err != nil {
		return true, err
	}
	e.refusedProblems(ctx)
	return true, nil
}
