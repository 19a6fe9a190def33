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
	"sync"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/httpapi"
	"github.com/notifier-dev/notifier/internal/testutil/ical"
	"github.com/notifier-dev/notifier/internal/web"
)

// Calendar tokens, made up for these tests.
const (
	calToken      = "cal-token-for-tests-0123456789abcdef"
	calTokenTeamB = "cal-token-team-b-0123456789abcdef"
)

// calendarHash is a calendar token's configured hash.
func calendarHash(s string) string { return "sha256:" + sha(s) }

const calendarConfig = `database: notifier.db
timezone: Europe/Berlin
http:
  listen: 127.0.0.1:0
  public_url: https://notifier.example.com
  ack_secret: ${ACK_SECRET}
  console:
    proxy: {user_header: X-Forwarded-User, trusted: [10.9.9.9/32]}
    session_key: ${SESSION_KEY}
  calendar:
    tokens:
%s
policies:
  standard:
    - {name: "30d", before: 30d, channels: [console]}
    - {name: "7d", before: 7d, channels: [console]}
    - {name: "final", before: 24h, channels: [console]}
    - {name: "overdue", after: 1d, channels: [console]}
channels:
  console: {type: stdout}
credentials:
  - {id: dst-cred, name: "DST deadline", owner: team-a, rotation_period: 180d, rotated_at: "2026-04-28T10:00:00+02:00"}
  - {id: sp-api-prod, name: "SP-API production", owner: team-a, rotated_at: "2026-09-20T12:00:00+02:00", lwa: {client_id: amzn1.application-oa2-client.test1}}
  - {id: team-b-cred, name: "B's", owner: team-b, rotated_at: "2026-08-01T09:00:00+02:00"}
  - {id: zz-hostile, name: %q, owner: team-a, rotated_at: "2026-09-01T09:00:00+02:00"}
`

var calendarTokens = fmt.Sprintf("      - {name: ops, hash: %q}\n      - {name: team-b-only, hash: %q, owners: [team-b]}", calendarHash(calToken), calendarHash(calTokenTeamB))

// hostileCalName adds the characters iCalendar text escapes to
// hostileName.
var hostileCalName = "semi;comma,back\\slash\nnewline " + hostileName

type calFixture struct {
	dir  string
	now  time.Time
	eng  *engine.Engine
	srv  *httptest.Server
	mu   sync.Mutex
	logs bytes.Buffer
}

func (f *calFixture) load(t *testing.T, tokens string) *config.Config {
	t.Helper()
	path := filepath.Join(f.dir, "config.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(calendarConfig, tokens, hostileCalName)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadMain(path, func(*time.Location) time.Time { return f.now }, func(k string) (string, bool) {
		v, ok := map[string]string{"ACK_SECRET": sessionKey + "-ack", "SESSION_KEY": sessionKey}[k]
		return v, ok
	}, registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func newCalFixture(t *testing.T) *calFixture {
	f := &calFixture{dir: t.TempDir(), now: time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)}
	cfg := f.load(t, calendarTokens)
	clock := func() time.Time { return f.now }
	_, f.eng = syncedEngine(t, cfg, clock)
	logger := slog.New(slog.NewTextHandler(lockedWriter{&f.mu, &f.logs}, nil))
	api := httpapi.New(httpapi.Options{Engine: f.eng, Logger: logger, Now: clock,
		Calendar: web.Calendar(web.CalendarOptions{Engine: f.eng, Logger: logger, Now: clock})})
	f.srv = httptest.NewServer(api.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

func (f *calFixture) get(t *testing.T, query string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(f.srv.URL + "/calendar.ics" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// TestCalendarFeed: the feed parses with python3-icalendar; one event per
// deadline and one for the LWA credential's old secret; a deadline across
// the end of summer time in Europe/Berlin at its local hour; an alarm per
// stage; a hostile name escaped and cut; stable UIDs; lines folded.
func TestCalendarFeed(t *testing.T) {
	f := newCalFixture(t)
	resp, body := f.get(t, "?token="+calToken)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/calendar; charset=utf-8" {
		t.Fatalf("feed: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	checkFolded(t, body)
	events := ical.Parse(t, []byte(body))
	byUID := map[string]ical.Event{}
	for _, e := range events {
		byUID[e.UID] = e
	}
	if len(events) != 5 || len(byUID) != 5 {
		t.Fatalf("%d events, %d UIDs; want 4 deadlines and 1 old secret", len(events), len(byUID))
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	dst, ok := byUID["dst-cred-1-deadline@notifier.example.com"]
	if !ok {
		t.Fatalf("no dst-cred deadline event among %v", keys(byUID))
	}
	// 180 calendar days after Tue 28 Apr 10:00 CEST is Sun 25 Oct 10:00 CET
	// (summer time ended that morning): 09:00 UTC, not 08:00.
	if want := time.Date(2026, 10, 25, 10, 0, 0, 0, berlin); !dst.End.Equal(want) || !dst.Start.Equal(want.Add(-time.Hour)) {
		t.Errorf("dst-cred: %s – %s; want it to end at %s", dst.Start, dst.End, want)
	}
	if dst.Summary != "dst-cred: rotate DST deadline (deadline)" || !dst.Stamp.Equal(f.now) {
		t.Errorf("dst-cred: summary %q, stamp %s", dst.Summary, dst.Stamp)
	}
	var triggers []string
	for _, a := range dst.Alarms {
		triggers = append(triggers, a.Related+" "+a.Trigger)
	}
	if got, want := strings.Join(triggers, "; "), "END -30 days, 0:00:00; END -7 days, 0:00:00; END -1 day, 0:00:00; END 1 day, 0:00:00"; got != want {
		t.Errorf("alarms %q, want %q", got, want)
	}
	if !strings.Contains(dst.Description, "https://notifier.example.com/?q=dst-cred") || !strings.Contains(dst.Description, "notifier ack dst-cred") {
		t.Errorf("description without the console link or the ack command: %q", dst.Description)
	}
	old, ok := byUID["sp-api-prod-2-old-secret@notifier.example.com"]
	if want := time.Date(2026, 9, 27, 12, 0, 0, 0, berlin); !ok || !old.End.Equal(want) {
		t.Errorf("old secret event %v (%s), want it to end at %s; UIDs %v", ok, old.End, want, keys(byUID))
	}
	var hostile ical.Event
	for _, e := range events {
		if strings.HasPrefix(e.UID, "zz-hostile-") {
			hostile = e
		}
	}
	if !strings.HasPrefix(hostile.Summary, `zz-hostile: rotate semi;comma,back\slash newline <script>`) || strings.ContainsRune(hostile.Summary, '\u202e') ||
		!strings.Contains(hostile.Summary, `\u202e`) || len(hostile.Summary) > 300 || len(body) > 64<<10 {
		t.Errorf("hostile summary %q (%d bytes); feed %d bytes", hostile.Summary, len(hostile.Summary), len(body))
	}
	// The same read gives the same UIDs: a client updates, not adds.
	_, again := f.get(t, "?token="+calToken)
	if again != body {
		t.Error("a second read differs from the first")
	}
}

func keys(m map[string]ical.Event) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// checkFolded: every line ends in CRLF, is at most 75 octets, and a
// continuation starts with a space; no line ends inside a UTF-8 sequence.
func checkFolded(t *testing.T, body string) {
	t.Helper()
	if !strings.HasSuffix(body, "END:VCALENDAR\r\n") {
		t.Fatalf("the calendar does not end in END:VCALENDAR CRLF: %q", body[max(0, len(body)-40):])
	}
	folded := 0
	for i, l := range strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n") {
		if len(l) > 75 || strings.ContainsAny(l, "\r\n") {
			t.Fatalf("line %d is %d octets or holds a bare CR/LF: %q", i+1, len(l), l)
		}
		if strings.HasPrefix(l, " ") {
			folded++
		}
		if !utf8Valid(l) {
			t.Fatalf("line %d splits a UTF-8 sequence: %q", i+1, l)
		}
	}
	if folded == 0 {
		t.Fatal("no line was folded: the long descriptions should be")
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\x00") == s }

// TestCalendarTokens: a missing, wrong or removed token is 404 and the
// body says nothing; a token limited to an owner sees only that owner's
// credentials, and another owner's filter is refused; no token reaches
// the log.
func TestCalendarTokens(t *testing.T) {
	f := newCalFixture(t)
	for _, q := range []string{"", "?token=", "?token=wrong-token", "?token=" + strings.ToUpper(calToken)} {
		resp, body := f.get(t, q)
		if resp.StatusCode != http.StatusNotFound || strings.Contains(body, "VCALENDAR") || strings.Contains(body, "token") {
			t.Errorf("%q: %d %q; want a bare 404", q, resp.StatusCode, body)
		}
	}
	_, body := f.get(t, "?token="+calTokenTeamB)
	if n := strings.Count(body, "BEGIN:VEVENT"); n != 1 || !strings.Contains(body, "UID:team-b-cred-") {
		t.Errorf("team-b's token: %d events, want team-b-cred only:\n%s", n, body)
	}
	if resp, _ := f.get(t, "?owner=team-a&token="+calTokenTeamB); resp.StatusCode != http.StatusNotFound {
		t.Errorf("team-b's token asking for team-a: %d, want 404", resp.StatusCode)
	}
	if _, body := f.get(t, "?owner=team-b&token="+calToken); strings.Count(body, "BEGIN:VEVENT") != 1 {
		t.Errorf("?owner=team-b: %d events, want 1", strings.Count(body, "BEGIN:VEVENT"))
	}
	// A reload without the ops token revokes it.
	if err := f.eng.SetConfig(f.load(t, fmt.Sprintf("      - {name: team-b-only, hash: %q, owners: [team-b]}", calendarHash(calTokenTeamB)))); err != nil {
		t.Fatal(err)
	}
	if resp, body := f.get(t, "?token="+calToken); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "VEVENT") {
		t.Errorf("removed token after reload: %d", resp.StatusCode)
	}
	if resp, _ := f.get(t, "?token="+calTokenTeamB); resp.StatusCode != http.StatusOK {
		t.Errorf("kept token after reload: %d", resp.StatusCode)
	}
	f.mu.Lock()
	logs := f.logs.String()
	f.mu.Unlock()
	if !strings.Contains(logs, "calendar: a request without a valid token refused") {
		t.Errorf("the refusals were not logged: %s", logs)
	}
	for _, tok := range []string{calToken, calTokenTeamB, "wrong-token"} {
		if strings.Contains(logs, tok) {
			t.Errorf("a token reached the log: %s", logs)
		}
	}
}

// TestCalendarFeedOutlastsTheServersWriteTimeout: a whole feed takes
// longer to write than the server's WriteTimeout (at 1,000,000
// credentials about a minute, against the daemon's 30 s), so the feed
// keeps the connection's write deadline a window ahead of each write
// instead: the client gets the whole calendar, not one cut mid-event. A
// server whose WriteTimeout has passed before the first write stands for
// the long feed.
func TestCalendarFeedOutlastsTheServersWriteTimeout(t *testing.T) {
	f := newCalFixture(t)
	srv := httptest.NewUnstartedServer(web.Calendar(web.CalendarOptions{Engine: f.eng, Now: func() time.Time { return f.now }}))
	srv.Config.WriteTimeout = time.Nanosecond
	srv.Start()
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/calendar.ics?token=" + calToken)
	if err != nil {
		t.Fatalf("the feed past the server's write timeout: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || !strings.HasSuffix(string(body), "END:VCALENDAR\r\n") {
		t.Fatalf("the feed past the server's write timeout: %d, %v, %d bytes ending %q", resp.StatusCode, err, len(body), body[max(0, len(body)-40):])
	}
	if n := len(ical.Parse(t, body)); n != 5 {
		t.Errorf("%d events, want 4 deadlines and 1 old secret", n)
	}
}
