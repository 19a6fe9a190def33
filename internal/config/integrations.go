package config

import (
	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/channels/email"
	"github.com/notifier-dev/notifier/internal/channels/slack"
	"github.com/notifier-dev/notifier/internal/channels/sns"
	"github.com/notifier-dev/notifier/internal/channels/stdout"
	"github.com/notifier-dev/notifier/internal/channels/webhook"
)

// Integrations maps each channel type to a constructor of its zero config.
func Integrations() map[string]func() channels.Config {
	return map[string]func() channels.Config{
		"email":   func() channels.Config { return &email.Config{} },
		"slack":   func() channels.Config { return &slack.Config{} },
		"sns":     func() channels.Config { return &sns.Config{} },
		"stdout":  func() channels.Config { return &stdout.Config{} },
		"webhook": func() channels.Config { return &webhook.Config{} },
	}
}
