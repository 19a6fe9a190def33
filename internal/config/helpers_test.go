package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels/registry"
)

// testNow is the moment every config is judged at unless a test says
// otherwise.
var testNow = time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)

// envOf is a fake environment.
func envOf(m map[string]string) LookupEnv {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// writeFile writes body to dir/name, creating folders.
func writeFile(t testing.TB, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// loadYAML writes body as config.yaml in a fresh folder and loads it.
func loadYAML(t *testing.T, body string, env map[string]string) (*Config, error) {
	t.Helper()
	return Load(writeFile(t, t.TempDir(), "config.yaml", body), At(testNow), envOf(env), registry.Default())
}

func mustLoad(t *testing.T, body string, env map[string]string) *Config {
	t.Helper()
	cfg, err := loadYAML(t, body, env)
	if err != nil {
		t.Fatalf("Load: unexpected problems:\n%v", err)
	}
	return cfg
}

// problemsOf asserts err is Problems and returns them.
func problemsOf(t *testing.T, err error) Problems {
	t.Helper()
	if err == nil {
		t.Fatal("Load: no error, want problems")
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Load: error %T %q is not Problems", err, err)
	}
	return ps
}

// lineOf is the 1-based number of the only line of body holding marker.
func lineOf(t *testing.T, body, marker string) int {
	t.Helper()
	found := 0
	for i, line := range strings.Split(body, "\n") {
		if strings.Contains(line, marker) {
			if found != 0 {
				t.Fatalf("marker %q on lines %d and %d", marker, found, i+1)
			}
			found = i + 1
		}
	}
	if found == 0 {
		t.Fatalf("marker %q not in the config", marker)
	}
	return found
}

// minimal is a valid config to build on: one stdout channel, the default
// policy and one credential.
const minimal = `channels:
  console: {type: stdout}
policies:
  standard:
    - {before: 7d, channels: [console]}
credentials:
  - {id: one, rotated_at: 2026-06-01}
`

func stageNames(p *Policy) []string {
	out := make([]string, len(p.Stages))
	for i, s := range p.Stages {
		out[i] = s.Name
	}
	return out
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// promptly runs f and fails the test if it is still blocked after a
// minute: a guard against a read that waits forever, not a measure of
// speed.
func promptly(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("%s is still blocked after a minute", what)
	}
}
