package httpapi

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Health is what /readyz judges besides the database: the daemon sets it
// as it runs.
type Health struct {
	mu        sync.Mutex
	config    bool     // a config is loaded
	lease     bool     // this process holds the database's lease
	tickErr   string   // the last tick's failure; empty when it succeeded
	reloadErr string   // the last reload's failure; empty when it succeeded
	refused   []string // the credential files the last sync refused, with their first problem
	check     func() error
	// synced: this process's first tick has synced the config into the
	// database (or tried to); until then the database may not hold what
	// the config says, and the calendar feed answers 503 rather than a
	// calendar a client would take for the truth (and drop its events).
	synced bool
}

// SetSynced records that the first tick has run: the feeds that show the
// config's credentials may answer.
func (h *Health) SetSynced() { h.set(func() { h.synced = true }) }

// Synced reports whether SetSynced was called.
func (h *Health) Synced() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.synced
}

// SetCheck gives a check /readyz runs at each request, besides the
// database's ping (the daemon's: the file at the database's path is still
// the one it opened).
func (h *Health) SetCheck(check func() error) { h.set(func() { h.check = check }) }

// NewHealth returns a Health that is not ready: no config, no lease.
func NewHealth() *Health { return &Health{} }

// SetConfigLoaded records that a valid config is in use.
func (h *Health) SetConfigLoaded(ok bool) { h.set(func() { h.config = ok }) }

// SetLease records whether this process holds the database's lease.
func (h *Health) SetLease(held bool) { h.set(func() { h.lease = held }) }

// SetTick records the last tick's outcome.
func (h *Health) SetTick(err error) { h.set(func() { h.tickErr = errText(err) }) }

// SetReload records the last reload's outcome: a refused config keeps the
// old one running, and /readyz says so until a good one is loaded.
func (h *Health) SetReload(err error) { h.set(func() { h.reloadErr = errText(err) }) }

// SetRefused records the credential files the last sync refused (each
// with its file:line and first problem): /readyz names them until good
// versions are synced.
func (h *Health) SetRefused(problems []string) {
	h.set(func() { h.refused = slices.Clone(problems) })
}

func (h *Health) set(f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f()
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// problems are the reasons the daemon is not ready, in a fixed order.
func (h *Health) problems() []string {
	h.mu.Lock()
	check := h.check
	h.mu.Unlock()
	var out []string
	if check != nil {
		if err := check(); err != nil {
			out = append(out, err.Error())
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.config {
		out = append(out, "config: not loaded")
	}
	if !h.lease {
		out = append(out, "lease: not held (another notifier run holds the database, or this one is standing by)")
	}
	if h.tickErr != "" {
		out = append(out, "last tick failed: "+h.tickErr)
	}
	if h.reloadErr != "" {
		out = append(out, "config reload failed, running on the previous config: "+h.reloadErr)
	}
	for _, p := range h.refused {
		out = append(out, "config file refused, its last synced version stands: "+p)
	}
	return out
}

// pingTimeout bounds /readyz's database check.
const pingTimeout = 2 * time.Second

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), pingTimeout)
	defer cancel()
	var problems []string
	if err := s.eng.Store().Ping(ctx); err != nil {
		problems = append(problems, "database: "+err.Error())
	}
	if err := s.eng.Unrecorded(); err != nil {
		// Reminders were sent whose outcomes the database refused (a full
		// disk): nothing more is sent until they are recorded.
		problems = append(problems, "outcomes not recorded: "+err.Error())
	}
	problems = append(problems, s.health.problems()...)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if len(problems) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not ready\n" + s.eng.Redactor().String(strings.Join(problems, "\n")) + "\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}
