package config

import (
	"errors"

	"github.com/notifier-dev/notifier/internal/channels"
)

// Registry is what the config needs to know of the channel types:
// registry.Registry is one. The caller hands it in (cmd/notifier passes
// registry.Default()), so that config links no integration and no
// vendor's SDK.
type Registry interface {
	// Config returns a fresh zero config of the type, false for an
	// unknown type.
	Config(typ string) (channels.Config, bool)
	// Types lists the channel types, sorted.
	Types() []string
	// Concurrency is the default number of messages a channel of the
	// type sends at once.
	Concurrency(typ string) int
}

var errNoRegistry = errors.New("config: no channel registry given")
