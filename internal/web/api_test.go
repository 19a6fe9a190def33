package web_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/web"
)

// API tokens made up for these tests, never real.
const (
	readerToken = "test-api-token-reader-0123456789abcdef0123456789abcdef"
	ciToken     = "test-api-token-ci-fedcba9876543210fedcba9876543210fe"
)

func sha(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

const apiConfig = `database: notifier.db
timezone: Europe/Berlin
http:
  listen: 127.0.0.1:0
  console:
    users_file: users.htpasswd
    session_key: ${SESSION_KEY}
    roles: {alice: responder}
    api_tokens:
      - {name: reader, sha256: %s}
%s
policies:
  standard:
    - {before: 30d, channels: [console]}
    - {after: 0s, repeat: 24h, channels: [console]}
  strict:
    - {before: 60d, channels: [console]}
channels:
  console: {type: stdout}
credential_files: [credentials.yaml]
`

const ciLine = "      - {name: ci, sha256: %s, role: responder}"

// apiFleetSize is the API fixture's fleet.
const apiFleetSize = 300

// newAPIFixture is the console with its API, mounted in the daemon's HTTP
// API, on a real SQLite database of apiFleetSize credentials svc-000 …
// in mixed states: rotated 10, 170, 200, 130 or 100 days ago by i%5
// (ok, due, overdue, ok or due under strict, …); owner team-a for even i;
// policy strict for i%4 == 0; acknowledged by alice for i%7 == 0; and
// svc-007, svc-057, … (i%50 == 7) removed from the config (inactive);
// svc-013, svc-063, … (i%50 == 13) rotated 3 days ago (state=rotated) and
// svc-023, svc-073, … (i%50 == 23) 8 days ago (not), both ok.
// Tokens: reader (viewer) and ci (responder).
func newAPIFixture(t *testing.T) (*fixture, string) {
	t.Helper()
	f, dir, write := newConsoleFixture(t)
	creds := func(skip func(int) bool) string {
		var b strings.Builder
		b.WriteString("credentials:\n")
		ago := []int{10, 170, 200, 130, 100}
		for i := range apiFleetSize {
			if !skip(i) {
				svcLine(&b, i, f.now.AddDate(0, 0, -ago[i%5]))
			}
		}
		return b.String()
	}
	write("credentials.yaml", creds(func(int) bool { return false }))
	write("config.yaml", fmt.Sprintf(apiConfig, sha(readerToken), fmt.Sprintf(ciLine, sha(ciToken))))
	cfg := f.loadConfig(dir)
	f.store, f.eng = syncedEngine(t, cfg, f.clock)
	for i := 0; i < apiFleetSize; i += 7 {
		if err := f.eng.Acknowledge(t.Context(), engine.Ack{Credential: fmt.Sprintf("svc-%03d", i), At: f.now.Add(-time.Hour), By: "alice", Source: "cli"}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range apiFleetSize {
		days := map[int]int{13: 3, 23: 8}[i%50]
		if days == 0 {
			continue
		}
		if err := f.eng.Rotate(t.Context(), engine.Rotation{Credential: fmt.Sprintf("svc-%03d", i), At: f.now.AddDate(0, 0, -days), By: "alice", Source: "cli"}); err != nil {
			t.Fatal(err)
		}
	}
	write("credentials.yaml", creds(func(i int) bool { return i%50 == 7 }))
	if err := f.eng.SetConfig(f.loadConfig(dir)); err != nil {
		t.Fatal(err)
	}
	if err := f.eng.Sync(t.Context(), f.now); err != nil {
		t.Fatal(err)
	}
	f.serve(cfg)
	return f, dir
}

// call sends an API request with token ("" none) and a JSON body ("" none).
func (f *fixture) call(c *http.Client, token, method, path, body string) (int, []byte) {
	f.t.Helper()
	header := http.Header{}
	if token != "" {
		header.Set("Authorization", "Bearer "+token)
	}
	if c == nil {
		c = http.DefaultClient
	}
	resp, b := f.send(c, method, path, "application/json", body, header)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("%s %s: Content-Type %q, want application/json: %s", method, path, ct, b)
	}
	return resp.StatusCode, b
}

// get decodes a GET's answer into v, which must be 200.
func (f *fixture) get(token, path string, v any) {
	f.t.Helper()
	code, b := f.call(nil, token, "GET", path, "")
	if code != http.StatusOK {
		f.t.Fatalf("GET %s: %d %s", path, code, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		f.t.Fatalf("GET %s: %v", path, err)
	}
}

// apiAll pages through GET /api/v1/credentials?query with limit, checking
// that each page but the last is full and links to the next.
func (f *fixture) apiAll(query string, limit int) []web.APICredential {
	f.t.Helper()
	var all []web.APICredential
	after := ""
	for range 1000 {
		v, _ := url.ParseQuery(query)
		v.Set("limit", strconv.Itoa(limit))
		if after != "" {
			v.Set("after", after)
		}
		var p web.APIPage
		f.get(readerToken, "/api/v1/credentials?"+v.Encode(), &p)
		all = append(all, p.Credentials...)
		if p.Next == nil {
			if len(p.Credentials) > limit {
				f.t.Fatalf("%s: a page of %d, limit %d", query, len(p.Credentials), limit)
			}
			return all
		}
		want := ""
		if len(p.Credentials) == limit {
			want = p.Credentials[limit-1].ID
			if v.Get("sort") == "deadline" { // the cursor of the deadline order: the last row's deadline and id
				want = p.Credentials[limit-1].Deadline.UTC().Format(time.RFC3339) + "/" + want
			}
		}
		if len(p.Credentials) != limit || *p.Next != want {
			f.t.Fatalf("%s: a page of %d with next %q, want %d ending there", query, len(p.Credentials), *p.Next, limit)
		}
		after = *p.Next
	}
	f.t.Fatalf("%s: the pages never end", query)
	return nil
}

// pageRow is one row of the fleet page's table, as a person reads it.
type pageRow struct {
	ID, State, Deadline, Ack string
	Days                     int
	Rotated                  string // the date of "rotated <date>" beside the state; "" none
}

var (
	rowStateRE = regexp.MustCompile(`^<tr class="state-([a-z]+)">`)
	deadlineRE = regexp.MustCompile(`<td data-label="Deadline">([^<]*)<br>`)
	daysRE     = regexp.MustCompile(`<td data-label="Days left" class="num">(-?\d+)</td>`)
	ackRE      = regexp.MustCompile(`<td data-label="Acknowledged">([^<]*)</td>`)
)

// pageAll pages through the fleet page at /?query, parsing its table.
func (f *fixture) pageAll(c *http.Client, query string) []pageRow {
	f.t.Helper()
	var out []pageRow
	path := "/?" + query
	for range 1000 {
		resp, body := f.do(c, "GET", path, nil, nil)
		if resp.StatusCode != http.StatusOK {
			f.t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		for _, tr := range strings.SplitAfter(body, "</tr>") {
			i := strings.Index(tr, `<tr class="state-`)
			if i < 0 {
				continue
			}
			tr = tr[i:]
			st, id, dl, days, ack := rowStateRE.FindStringSubmatch(tr), idRE.FindStringSubmatch(tr), deadlineRE.FindStringSubmatch(tr), daysRE.FindStringSubmatch(tr), ackRE.FindStringSubmatch(tr)
			if st == nil || id == nil || dl == nil || days == nil || ack == nil {
				f.t.Fatalf("a row of the page is not read: %s", tr)
			}
			n, _ := strconv.Atoi(days[1])
			rw := pageRow{ID: id[1], State: st[1], Deadline: dl[1], Days: n, Ack: ack[1]}
			if m := rotatedRE.FindStringSubmatch(tr); m != nil {
				rw.Rotated = m[1]
			}
			out = append(out, rw)
		}
		m := nextRE.FindStringSubmatch(body)
		if m == nil {
			return out
		}
		path = html.UnescapeString(m[1])
	}
	f.t.Fatalf("%s: the pages never end", query)
	return nil
}

func TestAPIAndFleetPageAgree(t *testing.T) {
	f, _ := newAPIFixture(t)
	c := f.client()
	f.login(c, "bob", bobPassword)
	loc, _ := time.LoadLocation("Europe/Berlin")
	for _, q := range []struct{ api, page string }{
		{"", ""},
		{"state=due", "state=due"},
		{"state=overdue&owner=team-a", "state=overdue&owner=team-a"},
		{"state=ok&policy=strict", "state=ok&policy=strict"},
		{"state=inactive", "state=inactive"},
		{"state=rotated", "state=rotated"},
		{"q=service+1", "q=service+1"},
		{"sort=deadline", "sort=deadline"},
		{"state=due&sort=deadline", "state=due&sort=deadline"},
		{"state=overdue&owner=team-a&sort=deadline", "sort=deadline&state=overdue&owner=team-a"},
		{"state=ok&policy=strict&sort=deadline", "state=ok&policy=strict&sort=deadline"},
		{"state=inactive&sort=deadline", "state=inactive&sort=deadline"},
		{"state=rotated&owner=team-b&sort=deadline", "state=rotated&owner=team-b&sort=deadline"},
		{"q=service+1&sort=deadline", "q=service+1&sort=deadline"},
	} {
		api := f.apiAll(q.api, 37)
		page := f.pageAll(c, q.page)
		if len(api) != len(page) || len(api) == 0 {
			t.Fatalf("%q: the API lists %d credentials, the page %d", q.api, len(api), len(page))
		}
		for i := 1; i < len(api); i++ {
			a, b := api[i-1], api[i]
			inOrder := a.ID < b.ID
			if strings.Contains(q.api, "sort=deadline") {
				inOrder = a.Deadline.Before(b.Deadline) || a.Deadline.Equal(b.Deadline) && a.ID < b.ID
			}
			if !inOrder {
				t.Errorf("%q: %s (%s) listed before %s (%s)", q.api, a.ID, a.Deadline, b.ID, b.Deadline)
			}
		}
		states := map[string]int{}
		for i, a := range api {
			p := page[i]
			state := a.State
			ack := "no"
			if a.Acknowledged {
				ack = "by " + a.AcknowledgedBy
			}
			got := pageRow{ID: a.ID, State: state, Deadline: a.Deadline.In(loc).Format("Mon 2006-01-02 15:04 MST"), Days: a.DaysRemaining, Ack: ack}
			if a.RecentlyRotated {
				got.Rotated = a.RotatedAt.In(loc).Format("2006-01-02")
			}
			if got != p {
				t.Errorf("%q row %d: the API says %+v, the page %+v", q.api, i, got, p)
			}
			states[a.State]++
		}
		if strings.HasPrefix(q.api, "state=rotated") {
			// svc-013, svc-063, … rotated 3 days ago; not svc-023, … (8 days).
			for _, a := range api {
				if n, _ := strconv.Atoi(strings.TrimPrefix(a.ID, "svc-")); n%50 != 13 || !a.RecentlyRotated || a.State != "ok" {
					t.Errorf("%q lists %s (%s, recently rotated %v)", q.api, a.ID, a.State, a.RecentlyRotated)
				}
			}
			if len(api) != apiFleetSize/50 {
				t.Errorf("%q lists %d credentials, want %d", q.api, len(api), apiFleetSize/50)
			}
		}
		if q.api == "" || q.api == "sort=deadline" {
			if len(api) != apiFleetSize {
				t.Errorf("the whole fleet: %d credentials, want %d", len(api), apiFleetSize)
			}
			// Mixed states, as the fixture meant: each one present.
			for _, s := range []string{"ok", "due", "overdue", "inactive"} {
				if states[s] == 0 {
					t.Errorf("the fleet has no %s credential: %v", s, states)
				}
			}
			if states["inactive"] != apiFleetSize/50 {
				t.Errorf("%d inactive, want %d", states["inactive"], apiFleetSize/50)
			}
		}
	}
	// The API's own filters the page lacks: a glob and due_within.
	var p web.APIPage
	f.get(readerToken, "/api/v1/credentials?credential=svc-01%3F&due_within=11d&limit=500", &p)
	var ids []string
	for _, a := range p.Credentials {
		ids = append(ids, a.ID)
		if a.DaysRemaining > 11 || !strings.HasPrefix(a.ID, "svc-01") {
			t.Errorf("credential=svc-01?&due_within=11d lists %s (%d days)", a.ID, a.DaysRemaining)
		}
	}
	// svc-01x rotated 170 or 200 days ago (i%5 == 1, 2): 011 and 016 due
	// in 10 days and an hour (the summer time's hour), 012 and 017
	// overdue (017 inactive): overdue ones are within any span.
	if want := "svc-011,svc-012,svc-016,svc-017"; strings.Join(ids, ",") != want {
		t.Errorf("credential=svc-01?&due_within=11d: %v, want %s", ids, want)
	}
}

func TestAPIErrorsHaveStableCodesAndWriteNothing(t *testing.T) {
	f, _ := newAPIFixture(t)
	alice := f.client()
	f.login(alice, "alice", alicePassword)
	_, page := f.do(alice, "GET", "/", nil, nil)
	csrf := csrfRE.FindStringSubmatch(page)[1]
	acks, rotations := f.acks(), len(f.events("", domain.EventRotation))
	future := f.now.Add(time.Hour).Format(time.RFC3339)
	for _, tc := range []struct {
		name, token, method, path, body string
		status                          int
		code, message                   string
	}{
		{"no token", "", "GET", "/api/v1/credentials", "", 401, "unauthorized", "Authorization: Bearer"},
		{"a wrong token", "not-a-token", "GET", "/api/v1/credentials", "", 401, "unauthorized", ""},
		{"a token's hash sent as the token", sha(readerToken), "GET", "/api/v1/credentials", "", 401, "unauthorized", ""},
		{"no token, unknown endpoint", "", "GET", "/api/v1/nothing", "", 401, "unauthorized", ""},
		{"no token, POST", "", "POST", "/api/v1/credentials/svc-001/ack", "{}", 401, "unauthorized", ""},
		{"a viewer acknowledges", readerToken, "POST", "/api/v1/credentials/svc-001/ack", `{"note":"x"}`, 403, "forbidden", "reader is a viewer's"},
		{"a viewer rotates", readerToken, "POST", "/api/v1/credentials/svc-001/rotations", `{}`, 403, "forbidden", ""},
		{"unknown credential", readerToken, "GET", "/api/v1/credentials/nope", "", 404, "not_found", `no credential "nope"`},
		{"ack of an unknown credential", ciToken, "POST", "/api/v1/credentials/nope/ack", "{}", 404, "not_found", "unknown credential"},
		{"rotation of an unknown credential", ciToken, "POST", "/api/v1/credentials/nope/rotations", "{}", 404, "not_found", "unknown credential"},
		{"unknown endpoint", readerToken, "GET", "/api/v1/nothing", "", 404, "not_found", "no such endpoint: GET /api/v1/nothing"},
		{"wrong method", ciToken, "DELETE", "/api/v1/credentials", "", 404, "not_found", "no such endpoint: DELETE"},
		{"bad state", readerToken, "GET", "/api/v1/credentials?state=%3Cscript%3E", "", 400, "bad_request", `state: "<script>" is not one of ok, due, overdue, rotated, inactive`},
		{"limit 0", readerToken, "GET", "/api/v1/credentials?limit=0", "", 400, "bad_request", `limit: "0" is not a number from 1 to 500`},
		{"limit 501", readerToken, "GET", "/api/v1/credentials?limit=501", "", 400, "bad_request", "from 1 to 500"},
		{"bad due_within", readerToken, "GET", "/api/v1/credentials?due_within=soon", "", 400, "bad_request", "due_within:"},
		{"bad glob", readerToken, "GET", "/api/v1/credentials?credential=%5B", "", 400, "bad_request", "credential:"},
		{"unknown parameter", readerToken, "GET", "/api/v1/credentials?colour=blue", "", 400, "bad_request", `unknown parameter "colour"`},
		{"a parameter twice", readerToken, "GET", "/api/v1/credentials?owner=a&owner=b", "", 400, "bad_request", "owner: given 2 times"},
		{"not JSON", ciToken, "POST", "/api/v1/credentials/svc-001/ack", "note=x", 400, "bad_request", "the body is not the JSON expected"},
		{"an unknown field", ciToken, "POST", "/api/v1/credentials/svc-001/ack", `{"by":"mallory"}`, 400, "bad_request", `unknown field "by"`},
		{"two snooze ends", ciToken, "POST", "/api/v1/credentials/svc-001/ack", `{"for":"3d","next_stage":true}`, 400, "bad_request", "give at most one"},
		{"a zero snooze", ciToken, "POST", "/api/v1/credentials/svc-001/ack", `{"for":"0s"}`, 400, "bad_request", "a snooze must last more than 0"},
		{"a snooze already over", ciToken, "POST", "/api/v1/credentials/svc-001/ack", `{"until":"2026-12-01"}`, 400, "bad_request", "snooze of svc-001"},
		{"a bad date", ciToken, "POST", "/api/v1/credentials/svc-001/rotations", `{"rotated_at":"yesterday"}`, 400, "bad_request", "rotated_at:"},
		{"an ack in the future", ciToken, "POST", "/api/v1/credentials/svc-001/ack", `{"at":"` + future + `"}`, 422, "future", "in the future"},
		{"a rotation in the future", ciToken, "POST", "/api/v1/credentials/svc-001/rotations", `{"rotated_at":"` + future + `"}`, 422, "future", "in the future"},
		{"a rotation not newer", ciToken, "POST", "/api/v1/credentials/svc-001/rotations", `{"rotated_at":"2026-01-01"}`, 409, "conflict", "not newer than the latest recorded one"},
		{"an ack already there", ciToken, "POST", "/api/v1/credentials/svc-000/ack", `{}`, 409, "conflict", "svc-000: already acknowledged by alice"},
		{"an ack of an inactive credential", ciToken, "POST", "/api/v1/credentials/svc-007/ack", `{}`, 409, "conflict", "inactive"},
	} {
		code, b := f.call(nil, tc.token, tc.method, tc.path, tc.body)
		var e struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(b, &e); err != nil || code != tc.status || e.Error.Code != tc.code || !strings.Contains(e.Error.Message, tc.message) {
			t.Errorf("%s: %d %s, want %d %s %q", tc.name, code, b, tc.status, tc.code, tc.message)
		}
		if n, r := f.acks(), len(f.events("", domain.EventRotation)); n != acks || r != rotations {
			t.Fatalf("%s: acknowledgments %d → %d, rotations %d → %d: something was written", tc.name, acks, n, rotations, r)
		}
	}
	// A browser's session cookie authorizes nothing here, not even with
	// the form's CSRF token: the API answers bearer tokens only.
	for _, m := range []struct{ method, path, body string }{
		{"GET", "/api/v1/credentials", ""},
		{"POST", "/api/v1/credentials/svc-001/ack", `{}`},
		{"POST", "/api/v1/credentials/svc-001/ack?csrf=" + url.QueryEscape(csrf), `{"csrf":"` + csrf + `"}`},
	} {
		if code, b := f.call(alice, "", m.method, m.path, m.body); code != http.StatusUnauthorized || !strings.Contains(string(b), `"unauthorized"`) {
			t.Errorf("a responder's session cookie, %s %s: %d %s, want 401", m.method, m.path, code, b)
		}
	}
	if n := f.acks(); n != acks {
		t.Fatalf("a session cookie acknowledged: %d → %d", acks, n)
	}
	// Tokens (and their hashes) never reach the log; the refusals do.
	log := f.log()
	for _, secret := range []string{readerToken, ciToken, sha(readerToken), "not-a-token"} {
		if strings.Contains(log, secret) {
			t.Errorf("the log carries a token: %q", secret[:12])
		}
	}
	if !strings.Contains(log, "api: a request without a valid token refused") {
		t.Errorf("the refusals were not logged:\n%s", log)
	}
}

func TestAPIActionsAsTheCLIDoes(t *testing.T) {
	f, _ := newAPIFixture(t)
	type done struct {
		Credential web.APICredential
		Cycle      web.APICycle
	}
	post := func(path, body string, want int) done {
		t.Helper()
		code, b := f.call(nil, ciToken, "POST", path, body)
		var d done
		if code != want || json.Unmarshal(b, &d) != nil {
			t.Fatalf("POST %s %s: %d %s, want %d", path, body, code, b, want)
		}
		return d
	}
	// svc-001 is due (170 days ago): acknowledged, by api:ci, with a note.
	d := post("/api/v1/credentials/svc-001/ack", `{"note":"on it <b>"}`, 200)
	if !d.Credential.Acknowledged || d.Credential.AcknowledgedBy != "api:ci" || d.Cycle.AcknowledgedBy != "api:ci" || d.Cycle.SnoozedUntil != nil {
		t.Errorf("after the ack: %+v", d)
	}
	// svc-006 is due: snoozed for 3 days.
	d = post("/api/v1/credentials/svc-006/ack", `{"for":"3d"}`, 200)
	if d.Cycle.SnoozedUntil == nil || !d.Cycle.SnoozedUntil.Equal(f.now.AddDate(0, 0, 3)) {
		t.Errorf("a 3-day snooze ends at %v, want %v", d.Cycle.SnoozedUntil, f.now.AddDate(0, 0, 3))
	}
	// The fleet's row says it is a snooze, not an acknowledgment for the
	// cycle, in the list as in the credential.
	if d.Credential.SnoozedUntil == nil || !d.Credential.SnoozedUntil.Equal(f.now.AddDate(0, 0, 3)) {
		t.Errorf("the credential's row after the snooze: snoozed until %v, want %v", d.Credential.SnoozedUntil, f.now.AddDate(0, 0, 3))
	}
	if d.Credential.SnoozedUntil != nil && d.Credential.Acknowledged != true {
		t.Errorf("a snoozed credential's row: acknowledged %v, want true (while the snooze lasts)", d.Credential.Acknowledged)
	}
	// svc-002 is overdue: rotated an hour ago; the new cycle is ok.
	at := f.now.Add(-time.Hour)
	d = post("/api/v1/credentials/svc-002/rotations", `{"rotated_at":"`+at.Format(time.RFC3339)+`","note":"new secret in vault"}`, 201)
	if d.Credential.State != "ok" || d.Credential.RotationSource != "http" || d.Credential.RotatedAt == nil || !d.Credential.RotatedAt.Equal(at) ||
		d.Cycle.Source != "http" || !d.Cycle.StartedAt.Equal(at) || d.Credential.DaysRemaining != 180 {
		t.Errorf("after the rotation: %+v", d)
	}
	var history []domain.Event
	history, err := f.store.History(t.Context(), domain.HistoryFilter{Since: f.now.Add(-2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range history {
		if (e.Type == domain.EventAck || e.Type == domain.EventRotation) && e.Actor != "alice" {
			got = append(got, e.Type+" "+e.CredentialID+" "+e.Actor)
		}
	}
	if want := "rotation svc-002 api:ci,ack svc-001 api:ci,ack svc-006 api:ci"; strings.Join(got, ",") != want {
		// The rotation is dated an hour ago, before the acks.
		t.Errorf("history: %v, want %s", got, want)
	}

	// One credential: its cycle, plan and timeline across cycles.
	var c web.APICredentialDetail
	f.get(readerToken, "/api/v1/credentials/svc-002", &c)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	if c.Credential.ID != "svc-002" || c.Cycle.Policy != "standard" || !c.Cycle.StartedAt.Equal(at) || !c.Cycle.Deadline.Equal(at.In(berlin).AddDate(0, 0, 180)) || !c.Cycle.Active {
		t.Errorf("svc-002: %+v %+v", c.Credential, c.Cycle)
	}
	// The plan: the 30d reminder, then overdue daily.
	if len(c.Plan) != 2 || c.Plan[0].Stage == c.Plan[1].Stage || c.Plan[0].DaysRemaining != 30 || c.Plan[1].Every != "24h" || c.Plan[1].Repeats == 0 {
		t.Errorf("svc-002's plan: %+v", c.Plan)
	}
	var types []string
	for _, e := range c.Timeline {
		types = append(types, e.Type)
	}
	// Two rotations (the config's, then the API's), actor api:ci last.
	if n := strings.Count(strings.Join(types, ","), "rotation"); n != 2 || c.TimelineTruncated {
		t.Errorf("svc-002's timeline: %v (truncated %v), want two rotations", types, c.TimelineTruncated)
	}
	var byAPI []web.APIEvent
	for _, e := range c.Timeline {
		if e.Type == "rotation" && e.Actor == "api:ci" {
			byAPI = append(byAPI, e)
		}
	}
	if len(byAPI) != 1 || !byAPI[0].Time.Equal(at) || byAPI[0].RecordedAt == nil || byAPI[0].Detail != "rotated at 2026-12-20T08:00:00Z (source http): new secret in vault" {
		t.Errorf("svc-002's rotation by api:ci in the timeline: %+v", byAPI)
	}
	if len(c.Deliveries) != 0 {
		t.Errorf("svc-002's new cycle has deliveries: %+v", c.Deliveries)
	}
	// An overdue credential after a tick: its deliveries, as sent.
	if _, err := f.eng.Tick(t.Context(), f.now); err != nil {
		t.Fatal(err)
	}
	f.get(readerToken, "/api/v1/credentials/svc-012", &c)
	if len(c.Deliveries) != 1 || c.Deliveries[0].Channel != "console" || c.Deliveries[0].Status != "sent" || c.Credential.State != "overdue" {
		t.Errorf("svc-012 after a tick: %+v %+v", c.Credential, c.Deliveries)
	}
}

func TestAPITokenRemovedStopsWorkingAtReload(t *testing.T) {
	f, dir := newAPIFixture(t)
	if code, _ := f.call(nil, ciToken, "GET", "/api/v1/credentials?limit=1", ""); code != http.StatusOK {
		t.Fatalf("ci's token before the reload: %d", code)
	}
	body := fmt.Sprintf(apiConfig, sha(readerToken), "")
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SESSION_KEY": sessionKey}
	cfg, err := config.LoadMain(filepath.Join(dir, "config.yaml"), func(*time.Location) time.Time { return f.clock() },
		func(k string) (string, bool) { v, ok := env[k]; return v, ok }, registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	// What the daemon's reload does.
	if err := f.eng.SetConfig(cfg); err != nil {
		t.Fatal(err)
	}
	if code, b := f.call(nil, ciToken, "POST", "/api/v1/credentials/svc-001/ack", "{}"); code != http.StatusUnauthorized {
		t.Errorf("ci's removed token: %d %s, want 401", code, b)
	}
	if code, _ := f.call(nil, readerToken, "GET", "/api/v1/credentials?limit=1", ""); code != http.StatusOK {
		t.Errorf("reader's token after the reload: %d", code)
	}
}

func TestAPIInternalErrorSaysNoMore(t *testing.T) {
	f, _ := newAPIFixture(t)
	f.store.Close()
	code, b := f.call(nil, readerToken, "GET", "/api/v1/credentials", "")
	if code != http.StatusInternalServerError || !strings.Contains(string(b), `"code": "internal"`) || strings.Contains(string(b), "sql") {
		t.Errorf("a closed database: %d %s, want 500 internal without the cause", code, b)
	}
	if !strings.Contains(f.log(), "api: request failed") {
		t.Errorf("the cause was not logged:\n%s", f.log())
	}
}
