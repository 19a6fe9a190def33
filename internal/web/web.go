// Package web is the console: server-rendered pages (html/template,
// assets embedded, no JavaScript) over the engine's read-only views, and
// who may see and act there (a users file with signed session cookies, or
// an authenticating proxy's header). httpapi mounts it at /; the ack
// links, the interactions endpoint, /healthz, /readyz and /metrics stay
// httpapi's. A page never writes.
package web

import (
	"crypto/rand"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/report"
)

//go:embed templates/*.html assets/*
var files embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{"text": display}).ParseFS(files, "templates/*.html"))

// Options configure a Server.
type Options struct {
	Engine  *engine.Engine
	Console *config.Console
	Logger  *slog.Logger     // nil: discard
	Now     func() time.Time // the wall clock (default time.Now)
	// ProcessKey signs sessions and forms when the config gives no
	// session_key: a random key of this process (NewReloadable makes one
	// and keeps it across reloads), so sessions end when notifier
	// restarts and replicas do not share them. Empty: New makes one.
	ProcessKey []byte
}

// randomKey is a process's session key when the config gives none.
func randomKey() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic("web: no randomness for a session key: " + err.Error()) // crypto/rand does not fail on Linux
	}
	return k
}

// Server is the console.
type Server struct {
	eng     *engine.Engine
	cfg     *config.Console
	logger  *slog.Logger
	now     func() time.Time
	handler http.Handler
	cop     *http.CrossOriginProtection
	// stateCounts are the fleet page's counts per state (counts).
	stateCounts stateCounts
}

// New returns the console of o.Console.
func New(o Options) *Server {
	if o.Console.SessionKey == "" {
		if o.ProcessKey == nil {
			o.ProcessKey = randomKey()
		}
		c := *o.Console
		c.SessionKey = channels.Secret(o.ProcessKey)
		o.Console = &c
	}
	s := &Server{eng: o.Engine, cfg: o.Console, logger: o.Logger, now: o.Now, cop: http.NewCrossOriginProtection()}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	mux := http.NewServeMux()
	mux.Handle("GET /assets/", http.FileServerFS(files))
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.Handle("POST /logout", s.Act(config.RoleViewer, http.HandlerFunc(s.logout)))
	mux.Handle("GET /{$}", s.View(http.HandlerFunc(s.fleet)))
	s.routeCredential(mux)
	s.routeAudit(mux)
	// Every state-changing request is refused across origins (the
	// browser's Sec-Fetch-Site / Origin), besides the form's token.
	// The JSON API (api.go) answers bearer tokens only, never cookies.
	root := http.NewServeMux()
	root.Handle("/api/", s.apiHandler())
	root.Handle("/", s.cop.Handler(mux))
	s.handler = root
	return s
}

// Handler serves the console.
func (s *Server) Handler() http.Handler { return s.handler }

// Reloadable is the console of the config in force: a reload swaps in a
// Server of the new http.console block (its users file read again), so
// that a user removed from the file is out, sessions and all, without a
// restart. Each request is served by the Server in force when it came.
type Reloadable struct {
	o   Options
	cur atomic.Pointer[Server]
}

// NewReloadable returns the console of o.Console, swapped by SetConsole.
func NewReloadable(o Options) *Reloadable {
	if o.ProcessKey == nil {
		o.ProcessKey = randomKey()
	}
	r := &Reloadable{o: o}
	r.cur.Store(New(o))
	return r
}

// SetConsole serves the console of c from now on.
func (r *Reloadable) SetConsole(c *config.Console) {
	o := r.o
	o.Console = c
	r.cur.Store(New(o))
}

// ServeHTTP serves req with the console in force.
func (r *Reloadable) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.cur.Load().Handler().ServeHTTP(w, req)
}

// whoKey is where View and Act put the request's person.
type whoKey struct{}

// View serves h to anyone signed in (any role); nobody is sent to the
// login form (or refused, behind a proxy that named nobody).
func (s *Server) View(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		p, ok, err := s.identify(r)
		switch {
		case err != nil:
			s.refuseUntrusted(w, r)
		case !ok && s.cfg.Users != nil:
			http.Redirect(w, r, "/login", http.StatusSeeOther)
		case !ok:
			http.Error(w, "console: the proxy named no user", http.StatusUnauthorized)
		default:
			h.ServeHTTP(w, r.WithContext(withWho(r, p)))
		}
	})
}

// Act serves a POST h to a person with at least role, whose form carries
// their CSRF token; anyone else is refused before h runs (nothing is
// written).
func (s *Server) Act(role string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		p, ok, err := s.identify(r)
		switch {
		case err != nil:
			s.refuseUntrusted(w, r)
		case s.cop.Check(r) != nil:
			http.Error(w, "console: a request from another site is refused", http.StatusForbidden)
		case !ok:
			http.Error(w, "console: sign in first (the session is missing or expired)", http.StatusUnauthorized)
		case !s.checkCSRF(r, p):
			s.logger.Warn("console: a form without its token refused", "path", r.URL.Path, "user", report.Escape(p.User))
			http.Error(w, "console: the form's token is missing or wrong: reload the page and try again", http.StatusForbidden)
		case role == config.RoleResponder && !p.canAct():
			http.Error(w, "console: "+p.Role+"s cannot act; ask for the responder role", http.StatusForbidden)
		default:
			h.ServeHTTP(w, r.WithContext(withWho(r, p)))
		}
	})
}

// maxForm bounds a form's body.
const maxForm = 64 << 10

// refuseUntrusted refuses (and logs) a proxy's header from an address
// not trusted.
func (s *Server) refuseUntrusted(w http.ResponseWriter, r *http.Request) {
	s.logger.Warn("console: proxy user header from an untrusted address refused", "remote", r.RemoteAddr, "path", r.URL.Path)
	http.Error(w, "console: a user header is only believed from the configured proxy", http.StatusForbidden)
}

// loginPage shows the login form.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	if s.cfg.Users == nil {
		http.Error(w, "console: sign in through the proxy", http.StatusNotFound)
		return
	}
	s.render(w, http.StatusOK, "login.html", loginData{})
}

type loginData struct {
	User, Error string
}

// login checks the user's password and starts a session.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if s.cfg.Users == nil {
		http.Error(w, "console: sign in through the proxy", http.StatusNotFound)
		return
	}
	user, password := r.PostFormValue("user"), r.PostFormValue("password")
	if user == "" || !s.checkPassword(user, password) {
		s.logger.Warn("console: login refused", "user", report.Escape(truncate(user, 64)), "remote", r.RemoteAddr)
		s.render(w, http.StatusUnauthorized, "login.html", loginData{User: user, Error: "Wrong user name or password."})
		return
	}
	s.setSession(w, r, s.newSession(user))
	s.logger.Info("console: signed in", "user", report.Escape(user))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// logout ends the session.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	s.setSession(w, r, "")
	if s.cfg.Users == nil {
		http.Error(w, "console: sign out at the proxy", http.StatusOK)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// render executes a page; a failure after the header is only logged.
func (s *Server) render(w http.ResponseWriter, code int, page string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	if err := pages.ExecuteTemplate(w, page, data); err != nil {
		s.logger.Error("console: render", "page", page, "err", err)
	}
}

// securityHeaders are set on every page: no framing, no referrer, nothing
// loaded from elsewhere, nothing cached.
func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
}
