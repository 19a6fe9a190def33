package config

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/notifier-dev/notifier/internal/channels/registry"
)

// TestExampleConsoleLoads uncomments config.example.yaml's http: block
// (the console with the example users file) and loads it: the shipped
// users file's admin has the password the docs print.
func TestExampleConsoleLoads(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	users, err := os.ReadFile(filepath.Join("..", "..", "console-users.example"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	on, shipped := false, false
	for _, line := range strings.Split(string(data), "\n") {
		// The block the example ships (the console on 127.0.0.1) gives
		// way to the commented one with every key.
		if line == "http:" {
			shipped = true
		}
		if shipped {
			if line == "" {
				shipped = false
			}
			continue
		}
		if strings.HasPrefix(line, "# http:") {
			on = true
		}
		if on && !strings.HasPrefix(line, "#") {
			on = false
		}
		if on {
			line = strings.TrimPrefix(strings.TrimPrefix(line, "#"), " ")
		}
		out = append(out, line)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "console-users.example"), users, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(strings.Join(out, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"NOTIFIER_ACK_SECRET": strings.Repeat("a", 32), "NOTIFIER_SESSION_KEY": strings.Repeat("s", 32)}
	cfg, err := LoadMain(path, At(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)), envOf(env), registry.Default())
	if err != nil {
		t.Fatalf("config.example.yaml with http: uncommented has problems:\n%v", err)
	}
	c := cfg.HTTP.Console
	if c == nil {
		t.Fatal("no console")
	}
	if err := bcrypt.CompareHashAndPassword(c.Users["admin"], []byte("example-password-change-me")); err != nil {
		t.Errorf("the example admin's password: %v", err)
	}
	if c.RoleOf("admin") != RoleResponder || c.RoleOf("someone") != RoleViewer || c.SessionTTL != 12*time.Hour {
		t.Errorf("roles: admin %s, someone %s; ttl %v", c.RoleOf("admin"), c.RoleOf("someone"), c.SessionTTL)
	}
	if c.Proxy == nil || c.Proxy.UserHeader != "X-Forwarded-User" || len(c.Proxy.Trusted) != 1 || c.Proxy.Trusted[0] != netip.MustParsePrefix("127.0.0.1/32") {
		t.Errorf("proxy: %+v", c.Proxy)
	}
	if cfg.HTTP.Listen != "127.0.0.1:9464" {
		t.Errorf("listen %q, want 127.0.0.1", cfg.HTTP.Listen)
	}
}
