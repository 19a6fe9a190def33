// Package slack posts reminders to Slack, with a bot token (chat.postMessage)
// or an incoming webhook, as Block Kit messages with an Acknowledge button.
package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/notifier-dev/notifier/internal/channels"
)

// DefaultTimeout bounds one request when the engine hands no HTTP client.
const DefaultTimeout = 30 * time.Second

// Channel posts to one Slack channel. Formatted (%v, %+v, %#v) or
// logged, it shows only its name and type.
type Channel struct {
	name   string
	cfg    Config
	http   *http.Client
	api    *slack.Client // nil in webhook mode
	logger *slog.Logger
	red    *channels.Redactor
}

// New returns a Slack channel; cfg must be valid (see Config.Validate). It
// does not contact Slack. opts.HTTPClient is used when set; otherwise a
// client with a 30s timeout; either way a redirect to another origin is
// not followed (channels.CheckRedirect).
func New(name string, cfg Config, opts channels.Options) (*Channel, error) {
	if problems := cfg.Validate(); len(problems) > 0 {
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = p.Error()
		}
		return nil, fmt.Errorf("slack %s: %s", name, strings.Join(msgs, "; "))
	}
	client := opts.HTTP(DefaultTimeout)
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// The token, and the incoming webhook URL, whose key is in its path.
	red := opts.RedactorOrNew()
	red.Add(string(cfg.Token), string(cfg.SigningSecret))
	red.AddURL(string(cfg.WebhookURL))
	c := &Channel{name: name, cfg: cfg, http: client, logger: logger, red: red}
	if cfg.Token != "" {
		apiURL := cfg.APIURL
		if apiURL == "" {
			apiURL = slack.APIURL
		}
		if !strings.HasSuffix(apiURL, "/") {
			apiURL += "/" // slack-go appends the method name as is
		}
		c.api = slack.New(string(cfg.Token), slack.OptionHTTPClient(client), slack.OptionAPIURL(apiURL))
	}
	return c, nil
}

func (c *Channel) Name() string { return c.name }
func (c *Channel) Type() string { return "slack" }

// String is the channel's name and type, never its token or webhook URL.
func (c *Channel) String() string { return channels.Describe(c) }

// GoString is String, for %#v.
func (c *Channel) GoString() string { return channels.Describe(c) }

// LogValue is what slog shows of the channel: its name and type.
func (c *Channel) LogValue() slog.Value { return channels.LogValue(c) }

// Send posts m. Rate limiting is retryable after Slack's Retry-After;
// network errors, the HTTP statuses channels.RetryableStatus names (5xx,
// 408, 409, 425, 429) and Slack's transient errors (ratelimited,
// service_unavailable, fatal_error, internal_error, request_timeout) are
// retryable; every other error Slack answers (invalid_auth,
// channel_not_found, is_archived, missing_scope, a webhook's 404 no_service,
// …) is permanent, since sending the same request again gives the same
// answer.
func (c *Channel) Send(ctx context.Context, m channels.Message) error {
	text, blocks, att := c.render(m)
	if c.api == nil {
		return c.sendWebhook(ctx, m, text, blocks, att)
	}
	opts := []slack.MsgOption{
		slack.MsgOptionText(text, false),
		slack.MsgOptionBlocks(blocks...),
		slack.MsgOptionAttachments(att),
		// Slack's unfurler must not fetch the ack link.
		slack.MsgOptionDisableLinkUnfurl(),
		slack.MsgOptionDisableMediaUnfurl(),
	}
	if c.cfg.Username != "" {
		opts = append(opts, slack.MsgOptionUsername(c.cfg.Username))
	}
	if c.cfg.IconEmoji != "" {
		opts = append(opts, slack.MsgOptionIconEmoji(c.cfg.IconEmoji))
	}
	target := c.cfg.Channel
	if len(m.To) > 0 {
		target = m.To[0] // the owner's channel or user
	}
	channelID, ts, err := c.api.PostMessageContext(ctx, target, opts...)
	if err != nil {
		return c.fail("chat.postMessage", err)
	}
	c.logger.DebugContext(ctx, "slack message posted", "channel", c.name,
		"slack_channel", channelID, "ts", ts, "delivery", m.DeliveryID)
	return nil
}

// render returns the fallback text, the blocks and the colour attachment of
// m, with the configured mention for overdue and final messages.
func (c *Channel) render(m channels.Message) (string, []slack.Block, slack.Attachment) {
	if m.Digest != nil {
		return m.Subject, DigestBlocks(m.Digest), slack.Attachment{}
	}
	blocks := Blocks(m)
	if c.cfg.Mention != "" && !m.Test && (m.Overdue || m.Final) {
		// After the header; a mention in blocks is what notifies people.
		mention := slack.NewSectionBlock(mrkdwn(c.cfg.Mention), nil, nil)
		blocks = slices.Insert(blocks, 1, slack.Block(mention))
	}
	return fallback(m, c.cfg.Mention), blocks, Attachment(m)
}

// webhookMessage is the body POSTed to an incoming webhook.
func (c *Channel) webhookMessage(text string, blocks []slack.Block, att slack.Attachment) *slack.WebhookMessage {
	no := false
	return &slack.WebhookMessage{
		Username:    c.cfg.Username,
		IconEmoji:   c.cfg.IconEmoji,
		Text:        text,
		Blocks:      &slack.Blocks{BlockSet: blocks},
		Attachments: []slack.Attachment{att},
		UnfurlLinks: &no,
		UnfurlMedia: &no,
	}
}

// sendWebhook POSTs to the incoming webhook. It does not use
// slack.PostWebhookCustomHTTPContext, which drops the body of an error
// answer: Slack says there why it refused (no_service, invalid_token,
// channel_is_archived, invalid_payload), and the operator needs to read it.
func (c *Channel) sendWebhook(ctx context.Context, m channels.Message, text string, blocks []slack.Block, att slack.Attachment) error {
	const op = "incoming webhook"
	body, err := json.Marshal(c.webhookMessage(text, blocks, att))
	if err != nil {
		return c.redact(channels.Permanent(fmt.Errorf("slack %s: %s: %w", c.name, op, err)))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, string(c.cfg.WebhookURL), bytes.NewReader(body))
	if err != nil {
		return c.redact(channels.Permanent(fmt.Errorf("slack %s: %s: %w", c.name, op, err)))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return c.redact(channels.Retryable(fmt.Errorf("slack %s: %s %s: %w", c.name, op, channels.RedactURL(string(c.cfg.WebhookURL)), err)))
	}
	defer func() {
		// Read Slack's "ok" too, so that the connection is reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}()
	if err := c.red.ClassifyHTTP(resp, nil, time.Now()); err != nil {
		return c.redact(fmt.Errorf("slack %s: %s: %w", c.name, op, err))
	}
	c.logger.DebugContext(ctx, "slack webhook posted", "channel", c.name, "delivery", m.DeliveryID)
	return nil
}

// transient are the "ok": false errors of the Web API worth retrying; any
// other one is Slack's deterministic answer to the request.
var transient = map[string]bool{
	"ratelimited":         true,
	"rate_limited":        true,
	"service_unavailable": true,
	"fatal_error":         true,
	"internal_error":      true,
	"request_timeout":     true,
}

// fail wraps a Web API error with the channel's name and the method, marks
// whether it is worth retrying and redacts the token.
func (c *Channel) fail(method string, err error) error {
	var (
		rate   *slack.RateLimitedError
		status slack.StatusCodeError
		apiErr slack.SlackErrorResponse
	)
	switch {
	case errors.As(err, &rate):
		return c.redact(channels.RetryAfter(fmt.Errorf("slack %s: %s: %w", c.name, method, err), rate.RetryAfter))
	case errors.As(err, &status):
		wrapped := fmt.Errorf("slack %s: %s: %w", c.name, method, err)
		if channels.RetryableStatus(status.Code) {
			return c.redact(channels.Retryable(wrapped))
		}
		return c.redact(channels.Permanent(wrapped))
	case errors.As(err, &apiErr):
		wrapped := fmt.Errorf("slack %s: %s: %w%s", c.name, method, err, details(apiErr))
		if transient[apiErr.Err] {
			return c.redact(channels.Retryable(wrapped))
		}
		return c.redact(channels.Permanent(wrapped))
	default:
		// Network errors, a cancelled context, an answer that is not JSON
		// (a proxy's error page): worth another try.
		return c.redact(channels.Retryable(fmt.Errorf("slack %s: %s: %w", c.name, method, err)))
	}
}

// details is what Slack said beyond the error code: the scopes a
// missing_scope error needs, the reasons of invalid_blocks.
func details(e slack.SlackErrorResponse) string {
	var parts []string
	if e.Needed != "" {
		parts = append(parts, "needed: "+e.Needed)
	}
	if e.Provided != "" {
		parts = append(parts, "provided: "+e.Provided)
	}
	parts = append(parts, e.ResponseMetadata.Messages...)
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

func (c *Channel) redact(err error) error { return c.red.Error(err) }
