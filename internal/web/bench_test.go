package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
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
	clock := func() time.Time { return now }
	hash, _ := bcrypt.GenerateFromPassword([]byte(bobPassword), bcrypt.MinCost)
	console := &config.Console{Users: map[string][]byte{"bob": hash}, SessionKey: channels.Secret(sessionKey), SessionTTL: time.Hour, DefaultRole: config.RoleViewer}
	h := web.New(web.Options{Engine: eng, Console: console, Now: clock}).Handler()
	login := httptest.NewRequest("POST", "http://127.0.0.1/login", strings.NewReader(url.Values{"user": {"bob"}, "password": {bobPassword}}.Encode()))
	login.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, login)
	cookie := rec.Result().Cookies()[0]
	for _, c := range []struct{ name, query string }{
		{"first", ""},
		{"filter", "?owner=team-7&state=ok"},
		{"later", "?after=cred-090000"},
		{"later-filter", "?owner=team-7&after=cred-090007"},
		{"by-deadline", "?sort=deadline"},
		{"by-deadline-filter", "?owner=team-7&state=ok&sort=deadline"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest("GET", "http://127.0.0.1/"+c.query, nil)
				req.AddCookie(cookie)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || strings.Count(rec.Body.String(), `<span class="id">`) != web.PageSize {
					b.Fatalf("%s: %d, %d rows", c.query, rec.Code, strings.Count(rec.Body.String(), `<span class="id">`))
				}
			}
		})
	}
}

// fleetEngine is an engine over a real SQLite database synced at now
// from a config of 100,000 credentials (testutil/fleet), which edit may
// change first.
func fleetEngine(b *testing.B, now time.Time, edit func(*config.Config)) *engine.Engine {
	b.Helper()
	path, err := fleet.Write(b.TempDir(), 100_000, now)
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := config.LoadMain(path, config.At(now), nil, registry.Default())
	if err != nil {
		b.Fatal(err)
	}
	if edit != nil {
		edit(cfg)
	}
	st, err := sqlite.Open(context.Background(), cfg.Database)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	eng, err := engine.New(st, cfg, engine.WithStdout(io.Discard), engine.WithWallClock(func() time.Time { return now }))
	if err != nil {
		b.Fatal(err)
	}
	if err := eng.Sync(context.Background(), now); err != nil {
		b.Fatal(err)
	}
	return eng
}
