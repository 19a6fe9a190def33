package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/notifier-dev/notifier/internal/channels"
)

// The Acknowledge button's clicks come back to notifier's HTTP API, which
// hands them to the channel (channels.InteractiveChannel).
var _ channels.InteractiveChannel = (*Channel)(nil)

// VerifyInteraction checks Slack's signature of the request with the
// app's signing secret. slack-go refuses a timestamp more than five
// minutes from the real clock, so an older request cannot be replayed.
func (c *Channel) VerifyInteraction(h http.Header, body []byte) error {
	secret := string(c.cfg.SigningSecret)
	if secret == "" {
		return fmt.Errorf("slack %s: no signing_secret configured", c.name)
	}
	if h.Get("X-Slack-Signature") == "" || h.Get("X-Slack-Request-Timestamp") == "" {
		return fmt.Errorf("slack %s: the request is not signed", c.name)
	}
	v, err := slack.NewSecretsVerifier(h, secret)
	if err != nil {
		return fmt.Errorf("slack %s: %w", c.name, err) // a stale or malformed timestamp
	}
	if _, err := v.Write(body); err != nil {
		return fmt.Errorf("slack %s: %w", c.name, err)
	}
	if err := v.Ensure(); err != nil {
		return fmt.Errorf("slack %s: %w", c.name, err)
	}
	return nil
}

// ParseInteraction reads a block_actions interaction (a form whose payload
// is the JSON callback). Only the Acknowledge and snooze buttons (their
// action ids, their value the delivery id) are notifier's. With team_id set, an interaction from
// another workspace is refused (channels.ErrNotAllowed).
func (c *Channel) ParseInteraction(body []byte) (channels.Interaction, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return channels.Interaction{}, fmt.Errorf("slack %s: not a form: %w", c.name, err)
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		return channels.Interaction{}, fmt.Errorf("slack %s: payload is not an interaction: %w", c.name, err)
	}
	if team := c.cfg.TeamID; team != "" {
		// A workspace id (T…) is the click's team.id; an Enterprise Grid
		// organisation (E…) is its enterprise.id, the team.id being the
		// workspace the click came from.
		got := cb.Team.ID
		if strings.HasPrefix(team, "E") {
			got = cb.Enterprise.ID
		}
		if got != team {
			return channels.Interaction{}, fmt.Errorf("slack %s: team %q (enterprise %q) is not team_id %s: %w", c.name, cb.Team.ID, cb.Enterprise.ID, team, channels.ErrNotAllowed)
		}
	}
	var id int64
	var action string
	for _, a := range cb.ActionCallback.BlockActions {
		for _, b := range buttons {
			if a != nil && a.ActionID == b.id {
				id, _ = strconv.ParseInt(a.Value, 10, 64)
				action = b.action
			}
		}
	}
	if cb.Type != slack.InteractionTypeBlockActions || id <= 0 {
		return channels.Interaction{}, nil // another app's button
	}
	in := channels.Interaction{Action: action, DeliveryID: id, Actor: cb.User.Name, ActorID: cb.User.ID,
		Conversation: cb.Container.ChannelID, MessageID: cb.Container.MessageTs, ResponseURL: cb.ResponseURL}
	if in.Actor == "" {
		in.Actor = cb.User.ID
	}
	if in.MessageID == "" {
		in.MessageID = cb.Message.Timestamp
	}
	if in.Conversation == "" {
		in.Conversation = cb.Channel.ID
	}
	return in, nil
}

// UpdateMessage replaces the clicked message with m: chat.update with the
// bot token, else (an incoming webhook's message) the interaction's
// response_url.
func (c *Channel) UpdateMessage(ctx context.Context, in channels.Interaction, m channels.Message) error {
	err := errNoToken
	if in.MessageID != "" && in.Conversation != "" {
		err = c.update(ctx, in.Conversation, in.MessageID, m)
	}
	if errors.Is(err, errNoToken) && in.ResponseURL != "" {
		err = c.respond(ctx, in.ResponseURL, m)
	}
	return err
}

// update replaces a message the channel posted (the Slack channel id and
// the message's ts) with m. It needs the bot token (chat.update); with an
// incoming webhook it answers errNoToken.
func (c *Channel) update(ctx context.Context, slackChannel, ts string, m channels.Message) error {
	if c.api == nil {
		return errNoToken
	}
	text, blocks, att := c.render(m)
	_, _, _, err := c.api.UpdateMessageContext(ctx, slackChannel, ts,
		slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...), slack.MsgOptionAttachments(att))
	if err != nil {
		return c.fail("chat.update", err)
	}
	return nil
}

// errNoToken: the channel posts through an incoming webhook, so it cannot
// call chat.update.
var errNoToken = errors.New("slack: the channel has no bot token")

// respond replaces the message through an interaction's response_url
// (which Slack signs into the request notifier verified): the way to
// update a message an incoming webhook posted.
func (c *Channel) respond(ctx context.Context, responseURL string, m channels.Message) error {
	text, blocks, att := c.render(m)
	return c.postResponse(ctx, responseURL, struct {
		ReplaceOriginal bool               `json:"replace_original"`
		Text            string             `json:"text"`
		Blocks          []slack.Block      `json:"blocks"`
		Attachments     []slack.Attachment `json:"attachments"`
	}{true, text, blocks, []slack.Attachment{att}})
}

// Tell shows text to the user who clicked only: an ephemeral message
// through the interaction's response_url, else chat.postEphemeral with
// the bot token. The clicked message stays as it is.
// The text is literal: a name's <, > and & never become Slack's markup.
func (c *Channel) Tell(ctx context.Context, in channels.Interaction, text string) error {
	text = truncate(escape(text), maxField)
	if in.ResponseURL != "" {
		return c.postResponse(ctx, in.ResponseURL, struct {
			ResponseType    string `json:"response_type"`
			ReplaceOriginal bool   `json:"replace_original"`
			Text            string `json:"text"`
		}{"ephemeral", false, text})
	}
	if c.api == nil || in.Conversation == "" || in.ActorID == "" {
		return fmt.Errorf("slack %s: no response_url and no bot token to tell the user", c.name)
	}
	if _, err := c.api.PostEphemeralContext(ctx, in.Conversation, in.ActorID, slack.MsgOptionText(text, false)); err != nil {
		return c.fail("chat.postEphemeral", err)
	}
	return nil
}

// postResponse posts v as JSON to an interaction's response_url.
func (c *Channel) postResponse(ctx context.Context, responseURL string, v any) error {
	body, err := json.Marshal(v)
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
