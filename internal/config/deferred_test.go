package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/domain"
)

// LoadMainDeferred leaves a plain credentials: block undecoded; Settle
// decodes it, as LoadMain does, unless the file is the version synced.
func TestLoadMainDeferred(t *testing.T) {
	const head = "database: n.db\npolicies:\n  standard:\n    - {before: 7d, channels: [out]}\nchannels:\n  out: {type: stdout}\n"
	const creds = "credentials:\n  - {id: a, name: A, owner: o, rotated_at: 2026-01-01}\n  - {id: b, name: B, owner: o, rotated_at: 2026-01-02}\n"
	tests := []struct {
		name, body string
		deferred   bool
	}{
		{"credentials last", head + creds, true},
		{"credentials first", creds + head, true},
		{"a ${NAME} among them", head + creds + "  - {id: c, name: C, owner: o, rotated_at: 2026-01-03, lwa: {client_id: amzn1.application-oa2-client.abc, client_secret: \"${S}\"}}\n", false},
		{"flow style", head + "credentials: [{id: a, name: A, owner: o, rotated_at: 2026-01-01}]\n", false},
	}
	env := func(string) (string, bool) { return "s3cret-value", true }
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(path, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			whole, err := LoadMain(path, Timeless, env, registry.Default())
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := LoadMainDeferred(path, Timeless, env, registry.Default())
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Deferred() != tc.deferred {
				t.Fatalf("Deferred() = %v, want %v", cfg.Deferred(), tc.deferred)
			}
			if tc.deferred {
				if len(cfg.Credentials) != 0 || cfg.Database != whole.Database || len(cfg.Channels) != 1 || len(cfg.Policies) != 1 {
					t.Fatalf("deferred: %d credentials, database %q, %d channels, %d policies", len(cfg.Credentials), cfg.Database, len(cfg.Channels), len(cfg.Policies))
				}
				if err := cfg.Settle(cfg.Main, true); err != nil || cfg.Deferred() || len(cfg.Credentials) != 0 {
					t.Fatalf("settled against its own version: %v, deferred %v, %d credentials", err, cfg.Deferred(), len(cfg.Credentials))
				}
				if cfg, err = LoadMainDeferred(path, Timeless, env, registry.Default()); err != nil {
					t.Fatal(err)
				}
				if err := cfg.Settle(domain.ConfigFile{Path: cfg.Main.Path, Hash: "other"}, true); err != nil {
					t.Fatal(err)
				}
			}
			if !reflect.DeepEqual(cfg.Credentials, whole.Credentials) || !reflect.DeepEqual(cfg.Secrets(), whole.Secrets()) {
				t.Errorf("credentials %+v, secrets %d; LoadMain: %+v, %d", cfg.Credentials, len(cfg.Secrets()), whole.Credentials, len(whole.Secrets()))
			}
		})
	}
}
