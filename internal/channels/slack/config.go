package slack

import (
	"errors"
	"net/url"
	"regexp"
	"strings"

	"github.com/notifier-dev/notifier/internal/channels"
)

// Config is a slack channel's configuration: either a bot token and a
// channel (chat.postMessage, the Acknowledge button works) or an incoming
// webhook URL (the button is shown too, but Slack only delivers its clicks to
// an app with interactivity configured).
type Config struct {
	// Token is a bot token (xoxb-…) with the chat:write scope.
	Token channels.Secret `yaml:"token"`
	// Channel is where the bot posts: "#ops", "ops" or an ID ("C0123ABCD").
	Channel string `yaml:"channel"`
	// WebhookURL is an incoming webhook (https://hooks.slack.com/services/…);
	// the key is in its path, so it is a Secret.
	WebhookURL channels.Secret `yaml:"webhook_url"`
	// APIURL overrides Slack's Web API base URL (https://slack.com/api/).
	APIURL string `yaml:"api_url"`
	// Username and IconEmoji override the bot's name and icon (with a token
	// they need the chat:write.customize scope).
	Username  string `yaml:"username"`
	IconEmoji string `yaml:"icon_emoji"`
	// Mention leads overdue and final (24-hour) messages: "<!here>",
	// "<!channel>", "<@U0123ABCD>", "<!subteam^S0123ABCD>"; several are
	// separated by spaces.
	Mention string `yaml:"mention"`
	// SigningSecret is the Slack app's signing secret, with which
	// notifier's /slack/interactions verifies the Acknowledge button's
	// clicks; required when the config has an http: block.
	SigningSecret channels.Secret `yaml:"signing_secret"`
	// TeamID is the Slack workspace ("T0123ABCD"; an Enterprise Grid
	// organisation "E…") whose clicks are taken: a click from another
	// workspace, signed by the same app, is refused. Empty: any workspace
	// the app is installed in.
	TeamID string `yaml:"team_id"`
}

// InteractionSecret is the signing secret (channels.Interactive).
func (c *Config) InteractionSecret() string { return string(c.SigningSecret) }

var (
	mentionRE = regexp.MustCompile(`^<(!here|!channel|!everyone|@[UW][A-Z0-9]+|!subteam\^[A-Z0-9]+)(\|[^<>]*)?>$`)
	teamRE    = regexp.MustCompile(`^[TE][A-Z0-9]{2,}$`)
	emojiRE   = regexp.MustCompile(`^:[a-z0-9_+'-]+(::skin-tone-[2-6])?:$`)
)

// Routable: a bot token posts anywhere; an incoming webhook only to its
// own channel.
func (c *Config) Routable() error {
	if c.WebhookURL != "" && c.Token == "" {
		return errors.New("an incoming webhook posts only to its own channel: use token and channel to route by owner")
	}
	return nil
}

// Recipient is the Slack channel, or the incoming webhook's host.
func (c *Config) Recipient() string {
	if c.Channel != "" {
		return c.Channel
	}
	return channels.URLRecipient(string(c.WebhookURL))
}

// Validate reports every problem at once. It never quotes the token or the
// webhook URL.
func (c *Config) Validate() []channels.FieldError {
	var errs []channels.FieldError
	add := func(field, msg string) { errs = append(errs, channels.FieldError{Field: field, Msg: msg}) }
	token, hook := string(c.Token), string(c.WebhookURL)

	switch {
	case token == "" && hook == "":
		add("token", "missing: set token and channel (a bot token, posts with chat.postMessage) or webhook_url (an incoming webhook)")
	case token != "" && hook != "":
		add("webhook_url", "set either token (with channel) or webhook_url, not both")
	}
	if token != "" {
		switch {
		case strings.TrimSpace(token) != token:
			add("token", "has leading or trailing white space")
		case !strings.HasPrefix(token, "xox"):
			add("token", "does not look like a Slack token (a bot token starts with xoxb-)")
		}
		if c.Channel == "" {
			add("channel", `missing: the channel to post to, e.g. "#ops" or a channel ID (required with token)`)
		}
	}
	if hook != "" {
		if !isHTTPURL(hook) {
			add("webhook_url", "is not an absolute http(s) URL")
		}
		if token == "" && c.Channel != "" {
			add("channel", "is only used with token: an incoming webhook posts to the channel it was created for")
		}
		if token == "" && c.APIURL != "" {
			add("api_url", "is only used with token: an incoming webhook posts to webhook_url")
		}
	}
	if token == "" && hook == "" && c.Channel != "" {
		add("channel", "is set but token is missing")
	}
	if c.APIURL != "" && !isHTTPURL(c.APIURL) {
		add("api_url", "is not an absolute http(s) URL")
	}
	if s := string(c.SigningSecret); s != "" && strings.TrimSpace(s) != s {
		add("signing_secret", "has leading or trailing white space")
	}
	if c.TeamID != "" && !teamRE.MatchString(c.TeamID) {
		add("team_id", `must be a Slack team id such as "T0123ABCD" (Slack: workspace settings, or the team.id of an interaction)`)
	}
	if c.IconEmoji != "" && !emojiRE.MatchString(c.IconEmoji) {
		add("icon_emoji", `must be an emoji code such as ":bell:"`)
	}
	if c.Mention != "" {
		for _, w := range strings.Fields(c.Mention) {
			if !mentionRE.MatchString(w) {
				add("mention", `must be Slack mentions such as "<!here>", "<!channel>", "<@U0123ABCD>" or "<!subteam^S0123ABCD>", separated by spaces ("@here" does not notify anyone)`)
				break
			}
		}
	}
	return errs
}

// Build returns the channel. It does not contact Slack.
func (c *Config) Build(name string, opts channels.Options) (channels.Channel, error) {
	ch, err := New(name, *c, opts)
	if err != nil {
		return nil, err
	}
	return ch, nil
}

func isHTTPURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
