package web_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/httpapi"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
	"github.com/notifier-dev/notifier/internal/web"
)

// The console's fixtures (newFixture, newAPIFixture) share these steps:
// a fixture at the console's moment with a directory holding the users
// file, a config loaded as the daemon loads it, an engine synced on a
// real SQLite database, and the console mounted in the daemon's HTTP API.

// consoleNow is the moment the console's fixtures stand at.
var consoleNow = time.Date(2026, 12, 20, 9, 0, 0, 0, time.UTC)

// newConsoleFixture is a fixture at consoleNow and its directory, where
// write puts a file, with the users file (alice and bob, bcrypt as
// `htpasswd -B` writes it) written.
func newConsoleFixture(t *testing.T) (f *fixture, dir string, write func(name, body string)) {
	t.Helper()
	f = &fixture{t: t, now: consoleNow, logs: &bytes.Buffer{}}
	dir = t.TempDir()
	write = func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var users strings.Builder
	for _, u := range []struct{ name, pw string }{{"alice", alicePassword}, {"bob", bobPassword}} {
		h, err := bcrypt.GenerateFromPassword([]byte(u.pw), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		// htpasswd -B writes $2y$; Go's bcrypt reads it as $2a$.
		fmt.Fprintf(&users, "%s:%s\n", u.name, strings.Replace(string(h), "$2a$", "$2y$", 1))
	}
	write("users.htpasswd", "# made by the test\n"+users.String())
	return f, dir, write
}

// svcLine writes credential svc-i of the console's fleets, rotated at
// rotated: owner team-a for even i, else team-b; policy strict for
// i%4 == 0, else standard.
func svcLine(b *strings.Builder, i int, rotated time.Time) {
	owner, policy := "team-b", "standard"
	if i%2 == 0 {
		owner = "team-a"
	}
	if i%4 == 0 {
		policy = "strict"
	}
	fmt.Fprintf(b, "  - {id: svc-%03d, name: \"Service %d\", owner: %s, policy: %s, rotated_at: %s}\n", i, i, owner, policy, rotated.Format(time.RFC3339))
}

// loadConfig loads dir's config.yaml as the daemon does, at the fixture's
// clock, with the session key in the environment.
func (f *fixture) loadConfig(dir string) *config.Config {
	f.t.Helper()
	env := map[string]string{"SESSION_KEY": sessionKey}
	cfg, err := config.LoadMain(filepath.Join(dir, "config.yaml"), func(*time.Location) time.Time { return f.clock() },
		func(k string) (string, bool) { v, ok := env[k]; return v, ok }, registry.Default())
	if err != nil {
		f.t.Fatal(err)
	}
	return cfg
}

// syncedEngine is an engine on a real SQLite database (cfg's), closed
// when the test ends, with clock as its wall clock, synced at clock().
func syncedEngine(tb testing.TB, cfg *config.Config, clock func() time.Time) (*sqlite.Store, *engine.Engine) {
	tb.Helper()
	st, err := sqlite.Open(tb.Context(), cfg.Database)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	eng, err := engine.New(st, cfg, engine.WithStdout(io.Discard), engine.WithWallClock(clock))
	if err != nil {
		tb.Fatal(err)
	}
	if err := eng.Sync(tb.Context(), clock()); err != nil {
		tb.Fatal(err)
	}
	return st, eng
}

// serve mounts the console of cfg in the daemon's HTTP API, on a test
// server closed when the test ends.
func (f *fixture) serve(cfg *config.Config) {
	logger := slog.New(slog.NewTextHandler(lockedWriter{&f.mu, f.logs}, nil))
	f.srv = web.New(web.Options{Engine: f.eng, Console: cfg.HTTP.Console, Logger: logger, Now: f.clock})
	api := httpapi.New(httpapi.Options{Engine: f.eng, Logger: logger, Now: f.clock, Console: f.srv.Handler()})
	f.api = httptest.NewServer(api.Handler())
	f.t.Cleanup(f.api.Close)
}

// send is a request to the test server through c, with body ("": none)
// of type contentType and header's fields, and its answer read whole.
func (f *fixture) send(c *http.Client, method, path, contentType, body string, header http.Header) (*http.Response, []byte) {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.api.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp, b
}
