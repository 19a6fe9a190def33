package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/store"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
)

// configEngine is an engine at now on config text (written to a file in
// a temporary directory, its database beside it), on a real SQLite
// store, which wrap may stand between (nil: none); not yet synced.
func configEngine(t *testing.T, text string, now time.Time, wrap func(store.Engine) store.Engine) *Engine {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, config.At(now), nil, registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var es store.Engine = st
	if wrap != nil {
		es = wrap(st)
	}
	e, err := New(es, cfg, WithStdout(&strings.Builder{}), WithWallClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	return e
}
