package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"time"

	"github.com/notifier-dev/notifier/internal/chain"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/report"
	"github.com/notifier-dev/notifier/internal/store"
)

// VerifyEvery is how long a "verify now" result is shown again rather
// than walked anew: a walk reads the whole history, and the page is a
// GET anyone signed in may load.
const VerifyEvery = time.Minute

// audit is the auditor's view: the compliance report of a period, the
// chain's head and a verify result. It only reads.
type audit struct {
	s *Server
	// mu lets one walk of the chain run at a time; last is its result.
	mu   sync.Mutex
	last *verifyResult
}

// verifyResult is a walk of the chain and when it finished.
type verifyResult struct {
	At      time.Time
	AtText  string
	OK      bool
	Rows    int64
	Head    string
	Problem string
	Cached  bool
}

// routeAudit adds the auditor's view.
func (s *Server) routeAudit(mux *http.ServeMux) {
	a := &audit{s: s}
	mux.Handle("GET /audit", s.View(http.HandlerFunc(a.page)))
	for _, f := range []string{"html", "csv", "json"} {
		mux.Handle("GET /audit/report."+f, s.View(a.report(f)))
	}
}

// period is the report's window, as the URL holds it (from, until:
// dates or times in the config's zone).
type period struct {
	From, Until string
	filter      domain.ReportFilter
}

// parsePeriod reads the window from the URL.
func parsePeriod(v url.Values, loc *time.Location) (period, error) {
	p := period{From: v.Get("from"), Until: v.Get("until")}
	for _, x := range []struct {
		name, value string
		dst         *time.Time
	}{{"from", p.From, &p.filter.Since}, {"until", p.Until, &p.filter.Until}} {
		if x.value == "" {
			continue
		}
		if len(x.value) > 64 {
			return p, fmt.Errorf("%s: longer than 64 bytes", x.name)
		}
		t, err := config.ParseTime(x.value, loc)
		if err != nil {
			return p, fmt.Errorf("%s: %w", x.name, err)
		}
		*x.dst = t
	}
	if !p.filter.Since.IsZero() && !p.filter.Until.IsZero() && !p.filter.Since.Before(p.filter.Until) {
		return p, errors.New("from is not before until: the period is empty")
	}
	return p, nil
}

// query is the period as URL parameters.
func (p period) query() string {
	v := url.Values{}
	if p.From != "" {
		v.Set("from", p.From)
	}
	if p.Until != "" {
		v.Set("until", p.Until)
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

type auditData struct {
	Who                     who
	CSRF                    string
	Period                  period
	HTML, CSV, JSON         string // the report's links
	HeadID                  int64
	HeadHash                string
	Verify                  *verifyResult
	VerifyLink              string
	Error, Zone, AtText     string
	VerifyEvery, VerifyBusy string
}

// reporter is the store's auditors' side: the engine's store is one
// (SQLite and PostgreSQL alike).
func (a *audit) reporter() (store.Reporter, error) {
	r, ok := a.s.eng.Store().(store.Reporter)
	if !ok {
		return nil, errors.New("console: the store cannot be audited")
	}
	return r, nil
}

// page is /audit: links to the report of the period, the chain's head,
// and with ?verify=1 a walk of the chain (one at a time, its result
// reused for VerifyEvery).
func (a *audit) page(w http.ResponseWriter, r *http.Request) {
	s := a.s
	p := whoFrom(r)
	loc := s.eng.Config().Location
	data := auditData{Who: p, CSRF: s.csrfToken(p), Zone: loc.String(), AtText: s.now().In(loc).Format(timeLayout), VerifyEvery: VerifyEvery.String()}
	per, err := parsePeriod(r.URL.Query(), loc)
	data.Period = per
	if err != nil {
		data.Error = report.Escape(err.Error())
		s.render(w, http.StatusBadRequest, "audit.html", data)
		return
	}
	q := per.query()
	data.HTML, data.CSV, data.JSON = "/audit/report.html"+q, "/audit/report.csv"+q, "/audit/report.json"+q
	vq := url.Values{"verify": {"1"}}
	if per.From != "" {
		vq.Set("from", per.From)
	}
	if per.Until != "" {
		vq.Set("until", per.Until)
	}
	data.VerifyLink = "/audit?" + vq.Encode()
	rep, err := a.reporter()
	if err == nil {
		var head chain.Head
		if head, err = rep.ChainHead(r.Context()); err == nil && head.ID != 0 {
			data.HeadID, data.HeadHash = head.ID, chain.Hex(head.Hash)
		}
	}
	if err == nil && r.URL.Query().Get("verify") != "" {
		data.Verify, err = a.verify(r.Context(), rep)
		if errors.Is(err, errVerifyBusy) {
			data.VerifyBusy, err = "A verify is running; load the page again in a moment.", nil
		}
	}
	if err != nil {
		s.logger.Error("console: audit", "err", err)
		data.Error = "The history could not be read; the log says why."
		s.render(w, http.StatusInternalServerError, "audit.html", data)
		return
	}
	s.render(w, http.StatusOK, "audit.html", data)
}

// errVerifyBusy is a verify asked for while another runs.
var errVerifyBusy = errors.New("a verify is running")

// verify walks the chain (the store's VerifyChain, as `notifier verify`
// does), unless a walk finished less than VerifyEvery ago: its result is
// shown again. One walk runs at a time; another request meanwhile is
// told so rather than queued.
func (a *audit) verify(ctx context.Context, rep store.Reporter) (*verifyResult, error) {
	if !a.mu.TryLock() {
		return nil, errVerifyBusy
	}
	defer a.mu.Unlock()
	now := a.s.now()
	if a.last != nil && now.Sub(a.last.At) < VerifyEvery && !now.Before(a.last.At) {
		v := *a.last
		v.Cached = true
		return &v, nil
	}
	cr, err := rep.VerifyChain(ctx, chain.Options{Key: []byte(a.s.eng.Config().Audit.Key)})
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	loc := a.s.eng.Config().Location
	v := &verifyResult{At: now, AtText: now.In(loc).Format(timeLayout), OK: cr.Problem == nil, Rows: cr.Rows}
	if cr.Head != nil {
		v.Head = chain.Hex(cr.Head)
	}
	if cr.Problem != nil {
		v.Problem = cr.Problem.Detail
		if cr.Problem.Row != 0 {
			v.Problem = fmt.Sprintf("event %d: %s", cr.Problem.Row, cr.Problem.Detail)
		}
	}
	a.last = v
	return v, nil
}

// report serves the compliance report of the URL's period in format f,
// with the renderer of `notifier report -o f`, streamed; CSV and JSON as
// a download.
func (a *audit) report(f string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := a.s
		cfg := s.eng.Config()
		loc := cfg.Location
		per, err := parsePeriod(r.URL.Query(), loc)
		if err != nil {
			http.Error(w, "audit: "+report.Escape(err.Error()), http.StatusBadRequest)
			return
		}
		rep, err := a.reporter()
		if err == nil && !per.filter.Until.IsZero() {
			// The period's times in the zone in force at its end, as the
			// command shows them.
			var tz string
			if tz, err = rep.TimezoneAt(r.Context(), per.filter.Until); err == nil && tz != "" {
				loc, err = time.LoadLocation(tz)
			}
		}
		if err != nil {
			s.logger.Error("console: audit report", "err", err)
			http.Error(w, "audit: the report could not be made; the log says why", http.StatusInternalServerError)
			return
		}
		switch f {
		case "html":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			// The report's page carries its own style, and nothing else.
			w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		case "csv":
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="notifier-report.csv"`)
		case "json":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Disposition", `attachment; filename="notifier-report.json"`)
		}
		h := report.Header{At: s.now().Truncate(time.Second), Filter: per.filter, Database: databaseName(cfg.Database), Loc: loc}
		if err := report.Compliance(r.Context(), w, f, rep, h); err != nil {
			// The header may be out: the log says why, the download ends short.
			s.logger.Error("console: audit report", "format", f, "err", err)
		}
	})
}

// databaseName is how a report names the database: a SQLite file by its
// name, a PostgreSQL URL (which may hold a password) by its kind.
func databaseName(dsn string) string {
	if domain.IsDatabaseURL(dsn) {
		return "PostgreSQL"
	}
	return filepath.Base(dsn)
}
