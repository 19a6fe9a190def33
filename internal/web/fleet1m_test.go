package web_test

import (
	"context"
	"fmt"
	"io"
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
	"github.com/notifier-dev/notifier/internal/store/sqlite"
	"github.com/notifier-dev/notifier/internal/web"
)

// nextLink is the fleet page's "next page" link.
var nextLink = regexp.MustCompile(`href="(/\?[^"]*after=[^"]*)"`)

// TestFleetPageAtScale measures (it asserts nothing about time) the
// server time of the fleet page's first and second page for each filter
// over the database NOTIFIER_FLEET_DIR/notifier.db (its config.yaml
// beside it, e.g. a copy of a 1,000,000-credential fleet), at
// NOTIFIER_FLEET_AT. Skipped without NOTIFIER_FLEET_DIR.
func TestFleetPageAtScale(t *testing.T) {
	dir := os.Getenv("NOTIFIER_FLEET_DIR")
	if dir == "" {
		t.Skip("NOTIFIER_FLEET_DIR not set")
	}
	now, err := time.Parse(time.RFC3339, os.Getenv("NOTIFIER_FLEET_AT"))
	if err != nil {
		t.Fatalf("NOTIFIER_FLEET_AT: %v", err)
	}
	// The config without its http block: the console is built here.
	raw, err := os.ReadFile(filepath.Join(dir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text, _, _ := strings.Cut(string(raw), "\nhttp:")
	path := filepath.Join(dir, "config-measure.yaml")
	if err := os.WriteFile(path, []byte(text+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadMain(path, config.At(now), nil, registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "notifier.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eng, err := engine.New(st, cfg, engine.WithStdout(io.Discard), engine.WithWallClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := bcrypt.GenerateFromPassword([]byte(bobPassword), bcrypt.MinCost)
	console := &config.Console{Users: map[string][]byte{"bob": hash}, SessionKey: channels.Secret(sessionKey), SessionTTL: time.Hour, DefaultRole: config.RoleViewer}
	h := web.New(web.Options{Engine: eng, Console: console, Now: func() time.Time { return now }}).Handler()
	login := httptest.NewRequest("POST", "http://127.0.0.1/login", strings.NewReader(url.Values{"user": {"bob"}, "password": {bobPassword}}.Encode()))
	login.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, login)
	cookie := rec.Result().Cookies()[0]
	get := func(target string) (time.Duration, int, string) {
		req := httptest.NewRequest("GET", "http://127.0.0.1"+target, nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		took := time.Since(start)
		if rec.Code != http.StatusOK {
			t.Errorf("%s: %d", target, rec.Code)
		}
		next := ""
		if m := nextLink.FindStringSubmatch(rec.Body.String()); m != nil {
			next = strings.ReplaceAll(m[1], "&amp;", "&")
		}
		return took, strings.Count(rec.Body.String(), `<span class="id">`), next
	}
	get("/") // the counts' first count, and a warm cache
	for _, q := range strings.Split(os.Getenv("NOTIFIER_FLEET_QUERIES"), " ") {
		first, n, next := get("/?" + q)
		line := fmt.Sprintf("first %v (%d rows)", first.Round(time.Millisecond), n)
		if next != "" {
			later, n, _ := get(next)
			line += fmt.Sprintf(", next %v (%d rows)", later.Round(time.Millisecond), n)
		}
		t.Logf("%-40s %s", "?"+q, line)
	}
}
