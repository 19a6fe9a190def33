package main

// End-to-end test of the console through the binary: `notifier run` with
// http.console and a users file, a login with a cookie jar, the fleet
// page with its counts per state and an owner's filter, and a user
// removed from the users file out at the next SIGHUP, without a restart.

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// A made-up session key of this test.
const e2eSessionKey = "e2e-session-key-0123456789abcdef0123456789abcdef"

const consoleConfig = `database: notifier.db
timezone: UTC
check_schedule: "@hourly"
http:
  listen: %s
  console:
    users_file: users.htpasswd
    session_key: ${NOTIFIER_SESSION_KEY}
    roles: {alice: responder}
policies:
  standard:
    - {before: 30d, channels: [out]}
channels:
  out: {type: stdout}
credentials:
  - {id: a-due, owner: team-a, rotated_at: %s}
  - {id: a-ok, owner: team-a, rotated_at: %s}
  - {id: b-overdue, owner: team-b, rotated_at: %s}
  - {id: b-ok, owner: team-b, rotated_at: %s}
`

// htpasswd is a users file line per user: name:bcrypt(password).
func htpasswd(t *testing.T, users map[string]string) []byte {
	t.Helper()
	var b strings.Builder
	for u, p := range users {
		h, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s:%s\n", u, h)
	}
	return []byte(b.String())
}

// consoleClient is a browser-like client: a cookie jar, redirects followed.
type consoleClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newConsoleClient(t *testing.T, base string) *consoleClient {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &consoleClient{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// do sends a request and returns the final status, path and body.
func (c *consoleClient) do(method, path string, form url.Values) (int, string, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, resp.Request.URL.Path, string(b)
}

func (c *consoleClient) login(user, password string) (int, string) {
	c.t.Helper()
	code, _, body := c.do(http.MethodPost, "/login", url.Values{"user": {user}, "password": {password}})
	return code, body
}

// fleetIDs are the credential ids a fleet page lists, in order.
func fleetIDs(body string) []string {
	var ids []string
	for _, m := range regexp.MustCompile(`<span class="id">([^<]*)</span>`).FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// stateCounts are the counts at the top of a fleet page, by state.
func stateCounts(body string) map[string]string {
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`id="count-([a-z]+)"[^>]*>(\d+)<`).FindAllStringSubmatch(body, -1) {
		out[m[1]] = m[2]
	}
	return out
}

func TestEndToEndConsoleLoginFleetCountsFilterAndUsersReload(t *testing.T) {
	addr := freeAddr(t)
	base := "http://" + addr
	dir := t.TempDir()
	users := filepath.Join(dir, "users.htpasswd")
	if err := os.WriteFile(users, htpasswd(t, map[string]string{"alice": "alice-password", "bob": "bob-password"}), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	ago := func(days int) string { return now.AddDate(0, 0, -days).Format(time.RFC3339) }
	config := filepath.Join(dir, "config.yaml")
	// 180-day period: 170 days ago is due (10 days left, the 30d stage),
	// 200 days ago overdue, 10 days ago ok.
	if err := os.WriteFile(config, []byte(fmt.Sprintf(consoleConfig, addr, ago(170), ago(10), ago(200), ago(20))), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NOTIFIER_SESSION_KEY", e2eSessionKey)
	d := startDaemon(t, dir, config)
	d.await(t, "http listening", 60*time.Second)
	awaitConsole(t, base)

	alice := newConsoleClient(t, base)
	if code, path, _ := alice.do(http.MethodGet, "/", nil); code != http.StatusOK || path != "/login" {
		t.Fatalf("/ without a session: %d at %s, want the login form", code, path)
	}
	if code, body := alice.login("alice", "wrong"); code != http.StatusUnauthorized || !strings.Contains(body, "Wrong user name or password.") {
		t.Fatalf("a wrong password: %d", code)
	}
	code, body := alice.login("alice", "alice-password")
	if code != http.StatusOK {
		t.Fatalf("alice's login: %d\n%s", code, body)
	}
	if got, want := strings.Join(fleetIDs(body), ","), "a-due,a-ok,b-ok,b-overdue"; got != want {
		t.Errorf("the fleet page lists %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(stateCounts(body)), fmt.Sprint(map[string]string{"ok": "2", "due": "1", "overdue": "1", "rotated": "0", "retired": "0"}); got != want {
		t.Errorf("counts per state: %s, want %s", got, want)
	}

	// The owner's filter, in the URL.
	code, _, body = alice.do(http.MethodGet, "/?owner=team-b", nil)
	if code != http.StatusOK {
		t.Fatalf("/?owner=team-b: %d", code)
	}
	if got, want := strings.Join(fleetIDs(body), ","), "b-ok,b-overdue"; got != want {
		t.Errorf("owner team-b lists %s, want %s", got, want)
	}
	code, _, body = alice.do(http.MethodGet, "/?owner=team-a&state=due", nil)
	if got, want := strings.Join(fleetIDs(body), ","), "a-due"; code != http.StatusOK || got != want {
		t.Errorf("owner team-a, due: %d, lists %s, want %s", code, got, want)
	}

	// bob signs in, then is removed from the users file: at the next
	// SIGHUP his session and his password are refused; alice stays in.
	bob := newConsoleClient(t, base)
	if code, body := bob.login("bob", "bob-password"); code != http.StatusOK || len(fleetIDs(body)) != 4 {
		t.Fatalf("bob's login: %d, %d rows", code, len(fleetIDs(body)))
	}
	if err := os.WriteFile(users, htpasswd(t, map[string]string{"alice": "alice-password"}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	d.await(t, "config reloaded", 60*time.Second)
	if code, path, _ := bob.do(http.MethodGet, "/", nil); code != http.StatusOK || path != "/login" {
		t.Errorf("bob's session after his removal and SIGHUP: %d at %s, want the login form", code, path)
	}
	if code, _ := bob.login("bob", "bob-password"); code != http.StatusUnauthorized {
		t.Errorf("bob's login after his removal and SIGHUP: %d, want 401", code)
	}
	if code, path, body := alice.do(http.MethodGet, "/", nil); code != http.StatusOK || path != "/" || len(fleetIDs(body)) != 4 {
		t.Errorf("alice after the reload: %d at %s, %d rows", code, path, len(fleetIDs(body)))
	}
	d.terminate(t, 60*time.Second)
}

// awaitConsole waits until the daemon at base serves its console: until
// the first tick has synced the config it says 503 (polled as a browser
// honouring Retry-After would).
func awaitConsole(t *testing.T, base string) {
	t.Helper()
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		code, body := httpGet(t, base+"/login")
		if code != http.StatusServiceUnavailable {
			return
		}
		if !strings.Contains(body, "not synced yet") || time.Since(start) > time.Minute {
			t.Fatalf("the console before the first sync: %d %q", code, body)
		}
	}
}
