package config

import (
	"github.com/notifier-dev/notifier/internal/channels/registry"
)

// Load reads and validates the config at path, with the built-in channel
// types. On any problem it returns Problems, with every problem found. A
// nil env reads the process environment.
func Load(path string, now Clock, env LookupEnv) (*Config, error) {
	return LoadWith(path, now, env, registry.Default())
}
