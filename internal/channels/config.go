package channels

import (
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Config is one integration's configuration, decoded from the channel's
// block in the YAML config (its yaml tags are the public keys). The config
// package decodes it strictly, reports Validate's problems with file and
// line, then calls Build.
type Config interface {
	// Validate returns every problem with the configuration at once.
	// It must not contact the service.
	Validate() []FieldError
	// Build returns a ready Channel. It must not contact the service either:
	// `notifier check` and start-up stay offline.
	Build(name string, opts Options) (Channel, error)
}

// Addressed is a Config that can say where its messages go, as the
// operator knows it (a Slack channel, e-mail addresses, an SNS topic, a
// webhook's URL without its query): `tick --dry-run` shows it. It may
// still hold a secret: callers pass it through the Redactor.
type Addressed interface {
	Recipient() string
}

// URLRecipient is a URL as a recipient: scheme, host and path, without
// the user, the password, the query and the fragment, where keys hide.
func URLRecipient(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(a URL)"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// FieldError is one problem with one key of a channel's configuration. Field
// is the yaml key ("token", "smtp"), Msg says what is wrong without quoting
// a secret value.
type FieldError struct {
	Field string
	Msg   string
}

func (e FieldError) Error() string { return e.Field + ": " + e.Msg }

// Options are what the engine hands every integration when building it.
type Options struct {
	// Logger is the integration's logger; never log a secret to it.
	Logger *slog.Logger
	// HTTPClient is used by integrations that speak HTTP; nil means a client
	// with the engine's default timeout.
	HTTPClient *http.Client
	// Stdout is where the stdout channel prints; nil means os.Stdout.
	Stdout io.Writer
	// Concurrency is how many sends of the channel may be in flight at
	// once: an HTTP integration keeps that many idle connections to its
	// service (Go's default of 2 would open and close the others for
	// every request). 0 means 1.
	Concurrency int
	// Redactor is where the integration registers its secrets (at Build,
	// with their wire forms) and what it redacts its errors with. The
	// engine hands every channel the same one, which also knows the
	// config's ${ENV} values; nil means a Redactor of the channel's own.
	Redactor *Redactor
}

// RedactorOrNew is o.Redactor, or a new Redactor when it is nil.
func (o Options) RedactorOrNew() *Redactor {
	if o.Redactor != nil {
		return o.Redactor
	}
	return NewRedactor()
}

// HTTP is the client an HTTP integration uses: the engine's
// (o.HTTPClient) when it hands one, else NewHTTPClient(timeout); either
// way with CheckRedirect as its redirect policy.
func (o Options) HTTP(timeout time.Duration) *http.Client {
	if o.HTTPClient == nil {
		return o.NewHTTPClient(timeout)
	}
	c := *o.HTTPClient // the same transport; the caller's client is left as it is
	c.CheckRedirect = CheckRedirect
	return &c
}

// NewHTTPClient is the client an HTTP integration uses when the engine
// hands none: timeout bounds one request, as many idle connections to one
// host are kept as sends may be in flight, and redirects are followed as
// CheckRedirect says.
func (o Options) NewHTTPClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = max(2, o.Concurrency)
	return &http.Client{Timeout: timeout, Transport: t, CheckRedirect: CheckRedirect}
}

// MaxRedirects is how many redirects within one origin a request follows.
const MaxRedirects = 3

// CheckRedirect is the redirect policy of every HTTP client notifier
// builds (an http.Client's CheckRedirect). A request carries secrets (a
// header, a token in its body, the ack link in a reminder), so it follows
// a redirect only to the same origin (scheme, host and port), with the
// same method (a 301, 302 or 303 would turn a POST into a GET without its
// body), at most MaxRedirects times. Any other redirect is not followed:
// the 3xx answer is returned as it is, and ClassifyHTTP makes it a
// permanent failure naming the status and the origin it pointed to.
func CheckRedirect(req *http.Request, via []*http.Request) error {
	first := via[0]
	if len(via) > MaxRedirects || req.Method != first.Method || Origin(req.URL) != Origin(first.URL) {
		return http.ErrUseLastResponse
	}
	return nil
}

// Origin is u's scheme and host (with its port, if any), lowercased:
// never its user info, path or query, which may hold a secret.
func Origin(u *url.URL) string {
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// Routable is a Config whose channel can send a message to the address
// in Message.To (a credential owner's route) instead of its own: nil when
// it can, else why not. A Config that is not Routable cannot.
type Routable interface {
	Routable() error
}

// Interactive is a channel Config whose messages carry buttons that the
// service posts back to notifier's HTTP API (Slack's Acknowledge button).
// InteractionSecret is the secret those requests are verified with; empty
// when not configured. The config checks it is set; the built channel, an
// InteractiveChannel, verifies the requests with it.
type Interactive interface {
	InteractionSecret() string
}
