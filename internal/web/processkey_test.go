package web_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/notifier-dev/notifier/internal/httpapi"
	"github.com/notifier-dev/notifier/internal/web"
)

// A console without session_key (the example config's) signs with a
// random key of its process: a login works and survives a reload, and
// another process does not take its cookie.
func TestConsoleWithoutSessionKey(t *testing.T) {
	f := newFixture(t, "127.0.0.2/32")
	c := *f.cfg.HTTP.Console
	c.SessionKey = ""
	serve := func(h http.Handler) *httptest.Server {
		api := httpapi.New(httpapi.Options{Engine: f.eng, Now: f.clock, Console: h})
		s := httptest.NewServer(api.Handler())
		t.Cleanup(s.Close)
		return s
	}
	one := web.NewReloadable(web.Options{Engine: f.eng, Console: &c, Now: f.clock})
	other := web.NewReloadable(web.Options{Engine: f.eng, Console: &c, Now: f.clock})
	f.api = serve(one)
	client := f.client()
	f.login(client, "alice", alicePassword)
	if resp, _ := f.do(client, "GET", "/", nil, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("the fleet after login: %d, want 200", resp.StatusCode)
	}
	one.SetConsole(&c) // a reload: the process keeps its key
	if resp, _ := f.do(client, "GET", "/", nil, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("the fleet after a reload: %d, want 200 (the session kept)", resp.StatusCode)
	}
	f.api = serve(other)
	resp, _ := f.do(client, "GET", "/", nil, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("another process took the cookie: %d %q, want 303 to /login", resp.StatusCode, resp.Header.Get("Location"))
	}
}
