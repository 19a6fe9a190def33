package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// The JSON API under /api/v1/, for scripts: the fleet (the fleet page's
// filters and keyset pagination), one credential with its cycle, plan and
// timeline, and the actions (acknowledge or snooze, record a rotation),
// each the engine call the CLI makes, refused the same way. It answers
// only bearer tokens (http.console.api_tokens, read from the config in
// use, so a token removed from the file stops working at reload): a
// browser's session cookie authorizes nothing here, so no request needs a
// CSRF token. Every answer is JSON; every error {"error": {"code",
// "message"}} with one of the API* codes.

// The API's error codes: stable, for scripts to branch on.
const (
	APIUnauthorized = "unauthorized" // 401: no token, or not one configured
	APIForbidden    = "forbidden"    // 403: a viewer's token asked to act
	APINotFound     = "not_found"    // 404: no such credential or endpoint
	APIBadRequest   = "bad_request"  // 400: a malformed parameter or body
	APIConflict     = "conflict"     // 409: already acknowledged, rotation not newer, credential inactive
	APIFuture       = "future"       // 422: a date after the server's clock
	APIInternal     = "internal"     // 500: the server failed; its log says why
)

// APIMaxLimit is the most credentials one page of the API lists;
// APIDefaultLimit how many without ?limit=.
const (
	APIMaxLimit     = 500
	APIDefaultLimit = 50
)

// apiMaxTimeline is how many events (the latest) a credential's timeline
// holds.
const apiMaxTimeline = 500

// apiMaxNote bounds an action's note.
const apiMaxNote = 4096

// apiPlanHorizon is how far ahead a credential's plan looks.
var apiPlanHorizon = schedule.Span{Days: 400}

// apiHandler serves /api/v1/: each request's token is checked first.
func (s *Server) apiHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/credentials", s.apiList)
	mux.HandleFunc("GET /api/v1/credentials/{id}", s.apiCredential)
	mux.HandleFunc("POST /api/v1/credentials/{id}/ack", s.apiAck)
	mux.HandleFunc("POST /api/v1/credentials/{id}/rotations", s.apiRotate)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		apiFail(w, http.StatusNotFound, APINotFound, fmt.Sprintf("no such endpoint: %s %s", r.Method, report.Escape(truncate(r.URL.Path, 200))))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		t, ok := s.apiToken(r)
		if !ok {
			// The header is never logged: it may hold a token.
			s.logger.Warn("api: a request without a valid token refused", "remote", r.RemoteAddr, "path", report.Escape(truncate(r.URL.Path, 200)))
			h.Set("WWW-Authenticate", `Bearer realm="notifier"`)
			apiFail(w, http.StatusUnauthorized, APIUnauthorized, "send a configured API token: Authorization: Bearer TOKEN (http.console.api_tokens)")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && t.Role != config.RoleResponder {
			apiFail(w, http.StatusForbidden, APIForbidden, fmt.Sprintf("token %s is a %s's: it reads, and cannot act (give it role: responder)", t.Name, t.Role))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), apiTokenKey{}, t)))
	})
}

type apiTokenKey struct{}

// apiActor is who an action of r's token is recorded as: api:NAME.
func apiActor(r *http.Request) string {
	t, _ := r.Context().Value(apiTokenKey{}).(config.APIToken)
	return "api:" + t.Name
}

// apiToken is the configured token r carries (Authorization: Bearer), if
// any. Every configured hash is compared, in constant time.
func (s *Server) apiToken(r *http.Request) (config.APIToken, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return config.APIToken{}, false
	}
	sum := sha256.Sum256([]byte(token))
	var found config.APIToken
	match := 0
	for _, t := range s.apiTokens() {
		eq := subtle.ConstantTimeCompare(sum[:], t.SHA256[:])
		if eq == 1 && match == 0 {
			found = t
		}
		match |= eq
	}
	return found, match == 1
}

// apiTokens are the tokens of the config in use (the engine's: a reload
// swaps it).
func (s *Server) apiTokens() []config.APIToken {
	if cfg := s.eng.Config(); cfg != nil && cfg.HTTP != nil && cfg.HTTP.Console != nil {
		return cfg.HTTP.Console.APITokens
	}
	return nil
}

// apiFail answers an error.
func apiFail(w http.ResponseWriter, status int, code, message string) {
	type apiError struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	apiJSON(w, status, struct {
		Error apiError `json:"error"`
	}{apiError{code, message}})
}

// apiJSON answers v.
func apiJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// apiInternal logs err and answers internal, without its detail.
func (s *Server) apiInternal(w http.ResponseWriter, r *http.Request, err error) {
	s.logger.Error("api: request failed", "path", report.Escape(truncate(r.URL.Path, 200)), "err", err)
	apiFail(w, http.StatusInternalServerError, APIInternal, "the request failed; the server's log says why")
}

// APICredential is one credential as the API lists it: the fleet page's
// columns.
type APICredential struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	Owner          string     `json:"owner"`
	State          string     `json:"state"` // ok, due, overdue, inactive (the page's "retired")
	Deadline       time.Time  `json:"deadline"`
	DaysRemaining  int        `json:"days_remaining"`
	Stage          string     `json:"stage"` // the active stage; "" none
	Acknowledged   bool       `json:"acknowledged"`
	AcknowledgedBy string     `json:"acknowledged_by,omitempty"`
	SnoozedUntil   *time.Time `json:"snoozed_until,omitempty"` // the acknowledgment is a snooze that ends then
	RotatedAt      *time.Time `json:"rotated_at,omitempty"`
	RotationSource string     `json:"rotation_source,omitempty"`
	// RecentlyRotated: the cycle began with a rotation notifier saw in the
	// last 7 days (state=rotated), not the credential's first.
	RecentlyRotated  bool    `json:"recently_rotated"`
	FailedDeliveries int     `json:"failed_deliveries"`
	Deferred         string  `json:"deferred,omitempty"`
	Next             APINext `json:"next"` // the next thing notifier will do: plan's first row
}

func apiCredentialOf(st engine.CredentialStatus) APICredential {
	c := APICredential{ID: st.ID, Name: st.Name, Owner: st.Owner, State: st.State, Deadline: st.Deadline, DaysRemaining: st.DaysRemaining,
		Stage: st.Stage, Acknowledged: st.Acknowledged, AcknowledgedBy: st.AcknowledgedBy, RotationSource: st.RotationSource,
		RecentlyRotated: st.RecentlyRotated, FailedDeliveries: st.FailedDeliveries, Deferred: st.Deferred, SnoozedUntil: st.SnoozedUntil}
	if !st.RotatedAt.IsZero() {
		at := st.RotatedAt
		c.RotatedAt = &at
	}
	return c
}

// APIPage is one page of GET /api/v1/credentials. Next is the cursor of
// the following page (pass it as ?after= with the same filter and sort); null on
// the last.
type APIPage struct {
	Credentials []APICredential `json:"credentials"`
	Next        *string         `json:"next"`
}

// apiListParams are the parameters GET /api/v1/credentials takes.
var apiListParams = map[string]bool{"state": true, "owner": true, "policy": true, "channel": true, "credential": true, "due_within": true, "q": true, "limit": true, "after": true, "sort": true}

// parseAPIList reads the fleet's filter, its free text and the page size
// from the URL; each bad value is one line naming its parameter.
func parseAPIList(v url.Values) (domain.CredentialFilter, string, int, error) {
	var f domain.CredentialFilter
	for k, vals := range v {
		switch {
		case !apiListParams[k]:
			return f, "", 0, fmt.Errorf("unknown parameter %q (known: state, owner, policy, channel, credential, due_within, q, limit, after, sort)", report.Escape(truncate(k, 40)))
		case len(vals) > 1:
			return f, "", 0, fmt.Errorf("%s: given %d times", k, len(vals))
		case len(vals[0]) > maxQueryField:
			return f, "", 0, fmt.Errorf("%s: longer than %d bytes", k, maxQueryField)
		}
	}
	f = domain.CredentialFilter{Owner: v.Get("owner"), Policy: v.Get("policy"), Channel: v.Get("channel"), State: v.Get("state"), Credential: v.Get("credential")}
	if err := setOrder(&f, v.Get("sort"), v.Get("after")); err != nil {
		return f, "", 0, err
	}
	switch f.State {
	case "", engine.StateOK, engine.StateDue, engine.StateOverdue, engine.StateRotated, engine.StateInactive:
	default:
		return f, "", 0, fmt.Errorf("state: %q is not one of ok, due, overdue, rotated, inactive", report.Escape(truncate(f.State, 40)))
	}
	if f.Credential != "" {
		if err := domain.CheckGlob(f.Credential); err != nil {
			return f, "", 0, fmt.Errorf("credential: %w", err)
		}
	}
	if d := v.Get("due_within"); d != "" {
		sp, err := schedule.ParseSpan(d)
		if err == nil && sp.TooLong() {
			err = fmt.Errorf("%q is longer than %s (100 years)", d, schedule.MaxSpan)
		}
		if err != nil {
			return f, "", 0, fmt.Errorf("due_within: %w", err)
		}
		f.DueWithin = sp
	}
	limit := APIDefaultLimit
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > APIMaxLimit {
			return f, "", 0, fmt.Errorf("limit: %q is not a number from 1 to %d", report.Escape(truncate(l, 40)), APIMaxLimit)
		}
		limit = n
	}
	return f, strings.TrimSpace(v.Get("q")), limit, nil
}

// apiList is GET /api/v1/credentials: a page of the fleet in id order
// (or deadline order: ?sort=deadline) after the cursor, as the filter and free text select, read as the
// fleet page reads it (the store's keyset reader, through the engine).
func (s *Server) apiList(w http.ResponseWriter, r *http.Request) {
	f, q, limit, err := parseAPIList(r.URL.Query())
	if err == nil {
		if err = s.channelKnown(f.Channel); err != nil {
			err = fmt.Errorf("channel: %w", err)
		}
	}
	if err != nil {
		apiFail(w, http.StatusBadRequest, APIBadRequest, err.Error())
		return
	}
	text := strings.ToLower(q)
	if text == "" {
		f.Limit = limit + 1
	}
	page := APIPage{Credentials: make([]APICredential, 0, min(limit+1, APIDefaultLimit+1))}
	var last engine.CredentialStatus // the page's last row
	err = s.eng.EachStatus(r.Context(), s.now(), f, func(st engine.CredentialStatus) error {
		if text != "" && !strings.Contains(strings.ToLower(st.ID), text) && !strings.Contains(strings.ToLower(st.Name), text) && !strings.Contains(strings.ToLower(st.Owner), text) {
			return nil
		}
		page.Credentials = append(page.Credentials, apiCredentialOf(st))
		if len(page.Credentials) <= limit {
			last = st
		}
		if len(page.Credentials) > limit {
			return errPageFull
		}
		return nil
	})
	if err != nil && !errors.Is(err, errPageFull) {
		s.apiInternal(w, r, err)
		return
	}
	if len(page.Credentials) > limit {
		page.Credentials = page.Credentials[:limit]
		next := cursorOf(f, last)
		page.Next = &next
	}
	if err := s.apiWithNext(r.Context(), page.Credentials); err != nil {
		s.apiInternal(w, r, err)
		return
	}
	apiJSON(w, http.StatusOK, page)
}

// APICycle is a credential's current cycle.
type APICycle struct {
	RotationID     int64      `json:"rotation_id"`
	StartedAt      time.Time  `json:"started_at"`
	Source         string     `json:"source"`
	Policy         string     `json:"policy"`
	Deadline       time.Time  `json:"deadline"`
	Active         bool       `json:"active"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	AcknowledgedBy string     `json:"acknowledged_by,omitempty"`
	SnoozedUntil   *time.Time `json:"snoozed_until,omitempty"`
	NextAction     *time.Time `json:"next_action,omitempty"`
}

// APIPlanned is one reminder the plan expects to send (a repeating stage
// once, with its repeats counted).
type APIPlanned struct {
	At            time.Time `json:"at"`
	Stage         string    `json:"stage"`
	Channels      []string  `json:"channels"`
	DaysRemaining int       `json:"days_remaining"`
	Repeats       int       `json:"repeats,omitempty"` // more sends of the stage, Every apart, until acknowledged
	Every         string    `json:"every,omitempty"`
	Deferred      []string  `json:"deferred,omitempty"` // channels waiting for their delivery window
}

// APIDelivery is one delivery of the current cycle.
type APIDelivery struct {
	ID            int64      `json:"id"`
	Stage         string     `json:"stage"`
	Seq           int        `json:"seq"`
	Channel       string     `json:"channel"`
	Status        string     `json:"status"`
	Due           time.Time  `json:"due"`
	Attempts      int        `json:"attempts"`
	SentAt        *time.Time `json:"sent_at,omitempty"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	LastError     string     `json:"last_error,omitempty"` // redacted when recorded
}

// APIEvent is one event of a credential's history.
type APIEvent struct {
	Time       time.Time  `json:"time"`
	RecordedAt *time.Time `json:"recorded_at,omitempty"`
	Type       string     `json:"type"`
	Stage      string     `json:"stage,omitempty"`
	Channel    string     `json:"channel,omitempty"`
	Status     string     `json:"status,omitempty"`
	Actor      string     `json:"actor,omitempty"`
	Detail     string     `json:"detail,omitempty"`
}

// APICredentialDetail is GET /api/v1/credentials/{id}: the credential as
// the fleet lists it, its current cycle, its plan, the current cycle's
// deliveries and its timeline across cycles (the latest apiMaxTimeline
// events, oldest first; TimelineTruncated when earlier ones were left
// out).
type APICredentialDetail struct {
	Credential        APICredential `json:"credential"`
	Cycle             APICycle      `json:"cycle"`
	Plan              []APIPlanned  `json:"plan"`
	Deliveries        []APIDelivery `json:"deliveries"`
	Timeline          []APIEvent    `json:"timeline"`
	TimelineTruncated bool          `json:"timeline_truncated"`
}

// apiCredential is GET /api/v1/credentials/{id}.
func (s *Server) apiCredential(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	st, c, ok := s.apiLookup(w, r, id)
	if !ok {
		return
	}
	d := APICredentialDetail{Credential: st, Cycle: c, Plan: []APIPlanned{}, Deliveries: []APIDelivery{}, Timeline: []APIEvent{}}
	ctx, now := r.Context(), s.now()
	var err error
	if d.Plan, err = s.apiPlan(ctx, id, now); err != nil {
		s.apiInternal(w, r, err)
		return
	}
	if d.Deliveries, err = s.apiDeliveries(ctx, id, c.RotationID); err != nil {
		s.apiInternal(w, r, err)
		return
	}
	if d.Timeline, d.TimelineTruncated, err = s.apiTimeline(ctx, id); err != nil {
		s.apiInternal(w, r, err)
		return
	}
	apiJSON(w, http.StatusOK, d)
}

// apiLookup reads credential id's row and current cycle; it answers
// not_found (or internal) itself and says false then.
func (s *Server) apiLookup(w http.ResponseWriter, r *http.Request, id string) (APICredential, APICycle, bool) {
	var st *engine.CredentialStatus
	err := s.eng.EachStatus(r.Context(), s.now(), domain.CredentialFilter{Credential: exactGlob(id), Limit: 1}, func(x engine.CredentialStatus) error {
		st = &x
		return nil
	})
	if err != nil {
		s.apiInternal(w, r, err)
		return APICredential{}, APICycle{}, false
	}
	if st == nil {
		apiFail(w, http.StatusNotFound, APINotFound, fmt.Sprintf("no credential %q", report.Escape(truncate(id, 80))))
		return APICredential{}, APICycle{}, false
	}
	cyc, err := s.eng.Store().Cycle(r.Context(), id)
	if err != nil {
		s.apiInternal(w, r, err)
		return APICredential{}, APICycle{}, false
	}
	one := []APICredential{apiCredentialOf(*st)}
	if err := s.apiWithNext(r.Context(), one); err != nil {
		s.apiInternal(w, r, err)
		return APICredential{}, APICycle{}, false
	}
	return one[0], s.apiCycleOf(cyc), true
}

// exactGlob is a --credential pattern that matches id only.
func exactGlob(id string) string {
	var b strings.Builder
	for _, r := range id {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *Server) apiCycleOf(c domain.Cycle) APICycle {
	loc := s.eng.Config().Location
	out := APICycle{RotationID: c.RotationID, StartedAt: c.Start.In(loc), Source: c.Source, Policy: c.Policy, Deadline: c.Deadline(loc).In(loc),
		Active: c.Active, AcknowledgedBy: c.AckBy}
	out.AcknowledgedAt, out.SnoozedUntil, out.NextAction = timePtr(c.AckAt, loc), timePtr(c.AckUntil, loc), timePtr(c.NextAction, loc)
	return out
}

// timePtr is t in loc, nil for the zero time.
func timePtr(t time.Time, loc *time.Location) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.In(loc)
	return &t
}

// apiPlan is what the plan expects to send for credential id from now on.
func (s *Server) apiPlan(ctx context.Context, id string, now time.Time) ([]APIPlanned, error) {
	out := []APIPlanned{}
	err := s.eng.PlanEach(ctx, now, apiPlanHorizon, domain.CredentialFilter{Credential: exactGlob(id)}, true, true, func(u engine.Upcoming) error {
		p := APIPlanned{At: u.At, Stage: u.Stage, Channels: u.Channels, DaysRemaining: u.DaysRemaining, Repeats: u.More, Every: u.Every}
		for _, d := range u.Deferred {
			p.Deferred = append(p.Deferred, d.Channel)
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

// apiDeliveries are the deliveries of credential id's cycle rotation.
func (s *Server) apiDeliveries(ctx context.Context, id string, rotation int64) ([]APIDelivery, error) {
	all, err := s.eng.Store().Deliveries(ctx, id)
	if err != nil {
		return nil, err
	}
	loc := s.eng.Config().Location
	out := []APIDelivery{}
	for _, d := range all {
		if d.RotationID != rotation {
			continue
		}
		out = append(out, APIDelivery{ID: d.ID, Stage: d.Stage, Seq: d.Seq, Channel: d.Channel, Status: d.Status, Due: d.Due.In(loc),
			Attempts: d.Attempts, SentAt: timePtr(d.SentAt, loc), NextAttemptAt: timePtr(d.NextAttemptAt, loc), LastError: d.LastError})
	}
	return out, nil
}

// apiTimeline is credential id's latest apiMaxTimeline events, oldest
// first, streamed through a ring: memory stays flat however long the
// history.
func (s *Server) apiTimeline(ctx context.Context, id string) ([]APIEvent, bool, error) {
	loc := s.eng.Config().Location
	ring := make([]APIEvent, 0, 64)
	n := 0
	err := s.eng.Store().EachEvent(ctx, domain.HistoryFilter{CredentialID: id}, func(e domain.Event) error {
		ev := APIEvent{Time: e.Time.In(loc), RecordedAt: timePtr(e.RecordedAt, loc), Type: e.Type, Stage: e.Stage, Channel: e.Channel,
			Status: e.Status, Actor: e.Actor, Detail: e.Detail}
		if len(ring) < apiMaxTimeline {
			ring = append(ring, ev)
		} else {
			ring[n%apiMaxTimeline] = ev
		}
		n++
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	if n <= apiMaxTimeline {
		return ring, false, nil
	}
	start := n % apiMaxTimeline
	return append(append([]APIEvent{}, ring[start:]...), ring[:start]...), true, nil
}

// apiBody decodes a POST's JSON body into v (an empty body: nothing);
// unknown fields are refused.
func apiBody(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fmt.Errorf("the body is larger than %d bytes", tooBig.Limit)
		}
		return fmt.Errorf("the body is not the JSON expected: %w", err)
	}
	if dec.More() {
		return errors.New("the body holds more than one JSON value")
	}
	return nil
}

// APIAckRequest is the body of POST /api/v1/credentials/{id}/ack: a plain
// acknowledgment, or a snooze (at most one of Until, For, NextStage).
type APIAckRequest struct {
	Note      string `json:"note"`
	At        string `json:"at"`    // when it happened (back-dated); "" now
	Until     string `json:"until"` // 2026-12-10, 2026-12-10T09:00 (the config's zone) or RFC 3339
	For       string `json:"for"`   // 3d, 12h
	NextStage bool   `json:"next_stage"`
}

// apiAck is POST /api/v1/credentials/{id}/ack: engine.Acknowledge, as
// `notifier ack` calls it, by api:NAME.
func (s *Server) apiAck(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var body APIAckRequest
	if err := apiBody(r, &body); err != nil {
		apiFail(w, http.StatusBadRequest, APIBadRequest, err.Error())
		return
	}
	loc := s.eng.Config().Location
	a := engine.Ack{Credential: id, By: apiActor(r), Note: body.Note, Source: "http", NextStage: body.NextStage}
	var err error
	n := 0
	for _, set := range []bool{body.Until != "", body.For != "", body.NextStage} {
		if set {
			n++
		}
	}
	switch {
	case n > 1:
		err = errors.New("until, for and next_stage: give at most one")
	case len(body.Note) > apiMaxNote:
		err = fmt.Errorf("note: longer than %d bytes", apiMaxNote)
	}
	if err == nil && body.For != "" {
		if a.For, err = schedule.ParseSpan(body.For); err == nil && a.For.IsZero() {
			err = errors.New("a snooze must last more than 0 (3d, 12h)")
		}
		if err != nil {
			err = fmt.Errorf("for: %w", err)
		}
	}
	if err == nil && body.Until != "" {
		if a.Until, err = config.ParseTime(body.Until, loc); err != nil {
			err = fmt.Errorf("until: %w", err)
		}
	}
	if err == nil {
		a.At, err = s.apiAt("at", body.At, loc)
	}
	if err != nil {
		apiFail(w, http.StatusBadRequest, APIBadRequest, err.Error())
		return
	}
	if err := s.eng.Acknowledge(r.Context(), a); err != nil {
		s.apiRefused(w, r, err)
		return
	}
	s.apiDone(w, r, id, http.StatusOK)
}

// APIRotationRequest is the body of POST /api/v1/credentials/{id}/rotations.
type APIRotationRequest struct {
	RotatedAt string `json:"rotated_at"` // "" now
	Note      string `json:"note"`
}

// apiRotate is POST /api/v1/credentials/{id}/rotations: engine.Rotate,
// as `notifier rotate` calls it, by api:NAME.
func (s *Server) apiRotate(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var body APIRotationRequest
	err := apiBody(r, &body)
	if err == nil && len(body.Note) > apiMaxNote {
		err = fmt.Errorf("note: longer than %d bytes", apiMaxNote)
	}
	var at time.Time
	if err == nil {
		at, err = s.apiAt("rotated_at", body.RotatedAt, s.eng.Config().Location)
	}
	if err != nil {
		apiFail(w, http.StatusBadRequest, APIBadRequest, err.Error())
		return
	}
	if err := s.eng.Rotate(r.Context(), engine.Rotation{Credential: id, At: at, By: apiActor(r), Note: body.Note, Source: "http"}); err != nil {
		s.apiRefused(w, r, err)
		return
	}
	s.apiDone(w, r, id, http.StatusCreated)
}

// apiAt is an action's moment: v parsed (the config's zone for a date or
// a local time), or the wall clock for "".
func (s *Server) apiAt(key, v string, loc *time.Location) (time.Time, error) {
	if v == "" {
		return s.now(), nil
	}
	t, err := config.ParseTime(v, loc)
	if err != nil {
		return t, fmt.Errorf("%s: %w", key, err)
	}
	return t, nil
}

// apiDone answers an action recorded: the credential and its cycle now.
func (s *Server) apiDone(w http.ResponseWriter, r *http.Request, id string, status int) {
	st, c, ok := s.apiLookup(w, r, id)
	if !ok {
		return
	}
	apiJSON(w, status, struct {
		Credential APICredential `json:"credential"`
		Cycle      APICycle      `json:"cycle"`
	}{st, c})
}

// apiRefused answers an action the engine refused, with the code its
// reason has.
func (s *Server) apiRefused(w http.ResponseWriter, r *http.Request, err error) {
	var already *domain.AlreadyAcknowledged
	switch {
	case errors.As(err, &already):
		apiFail(w, http.StatusConflict, APIConflict, already.Error()+"; nothing recorded")
	case errors.Is(err, domain.ErrFuture):
		apiFail(w, http.StatusUnprocessableEntity, APIFuture, err.Error())
	case errors.Is(err, domain.ErrUnknownCredential), errors.Is(err, domain.ErrNotFound):
		apiFail(w, http.StatusNotFound, APINotFound, err.Error())
	case errors.Is(err, domain.ErrNotNewer), errors.Is(err, domain.ErrInactive), errors.Is(err, domain.ErrBeforeCycle):
		apiFail(w, http.StatusConflict, APIConflict, err.Error())
	case strings.HasPrefix(err.Error(), "snooze of "):
		// The engine's refusals of a snooze's end (already over, before
		// it starts, no next stage) are untyped: the request's fault.
		apiFail(w, http.StatusBadRequest, APIBadRequest, err.Error())
	default:
		s.apiInternal(w, r, err)
	}
}
