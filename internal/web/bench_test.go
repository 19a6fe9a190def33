package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/testutil/fleet"
	"github.com/notifier-dev/notifier/internal/web"
)

// BenchmarkFleetPage100k: the fleet page (50 rows) at 100,000
// credentials (fleet: owners team-0 … team-49, rotated 1–120 days ago),
// server time per page: the first page, a filter (one owner, state ok),
// a later page (after cred-090000), and the fleet sorted by deadline
// (all; one owner, state ok), each with a signed-in session.
func BenchmarkFleetPage100k(b *testing.B) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	eng := fleetEngine(b, now, nil)
	h, cookie := benchConsole(b, eng, now)
	for _, c := range []struct{ name, query string }{
		{"first", ""},
		{"filter", "?owner=team-7&state=ok"},
		{"later", "?after=cred-090000"},
		{"later-filter", "?owner=team-7&after=cred-090007"},
		{"by-deadline", "?sort=deadline"},
		{"by-deadline-filter", "?owner=team-7&state=ok&sort=deadline"},
	} {
		b.Run(c.name, func(b *testing.B) { benchPage(b, h, cookie, c.query) })
	}
}

// BenchmarkFleetPageChannel100k: the fleet page filtered by channel at
// 100,000 credentials, 1 in 100 of which (cred-xxxx00) is on a policy
// that sends to pager: a channel every policy sends to, a rare one, the
// rare one with an owner, and a later page of it.
func BenchmarkFleetPageChannel100k(b *testing.B) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	eng := fleetEngineOf(b, now, func(dir string) {
		edit := func(path string, f func(string) string) {
			body, err := os.ReadFile(path)
			if err == nil {
				err = os.WriteFile(path, []byte(f(string(body))), 0o644)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		edit(filepath.Join(dir, "config.yaml"), func(s string) string {
			s = strings.Replace(s, "policies:\n", "policies:\n  rare:\n    - {before: 30d, channels: [console, pager]}\n", 1)
			return strings.Replace(s, "channels:\n", "channels:\n  pager: {type: stdout}\n", 1)
		})
		files, _ := filepath.Glob(filepath.Join(dir, "credentials.d", "*.yaml"))
		rare := regexp.MustCompile(`(id: cred-\d{4}00, [^}]*)}`)
		for _, path := range files {
			edit(path, func(s string) string { return rare.ReplaceAllString(s, "$1, policy: rare}") })
		}
	}, nil)
	h, cookie := benchConsole(b, eng, now)
	for _, c := range []struct{ name, query string }{
		{"every-policy", "?channel=console"},
		{"rare", "?channel=pager"},
		{"rare-owner", "?channel=pager&owner=team-0"},
		{"rare-later", "?channel=pager&after=cred-090000"},
	} {
		b.Run(c.name, func(b *testing.B) { benchPage(b, h, cookie, c.query) })
	}
}

// benchConsole is the console of eng and the session cookie of bob,
// signed in.
func benchConsole(b *testing.B, eng *engine.Engine, now time.Time) (http.Handler, *http.Cookie) {
	b.Helper()
	clock := func() time.Time { return now }
	hash, _ := bcrypt.GenerateFromPassword([]byte(bobPassword), bcrypt.MinCost)
	console := &config.Console{Users: map[string][]byte{"bob": hash}, SessionKey: channels.Secret(sessionKey), SessionTTL: time.Hour, DefaultRole: config.RoleViewer}
	h := web.New(web.Options{Engine: eng, Console: console, Now: clock}).Handler()
	login := httptest.NewRequest("POST", "http://127.0.0.1/login", strings.NewReader(url.Values{"user": {"bob"}, "password": {bobPassword}}.Encode()))
	login.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, login)
	return h, rec.Result().Cookies()[0]
}

// benchPage serves the fleet page at query, a full page each time.
func benchPage(b *testing.B, h http.Handler, cookie *http.Cookie, query string) {
	for b.Loop() {
		req := httptest.NewRequest("GET", "http://127.0.0.1/"+query, nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || strings.Count(rec.Body.String(), `<span class="id">`) != web.PageSize {
			b.Fatalf("%s: %d, %d rows", query, rec.Code, strings.Count(rec.Body.String(), `<span class="id">`))
		}
	}
}

// fleetEngine is an engine over a real SQLite database synced at now
// from a config of 100,000 credentials (testutil/fleet), which edit may
// change first.
func fleetEngine(b *testing.B, now time.Time, edit func(*config.Config)) *engine.Engine {
	return fleetEngineOf(b, now, nil, edit)
}

// fleetEngineOf is fleetEngine with the fleet's files changed by files
// (given their directory) before they are read.
func fleetEngineOf(b *testing.B, now time.Time, files func(dir string), edit func(*config.Config)) *engine.Engine {
	b.Helper()
	dir := b.TempDir()
	path, err := fleet.Write(dir, 100_000, now)
	if err != nil {
		b.Fatal(err)
	}
	if files != nil {
		files(dir)
	}
	cfg, err := config.LoadMain(path, config.At(now), nil, registry.Default())
	if err != nil {
		b.Fatal(err)
	}
	if edit != nil {
		edit(cfg)
	}
	_, eng := syncedEngine(b, cfg, func() time.Time { return now })
	return eng
}
