package config

import (
	"errors"
	"go/build"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/channels/registry"
)

// Load and LoadMain take the registry from the caller; without one they
// refuse to load rather than guess.
func TestLoadTakesTheRegistry(t *testing.T) {
	path := writeFile(t, t.TempDir(), "config.yaml", "channels:\n  c: {type: webhook, url: https://example.com/hook}\npolicies:\n  standard: [{before: 1d, channels: [c]}]\ncredentials:\n  - {id: one, rotated_at: 2026-06-01}\n")
	for name, load := range map[string]func(string, Clock, LookupEnv, Registry) (*Config, error){"Load": Load, "LoadMain": LoadMain} {
		cfg, err := load(path, At(testNow), envOf(nil), registry.Default())
		if err != nil {
			t.Fatal(err)
		}
		if c := cfg.Channels["c"]; c.Type != "webhook" || c.Config == nil || c.Concurrency != 10 {
			t.Errorf("%s: channel = %+v", name, c)
		}
		if cfg, err := load(path, At(testNow), envOf(nil), nil); !errors.Is(err, errNoRegistry) || cfg != nil {
			t.Errorf("%s without a registry = %v, %v; want %v", name, cfg, err, errNoRegistry)
		}
	}
}

// config knows the integrations only through the registry its caller
// hands it (DESIGN.md's Layout): none of its own files imports one, nor
// the registry, which would link every vendor's SDK.
func TestNoIntegrationImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	const integrations = "github.com/notifier-dev/notifier/internal/channels/"
	for _, imp := range pkg.Imports {
		if strings.HasPrefix(imp, integrations) {
			t.Errorf("config imports %s; take the registry from the caller", imp)
		}
	}
}
