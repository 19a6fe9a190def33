package web_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
	"github.com/notifier-dev/notifier/internal/web"
)

// sessionKey is made up for these tests, never real.
const sessionKey = "test-session-key-0123456789abcdef-0123456789"

// Passwords are made up here; their hashes are made when a test runs.
const (
	alicePassword = "alice-test-password"
	bobPassword   = "bob-test-password"
)

const consoleConfig = `database: notifier.db
timezone: Europe/Berlin
http:
  listen: 127.0.0.1:0
  console:
    users_file: users.htpasswd
    session_key: ${SESSION_KEY}
    session_ttl: 1h
    roles: {alice: responder}
    proxy:
      user_header: X-Forwarded-User
      trusted: [%s]
policies:
  standard:
    - {before: 30d, channels: [console]}
  strict:
    - {before: 60d, channels: [console]}
channels:
  console: {type: stdout}
credential_files: [credentials.yaml]
`

// hostileName is a credential name with HTML, a script, a bidi
// override and 1 MB of text.
var hostileName = "<script>alert(1)</script><b>bold</b>\u202eevil" + strings.Repeat("A", 1<<20)

type fixture struct {
	t     *testing.T
	mu    sync.Mutex
	now   time.Time
	store *sqlite.Store
	eng   *engine.Engine
	srv   *web.Server
	cfg   *config.Config
	api   *httptest.Server
	logs  *bytes.Buffer
}

func (f *fixture) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }

// newFixture is the console mounted in the daemon's HTTP API, on a real
// SQLite database synced from a config of 120 credentials (svc-000 …
// svc-119: i%3 0 ok, 1 due, 2 overdue; owner team-a for even i, else
// team-b; policy strict for i%4 == 0) and a hostile one, zz-hostile. The
// proxy's header is trusted from proxyNet.
func newFixture(t *testing.T, proxyNet string) *fixture {
	t.Helper()
	f, dir, write := newConsoleFixture(t)
	var creds strings.Builder
	creds.WriteString("credentials:\n")
	ago := []int{10, 170, 200}
	for i := range 120 {
		svcLine(&creds, i, f.now.AddDate(0, 0, -ago[i%3]))
	}
	fmt.Fprintf(&creds, "  - {id: zz-hostile, name: %q, owner: \"<img src=x onerror=alert(2)>\", rotated_at: %s}\n", hostileName, f.now.AddDate(0, 0, -10).Format(time.RFC3339))
	write("credentials.yaml", creds.String())
	write("config.yaml", fmt.Sprintf(consoleConfig, proxyNet))
	f.cfg = f.loadConfig(dir)
	f.store, f.eng = syncedEngine(t, f.cfg, f.clock)
	f.serve(f.cfg)
	return f
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func (f *fixture) log() string { f.mu.Lock(); defer f.mu.Unlock(); return f.logs.String() }

// client is a browser-like client: it keeps cookies, follows no redirect.
func (f *fixture) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (f *fixture) do(c *http.Client, method, path string, form url.Values, header http.Header) (*http.Response, string) {
	f.t.Helper()
	body := ""
	if form != nil {
		body = form.Encode()
	}
	resp, b := f.send(c, method, path, "application/x-www-form-urlencoded", body, header)
	return resp, string(b)
}

// login signs c in as user.
func (f *fixture) login(c *http.Client, user, password string) {
	f.t.Helper()
	resp, body := f.do(c, "POST", "/login", url.Values{"user": {user}, "password": {password}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		f.t.Fatalf("login as %s: %d %s %q", user, resp.StatusCode, resp.Header.Get("Location"), body)
	}
}

var (
	idRE   = regexp.MustCompile(`<span class="id">([^<]*)</span>`)
	csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	nextRE = regexp.MustCompile(`id="next" href="([^"]+)"`)
)

func ids(body string) []string {
	out := []string{}
	for _, m := range idRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func svc(is ...int) []string {
	out := []string{}
	for _, i := range is {
		out = append(out, fmt.Sprintf("svc-%03d", i))
	}
	return out
}

func span(from, to, step int) []int {
	var out []int
	for i := from; i < to; i += step {
		out = append(out, i)
	}
	return out
}

func equal(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

func TestConsoleLoginPagesAndLogout(t *testing.T) {
	f := newFixture(t, "10.9.9.9/32")
	c := f.client()
	resp, _ := f.do(c, "GET", "/", nil, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("GET / without a session: %d %q, want 303 to /login", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := f.do(c, "POST", "/login", url.Values{"user": {"alice"}, "password": {"wrong"}}, nil)
	if resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 || !strings.Contains(body, "Wrong user name or password") {
		t.Fatalf("a wrong password: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	resp, _ = f.do(c, "POST", "/login", url.Values{"user": {"alice"}, "password": {alicePassword}}, nil)
	ck := resp.Cookies()
	if len(ck) != 1 || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteStrictMode || ck[0].Secure || strings.Contains(ck[0].Value, alicePassword) {
		t.Fatalf("session cookie on plain HTTP to 127.0.0.1: %+v; want HttpOnly, SameSite=Strict, not Secure", ck)
	}

	// Three pages: 50, 50, then 20 and the hostile one, in id order.
	resp, body = f.do(c, "GET", "/", nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /: %d", resp.StatusCode)
	}
	if !strings.Contains(body, "alice (responder)") {
		t.Errorf("the page does not say who is signed in")
	}
	want := [][]string{svc(span(0, 50, 1)...), svc(span(50, 100, 1)...), append(svc(span(100, 120, 1)...), "zz-hostile")}
	for page, w := range want {
		if got := ids(body); !equal(got, w) {
			t.Fatalf("page %d: %v, want %v", page+1, got, w)
		}
		m := nextRE.FindStringSubmatch(body)
		if page == len(want)-1 {
			if m != nil {
				t.Fatalf("the last page links to a next one: %s", m[1])
			}
			break
		}
		if m == nil {
			t.Fatalf("page %d has no next link", page+1)
		}
		_, body = f.do(c, "GET", strings.ReplaceAll(m[1], "&amp;", "&"), nil, nil)
	}
	if !strings.Contains(body, `id="first" href="/?"`) {
		t.Errorf("a later page has no link to the first")
	}

	// Logout clears the cookie; the page then asks for a login again.
	token := csrfRE.FindStringSubmatch(body)[1]
	resp, _ = f.do(c, "POST", "/logout", url.Values{"csrf": {token}}, nil)
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 || resp.Cookies()[0].MaxAge >= 0 {
		t.Fatalf("logout: %d %v", resp.StatusCode, resp.Cookies())
	}
	if resp, _ = f.do(c, "GET", "/", nil, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET / after logout: %d, want 303 to /login", resp.StatusCode)
	}
	// The daemon's other routes answer as before.
	if resp, _ = f.do(c, "GET", "/healthz", nil, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %d", resp.StatusCode)
	}
	if resp, _ = f.do(c, "GET", "/ack/not-a-token", nil, nil); resp.StatusCode == http.StatusSeeOther {
		t.Errorf("an ack link asks for a login")
	}
}

func TestConsoleFleetFilters(t *testing.T) {
	f := newFixture(t, "10.9.9.9/32")
	c := f.client()
	f.login(c, "bob", bobPassword)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"state=overdue&owner=team-a", svc(span(2, 120, 6)...)},
		{"state=due&policy=strict&owner=team-a", svc(4, 16, 28, 40, 52, 64, 76, 88, 100, 112)},
		{"q=SERVICE+11", svc(11, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119)},
		{"q=onerror", []string{"zz-hostile"}},
		{"state=ok&q=svc-00", svc(0, 3, 6, 9)},
		{"state=inactive", []string{}},
		{"owner=nobody", []string{}},
	} {
		resp, body := f.do(c, "GET", "/?"+tc.query, nil, nil)
		if got := ids(body); resp.StatusCode != http.StatusOK || !equal(got, tc.want) {
			t.Errorf("%s: %d %v, want %v", tc.query, resp.StatusCode, got, tc.want)
		}
	}
	resp, body := f.do(c, "GET", "/?state=%3Cscript%3E", nil, nil)
	if resp.StatusCode != http.StatusBadRequest || strings.Contains(body, "<script>") || !strings.Contains(body, "is not one of ok, due, overdue, rotated, inactive") {
		t.Errorf("a bad state: %d", resp.StatusCode)
	}
}

func TestConsoleShowsHostileTextEscapedAndTruncated(t *testing.T) {
	f := newFixture(t, "10.9.9.9/32")
	c := f.client()
	f.login(c, "bob", bobPassword)
	_, body := f.do(c, "GET", "/?q=zz-hostile", nil, nil)
	for _, bad := range []string{"<script>", "<b>", "<img", "\u202e", strings.Repeat("A", 200)} {
		if strings.Contains(body, bad) {
			t.Errorf("the page carries %q as it was written", bad[:min(len(bad), 20)])
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", `\u202eevil`, "&lt;img src=x onerror=alert(2)&gt;", "AAA…"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if len(body) > 64<<10 {
		t.Errorf("the page is %d bytes: the 1 MB name was not cut", len(body))
	}
}

// acts is a responder's action for the refusal tests: it acknowledges
// svc-001 through the engine, as the console's actions will.
func (f *fixture) acts() http.Handler {
	return f.srv.Act(config.RoleResponder, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := f.eng.Acknowledge(r.Context(), engine.Ack{Credential: "svc-001", At: f.clock(), By: "console", Source: "http"})
		if err != nil {
			f.t.Errorf("acknowledge: %v", err)
		}
	}))
}

func (f *fixture) acks() int {
	f.t.Helper()
	evs, err := f.store.History(context.Background(), domain.HistoryFilter{Type: domain.EventAck})
	if err != nil {
		f.t.Fatal(err)
	}
	return len(evs)
}

func TestConsoleRefusesAndWritesNothing(t *testing.T) {
	f := newFixture(t, "10.9.9.9/32")
	act := httptest.NewServer(f.acts())
	defer act.Close()
	post := func(c *http.Client, form url.Values, header http.Header) int {
		req, _ := http.NewRequest("POST", act.URL+"/act", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range header {
			req.Header[k] = v
		}
		// The jar sends the console's cookies to the action's server
		// too: cookies are per host, not per port.
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	token := func(c *http.Client) string {
		_, body := f.do(c, "GET", "/", nil, nil)
		m := csrfRE.FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no csrf token on the page")
		}
		return m[1]
	}
	alice, bob := f.client(), f.client()
	f.login(alice, "alice", alicePassword)
	f.login(bob, "bob", bobPassword)
	aliceToken, bobToken := token(alice), token(bob)

	for _, tc := range []struct {
		name   string
		c      *http.Client
		form   url.Values
		header http.Header
		want   int
	}{
		{"no token", alice, url.Values{}, nil, http.StatusForbidden},
		{"a forged token", alice, url.Values{"csrf": {"Zm9yZ2Vk"}}, nil, http.StatusForbidden},
		{"another session's token", alice, url.Values{"csrf": {bobToken}}, nil, http.StatusForbidden},
		{"a viewer", bob, url.Values{"csrf": {bobToken}}, nil, http.StatusForbidden},
		{"no session", f.client(), url.Values{"csrf": {aliceToken}}, nil, http.StatusUnauthorized},
		{"a proxy header from an untrusted address", f.client(), url.Values{"csrf": {aliceToken}}, http.Header{"X-Forwarded-User": {"alice"}}, http.StatusForbidden},
		{"across origins", alice, url.Values{"csrf": {aliceToken}}, http.Header{"Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
	} {
		code := post(tc.c, tc.form, tc.header)
		if code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, code, tc.want)
		}
		if n := f.acks(); n != 0 {
			t.Fatalf("%s: %d acknowledgments recorded, want none", tc.name, n)
		}
	}
	if !strings.Contains(f.log(), "proxy user header from an untrusted address refused") {
		t.Errorf("the untrusted header was not logged:\n%s", f.log())
	}

	// An expired session: an hour and a second later.
	f.mu.Lock()
	f.now = f.now.Add(time.Hour + time.Second)
	f.mu.Unlock()
	if code := post(alice, url.Values{"csrf": {aliceToken}}, nil); code != http.StatusUnauthorized {
		t.Errorf("an expired session: %d, want 401", code)
	}
	if resp, _ := f.do(alice, "GET", "/", nil, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET / with an expired session: %d, want 303 to /login", resp.StatusCode)
	}
	if n := f.acks(); n != 0 {
		t.Fatalf("%d acknowledgments recorded, want none", n)
	}
	// A responder with a live session and its token acts.
	f.login(alice, "alice", alicePassword)
	if code := post(alice, url.Values{"csrf": {token(alice)}}, nil); code != http.StatusOK || f.acks() != 1 {
		t.Errorf("a responder's POST: %d, %d acknowledgments; want 200 and 1", code, f.acks())
	}
}

func TestConsoleBehindATrustedProxy(t *testing.T) {
	f := newFixture(t, "127.0.0.1/32")
	c := f.client()
	resp, body := f.do(c, "GET", "/?owner=team-a&state=overdue", nil, http.Header{"X-Forwarded-User": {"alice"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "alice (responder)") || len(ids(body)) != 20 {
		t.Fatalf("through the proxy: %d, %d rows", resp.StatusCode, len(ids(body)))
	}
	resp, _ = f.do(c, "GET", "/", nil, http.Header{"X-Forwarded-User": {"mallory"}})
	if resp.StatusCode != http.StatusOK {
		t.Errorf("an unlisted user through the proxy: %d, want 200 as a viewer", resp.StatusCode)
	}
}

func TestSecureCookieOffOnlyOnLoopbackHTTP(t *testing.T) {
	f := newFixture(t, "10.9.9.9/32")
	for _, tc := range []struct {
		host   string
		secure bool
	}{{"127.0.0.1:9464", false}, {"localhost:9464", false}, {"[::1]:9464", false}, {"notifier.example.com", true}, {"10.0.0.5:9464", true}} {
		req := httptest.NewRequest("POST", "http://"+tc.host+"/login", strings.NewReader(url.Values{"user": {"bob"}, "password": {bobPassword}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		f.srv.Handler().ServeHTTP(rec, req)
		ck := rec.Result().Cookies()
		if len(ck) != 1 || ck[0].Secure != tc.secure {
			t.Errorf("%s: cookies %v, want Secure=%v", tc.host, ck, tc.secure)
		}
	}
}

// TestConsoleFreeTextSearchIsBounded: a free-text search reads at most
// searchBudget credentials per page, says so, and goes on from there on
// the next page: a rare match never reads the fleet at once.
func TestConsoleFreeTextSearchIsBounded(t *testing.T) {
	defer web.SetSearchBudget(web.SetSearchBudget(50))
	f := newFixture(t, "10.9.9.9/32")
	c := f.client()
	f.login(c, "bob", bobPassword)
	nextRE := regexp.MustCompile(`id="next" href="([^"]*)"`)
	var got [][]string
	var notes []string
	for u := "/?q=SERVICE+11"; u != ""; {
		resp, body := f.do(c, "GET", u, nil, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", u, resp.StatusCode)
		}
		got = append(got, ids(body))
		m := regexp.MustCompile(`id="searched">([^<]*)<`).FindStringSubmatch(body)
		if m == nil {
			notes = append(notes, "")
		} else {
			notes = append(notes, m[1])
		}
		u = ""
		if m := nextRE.FindStringSubmatch(body); m != nil {
			u = html.UnescapeString(m[1])
		}
	}
	want := [][]string{svc(11), {}, svc(110, 111, 112, 113, 114, 115, 116, 117, 118, 119)}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pages %v, want %v", got, want)
	}
	wantNotes := []string{"Searched 50 credentials: 1 match. The next page searches on.", "Searched 50 credentials: 0 match. The next page searches on.", ""}
	if fmt.Sprint(notes) != fmt.Sprint(wantNotes) {
		t.Errorf("notes %q, want %q", notes, wantNotes)
	}
}
