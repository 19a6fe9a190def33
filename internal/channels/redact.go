package channels

// Redaction by construction.
//
// A service may echo what it received in its error answer: the URL with
// its key, the Authorization header, the SMTP AUTH blob, the AWS session
// token. So every secret is registered, with the forms it takes on the
// wire, with one Redactor, and every error from a service passes through
// that Redactor before it reaches a log, an output, the history or the
// database.
//
// How secrets reach it:
//   - the engine makes one Redactor (engine.New) and registers with it
//     every value the config took from ${ENV} (config.Config.Secrets);
//   - it hands the Redactor to every integration in Options.Redactor when it
//     builds the channels; each integration registers, at Build, the
//     secrets of its own config with their derived forms (AddURL for a URL
//     with a key, AddHeader for a header, AddLogin for a user and password),
//     and at Send those it learns late (the AWS SDK's credentials:
//     Rotate);
//   - the engine redacts the text of every failed send in one place, where
//     the outcome, the history event and the log line are made; `notifier
//     test` redacts what it prints; integrations redact their own errors
//     too (Error, ClassifyHTTP).
//
// A Redactor is a value handed around, never a package global: two engines
// in one process (tests) do not share secrets.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Redacted replaces every registered secret form in a redacted text.
const Redacted = "<redacted>"

// MinSecretLen is the shortest value that is registered. A shorter one
// ("on", "ops", a 3-digit port) is not a secret worth the name, and cutting
// it out of every message would hide what went wrong while protecting
// nothing; such values are silently not registered.
const MinSecretLen = 4

// MinURLPartLen is the shortest query value or path segment of a secret URL
// that is registered on its own: long enough to be a key (Slack's webhook
// key has 24 characters, a Discord token 68), short words of the path
// ("api", "hooks", "v1") are not.
const MinURLPartLen = 8

// minEmbedded is the shortest base64 run registered for a secret embedded
// at any offset in a longer base64 text; shorter runs would match by chance.
const minEmbedded = 8

// Redactor knows every registered secret in all its wire forms and cuts
// them out of texts and errors. The zero value is not usable; use
// NewRedactor. A nil *Redactor registers nothing and redacts nothing. It is
// safe for concurrent use.
type Redactor struct {
	mu       sync.RWMutex
	fixed    map[string]struct{}    // forms registered for the life of the Redactor
	rotating map[string][2][]string // source → forms of its previous and current values
	// index maps the first MinSecretLen bytes of every form to the forms
	// starting with them, longest first: one pass over a text finds every
	// occurrence of every form.
	index map[string][]string
}

// NewRedactor returns an empty Redactor.
func NewRedactor() *Redactor {
	return &Redactor{fixed: map[string]struct{}{}, rotating: map[string][2][]string{}, index: map[string][]string{}}
}

// Add registers secret values with their derived forms: the value itself,
// URL query- and path-escaped, JSON- and Go-quoted, base64 (standard and
// URL alphabets, with and without padding), and the runs of base64 the
// value makes at any offset inside a longer base64 text. Values shorter
// than MinSecretLen are not registered.
func (r *Redactor) Add(values ...string) {
	if r == nil {
		return
	}
	var forms []string
	for _, v := range values {
		forms = appendValueForms(forms, v)
	}
	r.addForms(forms)
}

// AddURL registers a URL that is itself a secret (a webhook URL carrying a
// key): the whole URL, the password (or a lone token) of its user info,
// every query value and every path segment at least MinURLPartLen long,
// each as written in the URL and decoded, each with Add's derived forms.
func (r *Redactor) AddURL(raw string) {
	if r == nil || raw == "" {
		return
	}
	values := []string{raw}
	u, err := url.Parse(raw)
	if err == nil {
		values = append(values, urlParts(u)...)
	}
	r.Add(values...)
}

func urlParts(u *url.URL) []string {
	var parts []string
	if u.User != nil {
		if p, ok := u.User.Password(); ok {
			parts = append(parts, p)
		} else {
			parts = append(parts, u.User.Username()) // https://TOKEN@host
		}
		parts = append(parts, u.User.String())
	}
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		if len(seg) < MinURLPartLen {
			continue
		}
		parts = append(parts, seg)
		if dec, err := url.PathUnescape(seg); err == nil {
			parts = append(parts, dec)
		}
	}
	for _, pair := range strings.FieldsFunc(u.RawQuery, func(c rune) bool { return c == '&' || c == ';' }) {
		_, v, found := strings.Cut(pair, "=")
		if !found {
			v = pair
		}
		if len(v) < MinURLPartLen {
			continue
		}
		parts = append(parts, v)
		if dec, err := url.QueryUnescape(v); err == nil {
			parts = append(parts, dec)
		}
	}
	return parts
}

// authSchemes are the Authorization schemes whose credentials follow the
// scheme name after a space.
var authSchemes = []string{"bearer", "basic", "token", "bot", "apikey", "key", "sso-key"}

// AddHeader registers the value of an HTTP header that is a secret. For an
// Authorization (or Proxy-Authorization) value, or any value that starts
// with a known scheme ("Bearer X", "Basic X", "Token X"), the credentials
// after the scheme are registered too: X, and for Basic the decoded
// "user:pass" and its password.
func (r *Redactor) AddHeader(name, value string) {
	if r == nil {
		return
	}
	values := []string{value}
	scheme, cred, found := strings.Cut(strings.TrimSpace(value), " ")
	known := slices.Contains(authSchemes, strings.ToLower(scheme))
	if found && (known || strings.EqualFold(name, "Authorization") || strings.EqualFold(name, "Proxy-Authorization")) {
		cred = strings.TrimSpace(cred)
		values = append(values, cred)
		if strings.EqualFold(scheme, "basic") {
			if dec, err := base64.StdEncoding.DecodeString(cred); err == nil {
				values = append(values, string(dec))
				if _, pass, ok := strings.Cut(string(dec), ":"); ok {
					values = append(values, pass)
				}
			}
		}
	}
	r.Add(values...)
}

// AddLogin registers a password used with a user name, with the forms the
// pair takes on the wire: the password (Add's forms; SMTP AUTH LOGIN sends
// base64(password) alone), the AUTH PLAIN blob, base64 of "\x00user\x00pass"
// and of "user\x00user\x00pass", and HTTP Basic credentials, base64 of
// "user:pass". The user name alone is not a secret. A password shorter than
// MinSecretLen registers nothing.
func (r *Redactor) AddLogin(user, pass string) {
	if r == nil || len(pass) < MinSecretLen {
		return
	}
	forms := appendValueForms(nil, pass)
	for _, blob := range []string{
		"\x00" + user + "\x00" + pass, // AUTH PLAIN, no authorization identity (net/smtp)
		user + "\x00" + user + "\x00" + pass,
		user + ":" + pass, // Basic, and a URL's user info
	} {
		forms = appendBase64Forms(forms, []byte(blob))
	}
	forms = append(forms, user+":"+pass)
	r.addForms(forms)
}

// Rotate registers the current values of secrets that change over time
// under source (the AWS SDK's temporary credentials, refreshed every hour
// or so): the values registered under source before the previous call are
// forgotten, so that a long-running daemon does not accumulate every
// session token it ever had, while a send that began just before a
// refresh is still covered.
func (r *Redactor) Rotate(source string, values ...string) {
	if r == nil {
		return
	}
	var forms []string
	for _, v := range values {
		forms = appendValueForms(forms, v)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	prev := r.rotating[source]
	r.rotating[source] = [2][]string{prev[1], forms}
	r.rebuild()
}

// String returns s with every occurrence of every registered form replaced
// by Redacted. Occurrences that overlap or touch are replaced as one, so
// no part of a secret survives between two matches.
func (r *Redactor) String(s string) string {
	return r.apply(s, r.spans(s), len(s))
}

// Error returns err with its text redacted and its classification
// (Permanent, Retryable, RetryAfter) kept; err itself when it holds no
// secret. The redacted error still answers errors.Is about the original
// chain (context.DeadlineExceeded, say) but errors.As cannot reach the
// original errors, whose fields (a StatusError's Body, a url.Error's URL)
// hold the text unredacted.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	red := r.String(msg)
	if red == msg {
		return err
	}
	retry, after := Classify(err)
	return &sendError{err: &redactedError{msg: red, orig: err}, retryable: retry, retryAfter: after}
}

// ClassifyHTTP is the package's ClassifyHTTP with the answer redacted: the
// body is redacted before it is cut to its snippet, so a secret the
// service echoed is not cut in half past recognition, and the
// StatusError's Body holds only the redacted text; a transport error (it
// quotes the URL) is redacted with Error.
func (r *Redactor) ClassifyHTTP(resp *http.Response, err error, now time.Time) error {
	if err != nil {
		return Retryable(r.Error(err))
	}
	if resp == nil { // not what http.Client.Do does, but no reason to panic
		return Retryable(errors.New("no HTTP response"))
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	// The snippet and the drain, read at once: a secret that starts in
	// the snippet ends in what follows.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxSnippet+maxDrain))
	snippet := r.cut(string(body), maxSnippet)
	status := resp.Status
	if status == "" { // a Response built by hand rather than read from the wire
		status = strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode)
	}
	se := &StatusError{Code: resp.StatusCode, Status: r.String(status), Body: strings.TrimSpace(snippet)}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		if loc, err := resp.Location(); err == nil && loc.Host != "" {
			se.Redirect = r.String(Origin(loc))
		}
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		return RetryAfter(se, ParseRetryAfter(resp.Header.Get("Retry-After"), now))
	case RetryableStatus(resp.StatusCode):
		return Retryable(se)
	default:
		return Permanent(se)
	}
}

// redactedError prints only the redacted text. It has no Unwrap: errors.As
// must not find the original errors, which hold the secret; Is answers for
// the original chain, which reveals nothing.
type redactedError struct {
	msg  string
	orig error
}

func (e *redactedError) Error() string        { return e.msg }
func (e *redactedError) Is(target error) bool { return errors.Is(e.orig, target) }

// span is one run of s to replace, [start, end).
type span struct{ start, end int }

// spans finds every occurrence of every form in s, merged: overlapping
// and touching occurrences make one span.
func (r *Redactor) spans(s string) []span {
	if r == nil || len(s) < MinSecretLen {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if len(r.index) == 0 {
		return nil
	}
	var out []span
	for i := 0; i+MinSecretLen <= len(s); i++ {
		for _, f := range r.index[s[i:i+MinSecretLen]] { // longest first
			if !strings.HasPrefix(s[i:], f) {
				continue
			}
			end := i + len(f)
			if n := len(out); n > 0 && i <= out[n-1].end {
				out[n-1].end = max(out[n-1].end, end)
			} else {
				out = append(out, span{i, end})
			}
			break
		}
	}
	return out
}

// apply replaces the spans of s that start before limit, and returns s cut
// at limit, or at the end of the span that straddles it.
func (r *Redactor) apply(s string, spans []span, limit int) string {
	limit = min(limit, len(s))
	if len(spans) == 0 {
		return s[:limit]
	}
	var b strings.Builder
	last := 0
	for _, sp := range spans {
		if sp.start >= limit {
			break
		}
		b.WriteString(s[last:sp.start])
		b.WriteString(Redacted)
		last = sp.end
	}
	if last < limit {
		b.WriteString(s[last:limit])
	}
	return b.String()
}

// cut is the first n bytes of s, redacted; a secret that straddles the
// n-th byte is cut out whole rather than in half.
func (r *Redactor) cut(s string, n int) string {
	return r.apply(s, r.spans(s), n)
}

// addForms adds forms to the fixed set and rebuilds the index if any is new.
func (r *Redactor) addForms(forms []string) {
	if len(forms) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	for _, f := range forms {
		if len(f) < MinSecretLen {
			continue
		}
		if _, ok := r.fixed[f]; !ok {
			r.fixed[f] = struct{}{}
			changed = true
		}
	}
	if changed {
		r.rebuild()
	}
}

// rebuild remakes the index from the fixed and rotating forms; r.mu is held.
func (r *Redactor) rebuild() {
	index := make(map[string][]string, len(r.fixed))
	seen := make(map[string]bool, len(r.fixed))
	add := func(f string) {
		if len(f) < MinSecretLen || seen[f] {
			return
		}
		seen[f] = true
		k := f[:MinSecretLen]
		index[k] = append(index[k], f)
	}
	for f := range r.fixed {
		add(f)
	}
	for _, gens := range r.rotating {
		for _, forms := range gens {
			for _, f := range forms {
				add(f)
			}
		}
	}
	for _, forms := range index {
		slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	}
	r.index = index
}

// appendValueForms appends v's wire forms, or nothing for a value shorter
// than MinSecretLen.
func appendValueForms(forms []string, v string) []string {
	if len(v) < MinSecretLen {
		return forms
	}
	forms = append(forms, v, url.QueryEscape(v), url.PathEscape(v))
	// JSON, as encoding/json writes it (<, > and & escaped) and as other
	// encoders do (/ escaped); Go's %q, as in url.Error's `Post "…"`.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if err := enc.Encode(v); err == nil {
		q := strings.TrimSuffix(buf.String(), "\n")
		inner := q[1 : len(q)-1]
		forms = append(forms, inner, strings.ReplaceAll(inner, "/", `\/`))
	}
	if q := strconv.Quote(v); len(q) >= 2 {
		forms = append(forms, q[1:len(q)-1])
	}
	return appendBase64Forms(forms, []byte(v))
}

// appendBase64Forms appends b in base64: standard and URL alphabets, with
// and without padding, and the runs of characters b alone determines when
// it sits at any offset (0, 1 or 2 bytes modulo 3) inside a longer encoded
// text, such as a password inside an AUTH PLAIN blob or a JSON document.
func appendBase64Forms(forms []string, b []byte) []string {
	if len(b) < MinSecretLen {
		return forms
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		forms = append(forms, enc.EncodeToString(b))
	}
	for offset := 1; offset <= 2; offset++ {
		padded := append(make([]byte, offset), b...)
		std := base64.StdEncoding.EncodeToString(padded)
		// Character i stands for bits [6i, 6i+6); those wholly inside b's
		// bits [8·offset, 8·(offset+len(b))) do not depend on what
		// surrounds b.
		from, to := (8*offset+5)/6, (8*(offset+len(b)))/6
		if to-from < minEmbedded {
			continue
		}
		run := std[from:to]
		forms = append(forms, run, base64URL.Replace(run))
	}
	// At offset 0 the run is a prefix of the plain encoding: a form of its
	// own, for the text that follows b in a longer encoding.
	if to := (8 * len(b)) / 6; to >= minEmbedded {
		run := base64.StdEncoding.EncodeToString(b)[:to]
		forms = append(forms, run, base64URL.Replace(run))
	}
	return forms
}

var base64URL = strings.NewReplacer("+", "-", "/", "_")
