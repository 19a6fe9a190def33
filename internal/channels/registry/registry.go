// Package registry maps each channel type to its integration: how to make
// the type's zero config and how many messages a channel of that type sends
// at once by default. It is the only package that imports the integrations,
// so that config, engine and the CLI depend on the channels package alone
// (Alertmanager's config/receiver plays this part for its notify/<name>).
package registry

import (
	"maps"
	"slices"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/channels/email"
	"github.com/notifier-dev/notifier/internal/channels/slack"
	"github.com/notifier-dev/notifier/internal/channels/sns"
	"github.com/notifier-dev/notifier/internal/channels/stdout"
	"github.com/notifier-dev/notifier/internal/channels/webhook"
)

// Registry maps a channel type ("slack", "email", ...) to its integration.
// It is immutable once built, so one may be shared by concurrent loads.
type Registry struct {
	byType map[string]integration
}

type integration struct {
	newConfig   func() channels.Config
	concurrency int
}

// Default returns the five built-in integrations. Each call builds a new
// Registry: there is no package-level state to change.
func Default() *Registry {
	return &Registry{byType: map[string]integration{
		// Slack allows about one message per second per channel; more in parallel would only be rate-limited.
		"slack": {func() channels.Config { return &slack.Config{} }, 1},
		// SMTP servers limit sessions per client; a second one keeps a slow handshake from holding up the rest.
		"email": {func() channels.Config { return &email.Config{} }, 2},
		// SNS Publish is a cheap call with a per-account quota of hundreds a second; 8 hides latency without a burst.
		"sns": {func() channels.Config { return &sns.Config{} }, 8},
		// A webhook receiver is an ordinary HTTP service; 10 in flight hides latency and stays far below its limits.
		"webhook": {func() channels.Config { return &webhook.Config{} }, 10},
		// One writer: the stdout channel prints one message at a time anyway.
		"stdout": {func() channels.Config { return &stdout.Config{} }, 1},
	}}
}

// Config returns a fresh zero config of that type (a pointer, ready for the
// YAML decoder), or false for an unknown type.
func (r *Registry) Config(typ string) (channels.Config, bool) {
	in, ok := r.byType[typ]
	if !ok {
		return nil, false
	}
	return in.newConfig(), true
}

// Types lists the channel types, sorted.
func (r *Registry) Types() []string {
	return slices.Sorted(maps.Keys(r.byType))
}

// Concurrency is the default number of messages a channel of that type
// sends at once; 0 for an unknown type.
func (r *Registry) Concurrency(typ string) int {
	return r.byType[typ].concurrency
}
