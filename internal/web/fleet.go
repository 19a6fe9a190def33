package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/report"
)

// PageSize is how many credentials a fleet page shows.
const PageSize = 50

// maxShown is how many characters of a name, owner or note a page shows.
const maxShown = 120

// states are the fleet's states, as the filter offers them: the status
// view's, with "retired" for a credential no longer in the config.
var states = []struct{ Value, Label string }{
	{"", "any"}, {engine.StateOK, "ok"}, {engine.StateDue, "due"}, {engine.StateOverdue, "overdue"}, {engine.StateRotated, "rotated"}, {engine.StateInactive, "retired"},
}

func withWho(r *http.Request, p who) context.Context {
	return context.WithValue(r.Context(), whoKey{}, p)
}

func whoFrom(r *http.Request) who { p, _ := r.Context().Value(whoKey{}).(who); return p }

// display is hostile text made readable: controls, bidi overrides and
// invalid bytes shown as escapes (report.Escape), cut at maxShown
// characters; html/template escapes the HTML.
func display(s string) string { return truncate(report.Escape(s), maxShown) }

// truncate cuts s at n characters, marking the cut with "…".
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for k := 0; k < n; k++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i] + "…"
}

// fleetQuery is the fleet page's filter, as its URL holds it.
type fleetQuery struct {
	State, Owner, Policy, Channel, Text, After string
	Sort                                       string // "" (id) or deadline
}

// maxQueryField bounds each of the filter's fields.
const maxQueryField = 512

// parseFleetQuery reads the filter from the URL.
func parseFleetQuery(v url.Values) (fleetQuery, error) {
	q := fleetQuery{State: v.Get("state"), Owner: v.Get("owner"), Policy: v.Get("policy"), Channel: v.Get("channel"), Text: strings.TrimSpace(v.Get("q")), After: v.Get("after"), Sort: v.Get("sort")}
	for _, f := range []string{q.State, q.Owner, q.Policy, q.Channel, q.Text, q.After, q.Sort} {
		if len(f) > maxQueryField {
			return q, fmt.Errorf("a filter is longer than %d bytes", maxQueryField)
		}
	}
	for _, s := range states {
		if q.State == s.Value {
			return q, nil
		}
	}
	return q, fmt.Errorf("state %q is not one of ok, due, overdue, rotated, inactive", report.Escape(truncate(q.State, 40)))
}

// values is the filter as URL parameters (empty ones left out), after
// the given id.
func (q fleetQuery) values(after string) url.Values {
	v := url.Values{}
	for k, x := range map[string]string{"state": q.State, "owner": q.Owner, "policy": q.Policy, "channel": q.Channel, "q": q.Text, "after": after, "sort": q.Sort} {
		if x != "" {
			v.Set(k, x)
		}
	}
	return v
}

// row is one credential of the fleet page.
type row struct {
	engine.CredentialStatus
	DeadlineText, Relative, RotatedText, StateLabel string
	Next                                            string // the next thing notifier will do
}

// count is one state's count at the top of the fleet page, a link to
// its filter; ID names its element (the state's label in the filter).
type count struct {
	State, ID, Label, Link string
	N                      int
}

type fleetData struct {
	Who          who
	Counts       []count
	CountedAt    string // when the counts were counted, if not at now
	CSRF         string
	Query        fleetQuery
	States       []struct{ Value, Label string }
	Rows         []row
	Next, First  string // links; "" none
	Error        string
	Searched     string   // a free-text page that read searchBudget credentials says so
	Channels     []string // the configured channels, the channel filter's choices
	Zone, AtText string
}

// errPageFull stops the stream once a page and one more row are read;
// errSearched once a free-text search has read searchBudget credentials.
var (
	errPageFull = errors.New("page full")
	errSearched = errors.New("search budget spent")
)

// fleet is the fleet page: PageSize credentials in id order (or
// deadline order: sort=deadline) after the cursor, as the filter selects, read through the engine's status view
// (the store's keyset reader). It only reads.
func (s *Server) fleet(w http.ResponseWriter, r *http.Request) {
	p := whoFrom(r)
	loc := s.eng.Config().Location
	now := s.now()
	data := fleetData{Who: p, CSRF: s.csrfToken(p), States: states, Channels: s.channelNames(), Zone: loc.String(), AtText: now.In(loc).Format("Mon 2006-01-02 15:04 MST")}
	q, err := parseFleetQuery(r.URL.Query())
	if err == nil {
		err = s.channelKnown(q.Channel)
	}
	data.Query = q
	if err != nil {
		data.Error = err.Error()
		s.render(w, http.StatusBadRequest, "fleet.html", data)
		return
	}
	f := domain.CredentialFilter{Owner: q.Owner, Policy: q.Policy, Channel: q.Channel, State: q.State}
	if err := setOrder(&f, q.Sort, q.After); err != nil {
		data.Error = err.Error()
		s.render(w, http.StatusBadRequest, "fleet.html", data)
		return
	}
	text := strings.ToLower(q.Text)
	if text == "" {
		f.Limit = PageSize + 1
	}
	rows := make([]row, 0, PageSize+1)
	searched, last := 0, ""
	err = s.eng.EachStatus(r.Context(), now, f, func(st engine.CredentialStatus) error {
		searched, last = searched+1, cursorOf(f, st)
		if text != "" && !strings.Contains(strings.ToLower(st.ID), text) && !strings.Contains(strings.ToLower(st.Name), text) && !strings.Contains(strings.ToLower(st.Owner), text) {
			if searched >= searchBudget {
				return errSearched
			}
			return nil
		}
		rows = append(rows, s.row(st))
		if len(rows) > PageSize {
			return errPageFull
		}
		return nil
	})
	if errors.Is(err, errSearched) {
		// The next page searches on after the last credential read.
		data.Searched = fmt.Sprintf("Searched %d credentials: %d match. The next page searches on.", searched, len(rows))
		data.Next = "/?" + q.values(last).Encode()
		err = nil
	}
	if err != nil && !errors.Is(err, errPageFull) {
		s.fleetFailed(w, data, err)
		return
	}
	if len(rows) > PageSize {
		rows = rows[:PageSize]
		data.Next = "/?" + q.values(cursorOf(f, rows[PageSize-1].CredentialStatus)).Encode()
	}
	if q.After != "" {
		data.First = "/?" + q.values("").Encode()
	}
	if err := s.withNext(r.Context(), now, rows); err != nil {
		s.fleetFailed(w, data, err)
		return
	}
	data.Rows = rows
	data.Counts, data.CountedAt = s.countsOf(r.Context(), now, q)
	s.render(w, http.StatusOK, "fleet.html", data)
}

// fleetFailed answers a fleet page that could not be read; the log
// says why.
func (s *Server) fleetFailed(w http.ResponseWriter, data fleetData, err error) {
	s.logger.Error("console: fleet", "err", err)
	data.Error = "The fleet could not be read; the log says why."
	s.render(w, http.StatusInternalServerError, "fleet.html", data)
}

// withNext sets each row's next step, read for the page's rows only.
func (s *Server) withNext(ctx context.Context, now time.Time, rows []row) error {
	ids := make([]string, len(rows))
	for i := range rows {
		ids[i] = rows[i].ID
	}
	next, err := s.nextOf(ctx, now, ids)
	if err != nil {
		return err
	}
	for i := range rows {
		rows[i].Next = report.Escape(next[rows[i].ID].Text) // whole: html/template escapes it
	}
	return nil
}

// countsOf are the fleet's counts per state for the page (each a link to
// the filter q with that state), and when they were counted if that was
// not now; none when they could not be counted.
func (s *Server) countsOf(ctx context.Context, now time.Time, q fleetQuery) ([]count, string) {
	by, at := s.counts(ctx, now)
	if by == nil {
		return nil, ""
	}
	out := make([]count, 0, len(states)-1)
	for _, st := range states[1:] {
		f := q
		f.State = st.Value
		label := st.Label
		if st.Value == engine.StateRotated {
			label = "rotated (7 days)" // engine.RotatedWindow
		}
		out = append(out, count{State: st.Value, ID: st.Label, Label: label, N: by[st.Value], Link: "/?" + f.values("").Encode()})
	}
	counted := ""
	if !at.Equal(now) {
		counted = at.In(s.eng.Config().Location).Format("15:04:05")
	}
	return out, counted
}

// row formats one credential's status.
func (s *Server) row(st engine.CredentialStatus) row {
	rw := row{CredentialStatus: st, StateLabel: st.State}
	if st.State == engine.StateInactive {
		rw.StateLabel = "retired"
	}
	rw.DeadlineText = st.Deadline.Format("Mon 2006-01-02 15:04 MST")
	if !st.RotatedAt.IsZero() {
		rw.RotatedText = st.RotatedAt.Format("2006-01-02")
	}
	rw.Relative = relative(st.Deadline.Sub(s.now()), st.DaysRemaining)
	return rw
}

// relative says how far the deadline is, in words that stay true: days
// as the reminders count them (rounded up) while more than a day is
// left, hours within a day of it. Calendar words ("tomorrow") were wrong
// for a deadline later today, which is a day remaining.
func relative(left time.Duration, days int) string {
	hours := func(d time.Duration) int { return int((d + time.Hour - 1) / time.Hour) } // rounded up
	switch {
	case left > 24*time.Hour:
		return "in " + plural(days, "day")
	case left >= time.Hour:
		return "in " + plural(hours(left), "hour")
	case left > 0:
		return "within the hour"
	case left > -time.Hour:
		return "just passed"
	case left > -24*time.Hour:
		return plural(int(-left/time.Hour), "hour") + " ago"
	default:
		return plural(int(-left/(24*time.Hour)), "day") + " ago"
	}
}

// plural is n units, "1 hour", "2 hours".
func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// searchBudget is how many credentials a page of a free-text search reads
// at most: a rare match does not read the fleet at once; the page says
// how many it searched and the next one searches on.
var searchBudget = 2000
