package httpapi

import (
	_ "embed"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/report"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// The ack page. GET never acknowledges: mail scanners and link previews
// follow links. POST does. There is no session and no cookie: the token in
// the URL is the whole authority (as an unsubscribe link's), so a forged
// cross-site form cannot ride on anything the browser holds; it would need
// the token, which is the secret. The page sends no Referer, so the token
// does not leak to other sites.

//go:embed page.html
var pageHTML string

var pageTmpl = template.Must(template.New("page").Parse(pageHTML))

// Bounds of the form's fields.
const (
	MaxBy       = 100
	MaxNote     = 1000
	maxFormBody = 16 << 10
)

type page struct {
	Title, Class, Message string
	Credential, Name      string
	Owner, Deadline       string
	Status, AckState      string
	Form                  bool
	By, Note, For         string
	MaxBy, MaxNote        int
}

// The ack page's choices of how long an acknowledgment lasts (the form's
// "for"): for the cycle, or a snooze of a day, a week, or until the next
// stage; the same engine.Ack the CLI's --for and --next-stage make.
var ackChoices = map[string]func(*engine.Ack){
	"cycle":      func(*engine.Ack) {},
	"1d":         func(a *engine.Ack) { a.For = schedule.Span{Days: 1} },
	"1w":         func(a *engine.Ack) { a.For = schedule.Span{Days: 7} },
	"next-stage": func(a *engine.Ack) { a.NextStage = true },
}

func (s *Server) render(w http.ResponseWriter, code int, p page) {
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	p.MaxBy, p.MaxNote = MaxBy, MaxNote
	if err := pageTmpl.Execute(w, p); err != nil {
		s.logger.Warn("ack page", "err", err)
	}
}

// describe fills the page's facts about the reminder's cycle.
func describe(p page, r engine.Reminder) page {
	m := r.Message
	p.Credential, p.Name, p.Owner = m.Credential, m.Name, m.Owner
	p.Deadline = m.Deadline.Format(channels.DateLayout)
	p.Status = m.Status()
	switch {
	case m.Acknowledged && m.SnoozedUntil.IsZero():
		p.AckState = "by " + m.AcknowledgedBy + " at " + m.AcknowledgedAt.Format(channels.DateLayout)
	case m.Acknowledged:
		p.AckState = "snoozed by " + m.AcknowledgedBy + " until " + m.SnoozedUntil.Format(channels.DateLayout)
	case !m.SnoozedUntil.IsZero():
		p.AckState = "not since the snooze by " + m.AcknowledgedBy + " ended " + m.SnoozedUntil.Format(channels.DateLayout)
	}
	if p.For == "" {
		p.For = "cycle"
	}
	return p
}

var refused = page{Title: "This link does not work", Class: "bad",
	Message: "The acknowledgment link is not valid, was altered, or has expired. Nothing was recorded. Use the link in the latest reminder, the Slack button, or notifier ack."}

// reminder resolves the token of r's URL to a reminder of a current cycle,
// or writes the refusal and returns false.
func (s *Server) reminder(w http.ResponseWriter, r *http.Request) (engine.Reminder, bool) {
	cfg := s.eng.Config()
	now := s.now()
	var secret []byte
	if cfg.HTTP != nil {
		secret = []byte(cfg.HTTP.AckSecret)
	}
	link, err := Verify(secret, s.database, r.PathValue("token"), now)
	if err != nil {
		s.render(w, http.StatusForbidden, refused)
		return engine.Reminder{}, false
	}
	rem, err := s.eng.Reminder(r.Context(), link.DeliveryID, now)
	switch {
	case errors.Is(err, domain.ErrNotFound) || errors.Is(err, domain.ErrUnknownCredential):
		s.render(w, http.StatusForbidden, refused)
		return rem, false
	case err != nil:
		s.logger.Error("ack link: reading the reminder", "delivery", link.DeliveryID, "err", err)
		s.render(w, http.StatusInternalServerError, page{Title: "Something went wrong", Class: "bad",
			Message: "The reminder could not be read. Nothing was recorded; please try again in a minute."})
		return rem, false
	case rem.Delivery.RotationID != link.RotationID:
		s.render(w, http.StatusForbidden, refused)
		return rem, false
	case !rem.Current:
		p := describe(page{Title: "This reminder is out of date", Class: "warn",
			Message: "The credential was rotated since this reminder (or is no longer tracked): there is nothing to acknowledge. Nothing was recorded."}, rem)
		s.render(w, http.StatusForbidden, p)
		return rem, false
	}
	return rem, true
}

func (s *Server) ackPage(w http.ResponseWriter, r *http.Request) {
	rem, ok := s.reminder(w, r)
	if !ok {
		return
	}
	if rem.Message.Acknowledged {
		title := "Already acknowledged"
		if !rem.Message.SnoozedUntil.IsZero() {
			title = "Snoozed"
		}
		s.render(w, http.StatusOK, describe(page{Title: title, Class: "ok", Message: rem.Message.AckState() + "."}, rem))
		return
	}
	s.render(w, http.StatusOK, describe(page{Title: "Acknowledge this reminder", Form: true}, rem))
}

func (s *Server) ackPost(w http.ResponseWriter, r *http.Request) {
	rem, ok := s.reminder(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		s.render(w, http.StatusBadRequest, describe(page{Title: "Acknowledge this reminder", Form: true, Class: "bad",
			Message: "The form could not be read (too long?). Nothing was recorded."}, rem))
		return
	}
	by, byErr := field(r.PostForm.Get("by"), MaxBy, false)
	note, noteErr := field(r.PostForm.Get("note"), MaxNote, true)
	if byErr == "" && by == "" {
		byErr = "Say who you are: your name is required."
	}
	choice := r.PostForm.Get("for")
	if choice == "" {
		choice = "cycle"
	}
	choose, known := ackChoices[choice]
	if !known {
		byErr += "Choose how long: for this cycle, 1 day, 1 week or until the next stage."
		choice = ""
	}
	if msg := byErr + noteErr; msg != "" {
		s.render(w, http.StatusBadRequest, describe(page{Title: "Acknowledge this reminder", Form: true, Class: "bad",
			Message: msg + " Nothing was recorded.", By: by, Note: note, For: choice}, rem))
		return
	}
	at := s.now()
	a := engine.Ack{Credential: rem.Delivery.CredentialID, At: at, By: by, Note: note, Source: "http", DeliveryID: rem.Delivery.ID}
	choose(&a)
	err := s.eng.Acknowledge(r.Context(), a)
	var already *domain.AlreadyAcknowledged
	var snoozeRefused *domain.SnoozeRefused
	loc := s.eng.Config().Location
	switch {
	case errors.As(err, &already):
		rem.Message.Acknowledged, rem.Message.AcknowledgedBy, rem.Message.AcknowledgedAt = true, already.By, already.At.In(loc)
		rem.Message.SnoozedUntil = time.Time{}
		if !already.Until.IsZero() {
			rem.Message.SnoozedUntil = already.Until.In(loc)
		}
		s.render(w, http.StatusOK, describe(page{Title: "Already acknowledged", Class: "ok",
			Message: rem.Message.AckState() + ", before you. Nothing more was recorded."}, rem))
	case errors.As(err, &snoozeRefused):
		s.render(w, http.StatusConflict, describe(page{Title: "Not snoozed", Class: "bad", Form: true, By: by, Note: note, For: choice,
			Message: "Not snoozed: " + snoozeRefused.Reason + ". Nothing was recorded."}, rem))
	case errors.Is(err, domain.ErrBeforeCycle) || errors.Is(err, domain.ErrInactive) || errors.Is(err, domain.ErrUnknownCredential):
		s.render(w, http.StatusForbidden, describe(page{Title: "This reminder is out of date", Class: "warn",
			Message: "The credential was rotated since this reminder (or is no longer tracked). Nothing was recorded."}, rem))
	case err != nil:
		s.logger.Error("ack link: recording", "credential", rem.Delivery.CredentialID, "err", err)
		s.render(w, http.StatusInternalServerError, describe(page{Title: "Something went wrong", Class: "bad", Form: true, By: by, Note: note,
			Message: "The acknowledgment could not be recorded. Please try again in a minute."}, rem))
	default:
		if now, err := s.eng.Reminder(r.Context(), rem.Delivery.ID, at); err == nil {
			rem = now
		} else {
			rem.Message.Acknowledged, rem.Message.AcknowledgedBy, rem.Message.AcknowledgedAt = true, by, at.In(loc).Truncate(time.Second)
		}
		if until := rem.Message.SnoozedUntil; rem.Message.Acknowledged && !until.IsZero() {
			s.render(w, http.StatusOK, describe(page{Title: "Snoozed", Class: "ok",
				Message: "Thank you, " + by + ": snoozed until " + until.Format(channels.DateLayout) + ". Repeated reminders stop until then, and resume with one reminder; rotate the credential before the deadline."}, rem))
			return
		}
		s.render(w, http.StatusOK, describe(page{Title: "Acknowledged", Class: "ok",
			Message: "Thank you, " + by + ": the acknowledgment is recorded. Repeated reminders for this cycle stop; rotate the credential before the deadline."}, rem))
	}
}

// field trims a form value and checks its length and characters (no
// control characters but a note's line breaks and tabs, no bidirectional
// overrides, which show text in another order than it is kept); the second
// result is the problem, in a sentence, or empty. A Slack user's name goes
// through it too (interactions.go).
func field(v string, max int, multiline bool) (string, string) {
	v = strings.TrimSpace(v)
	if !utf8.ValidString(v) {
		return "", "The text is not valid UTF-8."
	}
	if utf8.RuneCountInString(v) > max {
		return v, "The text is too long."
	}
	for _, r := range v {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) || report.UnsafeRune(r) {
			return v, "The text contains control characters or bidirectional overrides."
		}
	}
	return v, ""
}
