package config

import (
	"go/build"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/channels/registry"
)

// LoadWith takes the registry; a nil one is the default.
func TestLoadWith(t *testing.T) {
	path := writeFile(t, t.TempDir(), "config.yaml", "channels:\n  c: {type: webhook, url: https://example.com/hook}\npolicies:\n  standard: [{before: 1d, channels: [c]}]\ncredentials:\n  - {id: one, rotated_at: 2026-06-01}\n")
	for _, reg := range []*registry.Registry{registry.Default(), nil} {
		cfg, err := LoadWith(path, At(testNow), envOf(nil), reg)
		if err != nil {
			t.Fatal(err)
		}
		if c := cfg.Channels["c"]; c.Type != "webhook" || c.Config == nil || c.Concurrency != 10 {
			t.Errorf("registry %v: channel = %+v", reg, c)
		}
	}
}

// config knows the integrations only through the registry (DESIGN.md's
// Layout): none of its own files imports one.
func TestNoIntegrationImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	const integrations = "github.com/notifier-dev/notifier/internal/channels/"
	for _, imp := range pkg.Imports {
		if strings.HasPrefix(imp, integrations) && imp != integrations+"registry" {
			t.Errorf("config imports %s; use the registry", imp)
		}
	}
}
