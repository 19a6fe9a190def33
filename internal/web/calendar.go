package web

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/report"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// Feed is what a calendar says besides its entries.
type Feed struct {
	// Host is the host part of the events' UIDs: with the credential and
	// the cycle, it names an event for good, so that a client updates it
	// instead of adding another.
	Host string
	// ConsoleURL is the console's base URL, linked from each event; ""
	// none (no public_url, or no console).
	ConsoleURL string
	// Stamp is the read's wall clock (DTSTAMP).
	Stamp time.Time
	// Zone is the config's, in which descriptions show times.
	Zone *time.Location
}

// FeedOf is the feed of cfg at the wall clock's stamp: the UIDs' host is
// http.public_url's (else "notifier.local"), the link the console's.
func FeedOf(cfg *config.Config, stamp time.Time) Feed {
	f := Feed{Host: "notifier.local", Stamp: stamp, Zone: cfg.Location}
	if h := cfg.HTTP; h != nil && h.PublicURL != "" {
		if u, err := url.Parse(h.PublicURL); err == nil && u.Hostname() != "" {
			f.Host = u.Hostname()
		}
		if h.Console != nil {
			f.ConsoleURL = h.PublicURL
		}
	}
	return f
}

// maxCalendarText is how many characters of a name or owner an event
// shows.
const maxCalendarText = 200

// eventLength is how long a deadline's event lasts: it ends at the
// deadline.
const eventLength = time.Hour

// WriteCalendar writes an iCalendar (RFC 5545) of the entries each
// streams to w, one event at a time: one VEVENT per deadline, with a
// VALARM per stage of its ladder, and one per LWA credential's old
// secret's end. Lines end in CRLF and are folded at 75 octets; text is
// escaped. It only writes to w.
func WriteCalendar(w io.Writer, f Feed, each func(func(engine.CalendarEntry) error) error) error {
	cw := &icalWriter{w: bufio.NewWriter(w)}
	cw.line("BEGIN:VCALENDAR")
	cw.line("VERSION:2.0")
	cw.line("PRODID:-//notifier//calendar feed//EN")
	cw.line("CALSCALE:GREGORIAN")
	cw.line("METHOD:PUBLISH")
	cw.line("X-WR-CALNAME:" + icalText("notifier: credential deadlines"))
	err := each(func(e engine.CalendarEntry) error {
		cw.entry(f, e)
		return cw.err
	})
	cw.line("END:VCALENDAR")
	if err != nil {
		return err
	}
	if cw.err != nil {
		return cw.err
	}
	return cw.w.Flush()
}

// icalWriter writes content lines, remembering the first error.
type icalWriter struct {
	w   *bufio.Writer
	err error
}

// entry writes e's events.
func (cw *icalWriter) entry(f Feed, e engine.CalendarEntry) {
	id, name := shown(e.ID), shown(e.Name)
	desc := []string{
		"Credential: " + id + " (" + name + ")",
		"Owner: " + shown(e.Owner),
		"Deadline: " + e.Deadline.In(f.Zone).Format("Mon 2006-01-02 15:04 MST"),
	}
	if rb := e.Runbook; rb.URL != "" || rb.Text != "" {
		desc = append(desc, "Runbook: "+strings.TrimSpace(strings.Join([]string{shown(rb.Text), rb.URL}, " ")))
	}
	if e.Runbook.Impact != "" {
		desc = append(desc, "If nobody rotates: "+shown(e.Runbook.Impact))
	}
	link := ""
	if f.ConsoleURL != "" {
		link = f.ConsoleURL + "/?" + url.Values{"q": {e.ID}}.Encode()
		desc = append(desc, "Acknowledge or snooze in the console: "+link)
	}
	desc = append(desc, "Or: notifier ack "+e.ID+" --by YOU")
	cw.event(f, fmt.Sprintf("%s-%d-deadline", e.ID, e.CycleID), e.Deadline,
		id+": rotate "+name+" (deadline)", strings.Join(desc, "\n"), link, func() {
			for _, st := range e.Stages {
				cw.line("BEGIN:VALARM")
				cw.line("ACTION:DISPLAY")
				cw.line("DESCRIPTION:" + icalText(id+": "+st.Name+" ("+stageText(st)+")"))
				cw.line("TRIGGER;RELATED=END:" + trigger(st))
				cw.line("END:VALARM")
			}
		})
	if !e.OldSecretDies.IsZero() {
		cw.event(f, fmt.Sprintf("%s-%d-old-secret", e.ID, e.CycleID), e.OldSecretDies,
			id+": the old client secret stops working",
			fmt.Sprintf("Amazon keeps the previous LWA client secret of %s working %d days after a new one is generated (%s); whatever still uses it fails from then on.",
				id, domain.OldSecretGrace, e.RotatedAt.In(f.Zone).Format("Mon 2006-01-02 15:04 MST")), link, nil)
	}
}

// event writes one VEVENT that ends at end.
func (cw *icalWriter) event(f Feed, uid string, end time.Time, summary, desc, link string, alarms func()) {
	cw.line("BEGIN:VEVENT")
	cw.line("UID:" + icalText(uid+"@"+f.Host))
	cw.line("DTSTAMP:" + icalTime(f.Stamp))
	cw.line("DTSTART:" + icalTime(end.Add(-eventLength)))
	cw.line("DTEND:" + icalTime(end))
	cw.line("SUMMARY:" + icalText(summary))
	cw.line("DESCRIPTION:" + icalText(desc))
	if link != "" {
		cw.line("URL:" + link)
	}
	cw.line("TRANSP:TRANSPARENT")
	if alarms != nil {
		alarms()
	}
	cw.line("END:VEVENT")
}

// line writes one content line, folded at 75 octets (a fold never splits
// a UTF-8 sequence), with CRLF.
func (cw *icalWriter) line(s string) {
	if cw.err != nil {
		return
	}
	for limit := 75; len(s) > limit; limit = 74 {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		if _, cw.err = cw.w.WriteString(s[:cut] + "\r\n "); cw.err != nil {
			return
		}
		s = s[cut:]
	}
	_, cw.err = cw.w.WriteString(s + "\r\n")
}

// shown is hostile text made safe to show: controls, bidi overrides and
// invalid bytes as escapes (report.Escape), line breaks as spaces, cut
// at maxCalendarText.
func shown(s string) string {
	if len(s) > 4*maxCalendarText { // cut a megabyte before escaping it
		s = s[:4*maxCalendarText]
	}
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(strings.ToValidUTF8(s, "\uFFFD"))
	return truncate(report.Escape(s), maxCalendarText)
}

// icalText escapes s as an RFC 5545 TEXT value.
var icalText = strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace

// icalTime is t as a UTC DATE-TIME.
func icalTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// trigger is a stage's alarm, relative to the deadline (the event's end):
// -P30D before it, P1D after it (days are nominal days, as the ladder's).
func trigger(st schedule.Stage) string {
	d := durationText(st.Offset)
	if st.After || d == "PT0S" {
		return d
	}
	return "-" + d
}

// durationText is sp as an RFC 5545 duration.
func durationText(sp schedule.Span) string {
	out := "P"
	if sp.Days > 0 {
		out += fmt.Sprintf("%dD", sp.Days)
	}
	if c := sp.Clock; c > 0 {
		out += "T"
		if h := c / time.Hour; h > 0 {
			out += fmt.Sprintf("%dH", h)
		}
		if m := (c % time.Hour) / time.Minute; m > 0 {
			out += fmt.Sprintf("%dM", m)
		}
		if s := (c % time.Minute) / time.Second; s > 0 {
			out += fmt.Sprintf("%dS", s)
		}
	}
	if out == "P" || strings.HasSuffix(out, "T") {
		out = strings.TrimSuffix(out, "T")
		if out == "P" {
			return "PT0S"
		}
	}
	return out
}

// stageText says when a stage goes out.
func stageText(st schedule.Stage) string {
	switch {
	case st.Offset.IsZero():
		return "at the deadline"
	case st.After:
		return st.Offset.String() + " after the deadline"
	}
	return st.Offset.String() + " before the deadline"
}

// CalendarOptions configure the /calendar.ics handler.
type CalendarOptions struct {
	Engine *engine.Engine
	Logger *slog.Logger     // nil: discard
	Now    func() time.Time // the wall clock (default time.Now)
}

// Calendar serves /calendar.ics?token=…[&owner=…]: the calendar of the
// credentials a configured token (http.calendar.tokens, read at each
// request, so a reload revokes a removed one) may see. A missing or
// wrong token is 404, which says nothing more; the token is never
// logged. It only reads.
func Calendar(o CalendarOptions) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cfg := o.Engine.Config()
		var tokens []config.CalendarToken
		if cfg.HTTP != nil && cfg.HTTP.Calendar != nil {
			tokens = cfg.HTTP.Calendar.Tokens
		}
		tok, ok := matchToken(tokens, r.URL.Query().Get("token"))
		if !ok {
			o.Logger.Warn("calendar: a request without a valid token refused", "remote", r.RemoteAddr)
			http.NotFound(w, r)
			return
		}
		owner := r.URL.Query().Get("owner")
		if len(owner) > maxQueryField || owner != "" && len(tok.Owners) > 0 && !slices.Contains(tok.Owners, owner) {
			http.NotFound(w, r)
			return
		}
		f := domain.CredentialFilter{Owner: owner}
		if owner == "" && len(tok.Owners) == 1 {
			f.Owner = tok.Owners[0]
		}
		now := o.Now()
		w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
		w.Header().Set("Cache-Control", "private, no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		err := WriteCalendar(&progressWriter{w: w, rc: http.NewResponseController(w)}, FeedOf(cfg, now), func(fn func(engine.CalendarEntry) error) error {
			return o.Engine.EachCalendar(r.Context(), now, f, func(e engine.CalendarEntry) error {
				if len(tok.Owners) > 0 && !slices.Contains(tok.Owners, e.Owner) {
					return nil
				}
				return fn(e)
			})
		})
		if err != nil {
			// The status is sent with the first line: the client sees a
			// truncated calendar, the log says why.
			o.Logger.Error("calendar: feed", "token", tok.Name, "err", err)
		}
	})
}

// feedWriteWindow is how long one write of a feed may take: a whole feed
// at a million credentials takes longer than the server's WriteTimeout,
// so the deadline moves with each write that made progress, and only a
// client that stops reading is cut off.
const feedWriteWindow = 30 * time.Second

// progressWriter moves the connection's write deadline feedWriteWindow
// ahead of each write (by the real clock: the wall clock may be a test's).
type progressWriter struct {
	w  io.Writer
	rc *http.ResponseController
}

func (p *progressWriter) Write(b []byte) (int, error) {
	_ = p.rc.SetWriteDeadline(time.Now().Add(feedWriteWindow)) // not every ResponseWriter has one
	return p.w.Write(b)
}

// matchToken is the configured token that token is, if any.
func matchToken(tokens []config.CalendarToken, token string) (config.CalendarToken, bool) {
	if token == "" || len(token) > 512 {
		return config.CalendarToken{}, false
	}
	sum := sha256.Sum256([]byte(token))
	for _, t := range tokens {
		if hexSum, ok := strings.CutPrefix(t.Hash, "sha256:"); ok {
			want, err := hex.DecodeString(hexSum)
			if err == nil && subtle.ConstantTimeCompare(want, sum[:]) == 1 {
				return t, true
			}
			continue
		}
		if bcrypt.CompareHashAndPassword([]byte(strings.Replace(t.Hash, "$2y$", "$2a$", 1)), []byte(token)) == nil {
			return t, true
		}
	}
	return config.CalendarToken{}, false
}
