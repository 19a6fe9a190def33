package channels

import (
	"errors"
	"net/url"
	"time"
)

// sendError carries the engine-facing verdict on a failed Send.
type sendError struct {
	err        error
	retryable  bool
	retryAfter time.Duration
}

func (e *sendError) Error() string { return e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying: a bad token, an unknown
// channel or topic, an invalid address. The engine records the delivery as
// failed at once, with err's text.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &sendError{err: err}
}

// Retryable marks err as worth retrying later: a network error, a 5xx
// answer, throttling.
func Retryable(err error) error {
	if err == nil {
		return nil
	}
	return &sendError{err: err, retryable: true}
}

// RetryAfter marks err as retryable no sooner than after d, as the service
// asked (Slack's Retry-After, for one).
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &sendError{err: err, retryable: true, retryAfter: d}
}

// Classify tells whether err is worth retrying and how long the service
// asked to wait (zero when it did not say). An error that was not marked by
// Permanent, Retryable or RetryAfter is retryable: a failure we cannot
// classify should not lose a reminder.
func Classify(err error) (retryable bool, after time.Duration) {
	var se *sendError
	if errors.As(err, &se) {
		return se.retryable, se.retryAfter
	}
	return err != nil, 0
}

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	retry, _ := Classify(err)
	return err != nil && !retry
}

// Redact returns err with every secret (and its derived forms, see
// Redactor.Add) replaced by Redacted, keeping its classification: a
// one-off Redactor. Integrations use the Redactor of their Options, which
// also knows the config's ${ENV} values.
func Redact(err error, secrets ...string) error {
	r := NewRedactor()
	r.Add(secrets...)
	return r.Error(err)
}

// RedactURL returns u with its user info, query and path hidden, for error
// messages about URLs that may embed a token (Slack and generic webhooks
// carry theirs in the path).
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "<redacted url>"
	}
	out := u.Scheme + "://" + u.Host
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		out += "/…"
	}
	return out
}
