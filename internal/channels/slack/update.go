package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/slack-go/slack"

	"github.com/notifier-dev/notifier/internal/channels"
)

// Update replaces a message the channel posted (the Slack channel id and
// the message's ts, as an interaction names them) with m: after an
// acknowledgment, "Acknowledged by …" instead of the button. It needs the
// bot token (chat.update); with an incoming webhook it answers
// ErrNoToken and the caller uses the interaction's response_url.
func (c *Channel) Update(ctx context.Context, slackChannel, ts string, m channels.Message) error {
	if c.api == nil {
		return ErrNoToken
	}
	text, blocks, att := c.render(m)
	_, _, _, err := c.api.UpdateMessageContext(ctx, slackChannel, ts,
		slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...), slack.MsgOptionAttachments(att))
	if err != nil {
		return c.fail("chat.update", err)
	}
	return nil
}

// ErrNoToken: the channel posts through an incoming webhook, so it cannot
// call chat.update.
var ErrNoToken = errors.New("slack: the channel has no bot token")

// Respond replaces the message through an interaction's response_url
// (which Slack signs into the request notifier verified): the way to
// update a message an incoming webhook posted.
func (c *Channel) Respond(ctx context.Context, responseURL string, m channels.Message) error {
	text, blocks, att := c.render(m)
	body, err := json.Marshal(struct {
		ReplaceOriginal bool               `json:"replace_original"`
		Text            string             `json:"text"`
		Blocks          []slack.Block      `json:"blocks"`
		Attachments     []slack.Attachment `json:"attachments"`
	}{true, text, blocks, []slack.Attachment{att}})
	if err != nil {
		return fmt.Errorf("slack %s: response_url: %w", c.name, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(body))
	if err != nil {
		return c.redact(fmt.Errorf("slack %s: response_url: %w", c.name, err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return c.redact(fmt.Errorf("slack %s: response_url: %w", c.name, err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("slack %s: response_url: HTTP %d", c.name, resp.StatusCode)
	}
	return nil
}
