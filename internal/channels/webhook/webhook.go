// Package webhook POSTs each reminder as JSON to a URL.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
)

// Config is a webhook channel's configuration. The URL is a Secret because
// many services (Slack, Teams, Discord) put the key in it.
type Config struct {
	URL     channels.Secret            `yaml:"url"`
	Headers map[string]channels.Secret `yaml:"headers"`
	Timeout time.Duration              `yaml:"timeout"` // default 10s
}

// DefaultTimeout bounds one POST.
const DefaultTimeout = 10 * time.Second

// Routable: a message may be posted to the owner's URL instead of url:.
func (c *Config) Routable() error { return nil }

// Recipient is the URL without its user, password and query.
func (c *Config) Recipient() string { return channels.URLRecipient(string(c.URL)) }

// Validate reports every problem at once, never quoting the URL.
func (c *Config) Validate() []channels.FieldError {
	var errs []channels.FieldError
	if c.URL == "" {
		errs = append(errs, channels.FieldError{Field: "url", Msg: "missing: the URL to POST reminders to"})
	} else if u, err := url.Parse(string(c.URL)); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, channels.FieldError{Field: "url", Msg: "is not an absolute http(s) URL"})
	}
	for k := range c.Headers {
		if k == "" || strings.ContainsAny(k, " :\r\n") {
			errs = append(errs, channels.FieldError{Field: "headers", Msg: fmt.Sprintf("%q is not a header name", k)})
		}
	}
	if c.Timeout < 0 {
		errs = append(errs, channels.FieldError{Field: "timeout", Msg: "must not be negative"})
	}
	return errs
}

// Build returns the channel.
func (c *Config) Build(name string, opts channels.Options) (channels.Channel, error) {
	return New(name, *c, opts), nil
}

// Channel posts to one URL. Formatted (%v, %+v) or logged, it shows only
// its name and type.
type Channel struct {
	name   string
	cfg    Config
	client *http.Client
	red    *channels.Redactor
}

// New returns a webhook channel. opts.HTTPClient is used when set; otherwise
// a client with cfg.Timeout (default 10s); either way a redirect to
// another origin is not followed (channels.CheckRedirect).
func New(name string, cfg Config, opts channels.Options) *Channel {
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	client := opts.HTTP(cfg.Timeout)
	// The URL is a secret (many services put the key in it), and so is
	// every header value (Authorization, X-Api-Key).
	red := opts.RedactorOrNew()
	red.AddURL(string(cfg.URL))
	for k, v := range cfg.Headers {
		red.AddHeader(k, string(v))
	}
	return &Channel{name: name, cfg: cfg, client: client, red: red}
}

func (c *Channel) Name() string { return c.name }
func (c *Channel) Type() string { return "webhook" }

// String is the channel's name and type, never its URL: fmt does not call
// Config's String on an unexported field.
func (c *Channel) String() string { return channels.Describe(c) }

// GoString is String, for %#v.
func (c *Channel) GoString() string { return channels.Describe(c) }

// LogValue is what slog shows of the channel: its name and type.
func (c *Channel) LogValue() slog.Value { return channels.LogValue(c) }

// Payload is the JSON body of every POST, channels.Payload: receivers
// (and their tests) name it by the integration that sends it.
type Payload = channels.Payload

// Send POSTs the payload. A 2xx answer is success; channels.ClassifyHTTP
// judges any other (408, 409, 425, 429 and 5xx are worth retrying, 429 and
// 503 after their Retry-After; the rest is permanent). The Idempotency-Key
// header carries the delivery key so a receiver can drop a resend.
func (c *Channel) Send(ctx context.Context, m channels.Message) error {
	body, err := json.Marshal(channels.NewPayload(m))
	if err != nil {
		return channels.Permanent(fmt.Errorf("webhook %s: %w", c.name, err))
	}
	target := string(c.cfg.URL)
	if len(m.To) > 0 {
		// The owner's URL: a secret too (the config registered it).
		target = m.To[0]
		c.red.AddURL(target)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return channels.Permanent(c.redact(fmt.Errorf("webhook %s: %w", c.name, err)))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "notifier")
	if m.DeliveryKey != "" {
		req.Header.Set("Idempotency-Key", m.DeliveryKey)
	}
	for k, v := range c.cfg.Headers {
		req.Header.Set(k, string(v))
	}
	resp, err := c.client.Do(req)
	if err == nil {
		defer func() {
			// Read a 2xx answer too, so that the connection is reused.
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}()
	}
	if err := c.red.ClassifyHTTP(resp, err, time.Now()); err != nil {
		return c.redact(fmt.Errorf("webhook %s: POST %s: %w", c.name, channels.RedactURL(target), err))
	}
	return nil
}

func (c *Channel) redact(err error) error { return c.red.Error(err) }
