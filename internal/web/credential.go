package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/report"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// TimelineSize is how many events a credential page shows at most; a
// link leads to the older ones.
const TimelineSize = 200

// planRows is how many rows of a credential's plan its page shows.
const planRows = 20

// consoleSource is the source of what the console records: "http", the
// daemon's HTTP side, as the ack links record theirs (the schema's CHECK
// on rotations.source and acknowledgments.source has no "console" yet;
// the actor tells who).
const consoleSource = "http"

// timeLayout is how a page shows a moment, in the config's zone.
const timeLayout = "Mon 2006-01-02 15:04 MST"

// routeCredential adds the credential page and its actions.
func (s *Server) routeCredential(mux *http.ServeMux) {
	mux.Handle("GET /credentials/{id}", s.View(http.HandlerFunc(s.credential)))
	mux.Handle("POST /credentials/{id}/ack", s.Act(config.RoleResponder, http.HandlerFunc(s.ackAction)))
	mux.Handle("POST /credentials/{id}/rotate", s.Act(config.RoleResponder, http.HandlerFunc(s.rotateAction)))
}

// event is one row of a credential's timeline.
type event struct {
	domain.Event
	TimeText string
}

// planRow is one reminder of a credential's plan.
type planRow struct {
	engine.Upcoming
	AtText, DeferredText string
}

type credentialData struct {
	Who                   who
	CSRF                  string
	CanAct                bool
	ID                    string
	Status                row
	AckText, AckNote      string
	RotationText          string
	Plan                  []planRow
	PlanMore              bool
	Timeline              []event
	Older, Newer          string // links; "" none
	Done, Error           string
	Zone, AtText, MaxDate string
}

// done are the one-line confirmations a redirect after an action names.
var done = map[string]string{
	"ack":      "Acknowledged.",
	"snooze":   "Snoozed.",
	"rotation": "Rotation recorded; a new cycle started.",
}

// credential is one credential's page: its current cycle, its plan and
// its timeline. It only reads.
func (s *Server) credential(w http.ResponseWriter, r *http.Request) {
	data, code := s.credentialData(r, r.PathValue("id"))
	data.Done = done[r.URL.Query().Get("done")]
	s.render(w, code, "credential.html", data)
}

// credentialData reads what the page of credential id shows; the status
// code is 404 for an unknown credential.
func (s *Server) credentialData(r *http.Request, id string) (credentialData, int) {
	p := whoFrom(r)
	loc := s.eng.Config().Location
	now := s.now()
	data := credentialData{Who: p, CSRF: s.csrfToken(p), CanAct: p.canAct(), ID: id, Zone: loc.String(), AtText: now.In(loc).Format(timeLayout),
		MaxDate: now.In(loc).Format("2006-01-02T15:04")}
	fail := func(code int, msg string, err error) (credentialData, int) {
		if err != nil {
			s.logger.Error("console: credential", "credential", report.Escape(truncate(id, 64)), "err", err)
		}
		data.Error = msg
		return data, code
	}
	if len(id) > maxQueryField || strings.ContainsAny(id, `*?[\`) {
		return fail(http.StatusNotFound, "No such credential.", nil)
	}
	found := false
	err := s.eng.EachStatus(r.Context(), now, domain.CredentialFilter{Credential: id}, func(st engine.CredentialStatus) error {
		if st.ID == id {
			data.Status, found = s.row(st), true
			data.Status.DeadlineText = st.Deadline.In(loc).Format(timeLayout)
		}
		return nil
	})
	if err != nil {
		return fail(http.StatusInternalServerError, "The credential could not be read; the log says why.", err)
	}
	if !found {
		return fail(http.StatusNotFound, "No such credential.", nil)
	}
	next := []row{data.Status}
	if err := s.withNext(r.Context(), now, next); err != nil {
		return fail(http.StatusInternalServerError, "The credential could not be read; the log says why.", err)
	}
	data.Status = next[0]
	cyc, err := s.eng.Store().Cycle(r.Context(), id)
	if err != nil {
		return fail(http.StatusInternalServerError, "The credential's cycle could not be read; the log says why.", err)
	}
	if !cyc.AckAt.IsZero() {
		data.AckText = "by " + cyc.AckBy + " at " + cyc.AckAt.In(loc).Format(timeLayout)
		if !cyc.AckUntil.IsZero() {
			data.AckText = "snoozed " + data.AckText + " until " + cyc.AckUntil.In(loc).Format(timeLayout)
			if !cyc.AckUntil.After(now) {
				data.AckText += " (ended: the ladder resumed)"
			}
		}
	}
	if err := s.planOf(r, id, now, &data); err != nil {
		return fail(http.StatusInternalServerError, "The plan could not be read; the log says why.", err)
	}
	if err := s.timelineOf(r, id, cyc, &data); err != nil {
		return fail(http.StatusInternalServerError, "The history could not be read; the log says why.", err)
	}
	return data, http.StatusOK
}

// planOf reads the credential's plan for the next year, as `notifier
// plan --credential ID` shows it (a repeating stage once, with its
// repeats counted), the first planRows rows.
func (s *Server) planOf(r *http.Request, id string, now time.Time, data *credentialData) error {
	loc := s.eng.Config().Location
	h, _ := schedule.ParseSpan("365d")
	return s.eng.PlanEach(r.Context(), now, h, domain.CredentialFilter{Credential: id, Limit: planRows + 1}, true, true, func(u engine.Upcoming) error {
		if len(data.Plan) == planRows {
			data.PlanMore = true
			return nil
		}
		pr := planRow{Upcoming: u, AtText: u.At.In(loc).Format(timeLayout)}
		var d []string
		for _, x := range u.Deferred {
			d = append(d, x.String())
		}
		pr.DeferredText = strings.Join(d, ", ")
		data.Plan = append(data.Plan, pr)
		return nil
	})
}

// timelineOf reads the credential's history, newest first: the latest
// TimelineSize events before the page's "before" (Unix seconds), read
// as a stream through a ring, so that memory stays bounded however long
// the history is. It also finds the current cycle's acknowledgment note
// and who recorded its rotation.
func (s *Server) timelineOf(r *http.Request, id string, cyc domain.Cycle, data *credentialData) error {
	loc := s.eng.Config().Location
	f := domain.HistoryFilter{CredentialID: id}
	if b, err := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64); err == nil && b > 0 {
		// Stored times are whole seconds: events at b are on this page.
		f.Until = time.Unix(b+1, 0)
		data.Newer = "/credentials/" + url.PathEscape(id)
	}
	ring := make([]domain.Event, 0, TimelineSize)
	start, dropped := 0, false
	var lastRotation, lastAck domain.Event
	err := s.eng.Store().EachEvent(r.Context(), f, func(e domain.Event) error {
		switch {
		case e.Type == domain.EventRotation && e.RotationID == cyc.RotationID:
			lastRotation = e
		case e.Type == domain.EventAck && e.RotationID == cyc.RotationID && e.Actor == cyc.AckBy:
			lastAck = e
		}
		if len(ring) < TimelineSize {
			ring = append(ring, e)
			return nil
		}
		ring[start] = e
		start = (start + 1) % TimelineSize
		dropped = true
		return nil
	})
	if err != nil {
		return err
	}
	ordered := append(ring[start:len(ring):len(ring)], ring[:start]...)
	if dropped && len(ordered) > 0 {
		// The older page starts at the oldest second shown here; its
		// events move there, so that none falls between the pages.
		oldest := ordered[0].Time
		i := 0
		for i < len(ordered) && ordered[i].Time.Equal(oldest) {
			i++
		}
		if i < len(ordered) {
			ordered = ordered[i:]
		}
		data.Older = "/credentials/" + url.PathEscape(id) + "?before=" + strconv.FormatInt(oldest.Unix(), 10)
	}
	for i := len(ordered) - 1; i >= 0; i-- {
		e := ordered[i]
		data.Timeline = append(data.Timeline, event{Event: e, TimeText: e.Time.In(loc).Format(timeLayout)})
	}
	data.RotationText = data.Status.RotatedText
	if !cyc.Start.IsZero() {
		data.RotationText = cyc.Start.In(loc).Format(timeLayout)
	}
	if cyc.Source != "" {
		data.RotationText += " (" + cyc.Source
		if lastRotation.Actor != "" {
			data.RotationText += ", by " + lastRotation.Actor
		}
		data.RotationText += ")"
	}
	if _, note, ok := strings.Cut(lastAck.Detail, ": "); ok && !cyc.AckAt.IsZero() {
		data.AckNote = note
	}
	return nil
}

// Snooze choices of the page's form.
var snoozes = map[string]func(*engine.Ack){
	"":     func(*engine.Ack) {},
	"1d":   func(a *engine.Ack) { a.For, _ = schedule.ParseSpan("1d") },
	"1w":   func(a *engine.Ack) { a.For, _ = schedule.ParseSpan("7d") },
	"next": func(a *engine.Ack) { a.NextStage = true },
}

// ackAction acknowledges or snoozes the credential's current cycle: the
// engine's Acknowledge, as `notifier ack` calls it, by the signed-in
// person, from the console.
func (s *Server) ackAction(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	a := engine.Ack{Credential: id, At: s.now(), By: whoFrom(r).User, Note: r.PostFormValue("note"), Source: consoleSource}
	choice, ok := snoozes[r.PostFormValue("snooze")]
	if !ok {
		s.refuse(w, r, id, http.StatusBadRequest, errors.New("snooze: choose 1 day, 1 week or until the next stage"))
		return
	}
	choice(&a)
	if err := s.eng.Acknowledge(r.Context(), a); err != nil {
		s.refuse(w, r, id, http.StatusConflict, err)
		return
	}
	what := "ack"
	if r.PostFormValue("snooze") != "" {
		what = "snooze"
	}
	http.Redirect(w, r, "/credentials/"+url.PathEscape(id)+"?done="+what, http.StatusSeeOther)
}

// rotateAction records a rotation: the engine's Rotate, as `notifier
// rotate` calls it, dated now or at the form's moment (in the config's
// zone), by the signed-in person, from the console.
func (s *Server) rotateAction(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	at := s.now()
	if v := strings.TrimSpace(r.PostFormValue("at")); v != "" {
		t, err := config.ParseTime(v, s.eng.Config().Location)
		if err != nil {
			s.refuse(w, r, id, http.StatusBadRequest, fmt.Errorf("rotated at: %w", err))
			return
		}
		at = t
	}
	err := s.eng.Rotate(r.Context(), engine.Rotation{Credential: id, At: at, By: whoFrom(r).User, Note: r.PostFormValue("note"), Source: consoleSource})
	if err != nil {
		s.refuse(w, r, id, http.StatusConflict, err)
		return
	}
	http.Redirect(w, r, "/credentials/"+url.PathEscape(id)+"?done=rotation", http.StatusSeeOther)
}

// maxErrorShown is how many characters of a refusal a page shows.
const maxErrorShown = 300

// refuse shows the credential's page with why an action was refused, in
// one line; nothing was recorded.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, id string, code int, err error) {
	var already *domain.AlreadyAcknowledged
	msg := err.Error()
	if errors.As(err, &already) {
		msg = already.Error() + "; nothing recorded"
	}
	s.logger.Info("console: action refused", "credential", report.Escape(truncate(id, 64)), "user", report.Escape(whoFrom(r).User), "err", report.Escape(truncate(msg, maxErrorShown)))
	data, c := s.credentialData(r, id)
	if c == http.StatusOK {
		c = code
		data.Error = "Refused: " + truncate(report.Escape(strings.ReplaceAll(msg, "\n", " ")), maxErrorShown)
	}
	s.render(w, c, "credential.html", data)
}
