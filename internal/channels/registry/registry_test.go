package registry_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/notifier-dev/notifier/internal/channels/email"
	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/channels/slack"
	"github.com/notifier-dev/notifier/internal/channels/sns"
	"github.com/notifier-dev/notifier/internal/channels/stdout"
	"github.com/notifier-dev/notifier/internal/channels/webhook"
)

func TestDefault(t *testing.T) {
	reg := registry.Default()
	tests := []struct {
		typ         string
		config      any
		concurrency int
	}{
		{"email", &email.Config{}, 2},
		{"slack", &slack.Config{}, 1},
		{"sns", &sns.Config{}, 8},
		{"stdout", &stdout.Config{}, 1},
		{"webhook", &webhook.Config{}, 10},
	}
	var types []string
	for _, tt := range tests {
		types = append(types, tt.typ)
		cfg, ok := reg.Config(tt.typ)
		if !ok || !reflect.DeepEqual(cfg, tt.config) {
			t.Errorf("Config(%q) = %#v, %v; want %#v, true", tt.typ, cfg, ok, tt.config)
		}
		if got := reg.Concurrency(tt.typ); got != tt.concurrency {
			t.Errorf("Concurrency(%q) = %d, want %d", tt.typ, got, tt.concurrency)
		}
	}
	if got := reg.Types(); !slices.Equal(got, types) {
		t.Errorf("Types() = %v, want %v", got, types)
	}
}

// Each call returns a config of its own: the YAML decoder writes into it.
func TestConfigIsFresh(t *testing.T) {
	reg := registry.Default()
	a, _ := reg.Config("stdout")
	b, _ := reg.Config("stdout")
	a.(*stdout.Config).Format = "json"
	if b.(*stdout.Config).Format != "" {
		t.Error("two calls share one config")
	}
}

func TestUnknownType(t *testing.T) {
	reg := registry.Default()
	if cfg, ok := reg.Config("carrier"); ok || cfg != nil {
		t.Errorf("Config(carrier) = %#v, %v; want nil, false", cfg, ok)
	}
	if got := reg.Concurrency("carrier"); got != 0 {
		t.Errorf("Concurrency(carrier) = %d, want 0", got)
	}
}
