package channels

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxRetryAfter caps a service's Retry-After: a misconfigured server asking
// for a year must not park a reminder for a year. A day is longer than any
// real throttling and short next to a rotation deadline's notice.
const MaxRetryAfter = 24 * time.Hour

// maxSnippet is how much of an error answer's body goes into the error: what
// the service said (Slack's no_service, a JSON error) without a whole page.
const maxSnippet = 512

// maxDrain is how much more of an error answer is read, unseen, so that the
// connection can be reused.
const maxDrain = 64 << 10

// StatusError is a non-2xx HTTP answer: its status and the start of its
// body. It says nothing of the URL, which may hold a secret; the
// integration adds its own context. Made by a Redactor's ClassifyHTTP, as
// every integration does, Body is already redacted; made by the package's
// ClassifyHTTP it is the service's text as received, which may echo a
// secret.
type StatusError struct {
	Code   int    // 503
	Status string // "503 Service Unavailable"
	Body   string // the first 512 bytes of the body (more to keep a redacted secret whole), trimmed
	// Redirect is the origin a 3xx answer's Location points to
	// ("https://other.example"), never its path or query; empty when there
	// is none.
	Redirect string
}

func (e *StatusError) Error() string {
	s := e.Status
	if e.Redirect != "" {
		s += " (redirect to " + e.Redirect + " not followed)"
	}
	if e.Body == "" {
		return s
	}
	return s + ": " + e.Body
}

// RetryableStatus reports whether an HTTP status is worth retrying:
//   - 408 Request Timeout, 425 Too Early and 429 Too Many Requests, which
//     say "the same request, later";
//   - 409 Conflict, for the Idempotency-Key the webhook channel sends: a
//     receiver that honours the key (the IETF httpapi draft, Stripe) answers
//     409 while a first request with it is still in flight, and a retry
//     then gets that request's own answer;
//   - 5xx, the server's fault (Alertmanager's Retrier retries every 5xx
//     too), and any code above 599, which no standard defines: a failure we
//     cannot classify should not lose a reminder.
//
// Every other status (1xx and 3xx that the client did not follow, see
// CheckRedirect; the remaining 4xx) is the service's deterministic answer
// to this request.
func RetryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusConflict, http.StatusTooEarly, http.StatusTooManyRequests:
		return true
	}
	return code >= 500
}

// ClassifyHTTP turns the outcome of one HTTP request, resp and err as
// http.Client.Do returned them, into the engine-facing error: nil for a 2xx
// answer; a transport error (err != nil) as Retryable; any other answer as a
// *StatusError marked Retryable or Permanent by RetryableStatus. A 429 or
// 503 honours Retry-After (seconds or an HTTP-date, relative to now), as
// RFC 9110 and RFC 6585 define it for those two.
//
// It reads the body of an error answer (the snippet, then up to 64 KiB more
// so the connection can be reused) and never the body of a 2xx one; the
// caller closes it. The error quotes the service's answer, which may echo a
// secret: integrations call their Redactor's ClassifyHTTP, which redacts
// the body before cutting it to the snippet.
func ClassifyHTTP(resp *http.Response, err error, now time.Time) error {
	return (*Redactor)(nil).ClassifyHTTP(resp, err, now)
}

// ParseRetryAfter reads a Retry-After header value: delay-seconds or an
// HTTP-date (RFC 9110 section 10.2.3), the latter relative to now. It is 0
// when v is empty or unparseable, 0 for a negative delay or a date in the
// past, and at most MaxRetryAfter.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	// Out of range, ParseInt gives the nearest int64, still a delay to clamp;
	// clamping before multiplying keeps it from overflowing.
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		switch {
		case secs <= 0:
			return 0
		case secs >= int64(MaxRetryAfter/time.Second):
			return MaxRetryAfter
		}
		return time.Duration(secs) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	return min(max(t.Sub(now), 0), MaxRetryAfter)
}
