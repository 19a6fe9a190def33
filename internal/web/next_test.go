package web_test

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/schedule"
	"github.com/notifier-dev/notifier/internal/web"
)

// nextConfig has a ladder with quiet hours (office: weekdays 09-18) and
// an overdue repeat, and one that routes by owner (owners: team-a has a
// webhook route, team-b none) with an unless_acknowledged stage that
// escalates to pager. The hook URLs are 127.0.0.1 and never called: no
// reminder is dispatched here.
const nextConfig = `database: notifier.db
timezone: Europe/Berlin
http:
  listen: 127.0.0.1:0
  console:
    users_file: users.htpasswd
    session_key: ${SESSION_KEY}
    proxy:
      user_header: X-Forwarded-User
      trusted: [127.0.0.1/32]
    api_tokens:
      - {name: reader, sha256: %s, role: viewer}
policies:
  standard:
    - {before: 30d, channels: [console]}
    - {before: 7d, channels: [console, office]}
    - {after: 0s, repeat: 24h, channels: [console]}
  routed:
    - {before: 30d, channels: [owners]}
    - name: last-call
      before: 2d
      channels: [console]
      unless_acknowledged: true
      escalate: {after: 4h, channels: [pager]}
channels:
  console: {type: stdout}
  pager: {type: stdout}
  office: {type: stdout, deliver: {days: Mon-Fri, hours: "09:00-18:00"}}
  owners: {type: webhook, url: "${OWNERS_HOOK}", route: owner}
owners:
  team-a: {webhook: "${TEAM_A_HOOK}"}
credential_files: [credentials.yaml]
`

// nextCred is one credential of the next-step fixture.
type nextCred struct {
	id, owner, policy string
	deadline          string // expires_at, in Berlin
}

// nextCreds: now is Sun 2026-12-20 10:00 in Berlin. A tick at now sends
// every active stage; then some are acknowledged or snoozed, and
// retired is removed from the config.
var nextCreds = []nextCred{
	{"due-30d", "team-a", "standard", "2027-01-12T10:00:00+01:00"},       // 30d active: sent by the tick; 7d on Tue 01-05
	{"ok-later", "team-b", "standard", "2027-04-01T10:00:00+02:00"},      // 30d on 03-02
	{"quiet-7d", "team-a", "standard", "2027-01-02T10:00:00+01:00"},      // 7d on Sat 12-26: office waits for Mon 09:00
	{"overdue", "team-b", "standard", "2026-12-18T10:00:00+01:00"},       // overdue sent at the tick, repeats daily
	{"acked", "team-a", "standard", "2027-01-09T10:00:00+01:00"},         // acknowledged: 7d still goes out
	{"snoozed", "team-b", "standard", "2026-12-19T08:00:00+01:00"},       // overdue, snoozed until 12-23 12:00
	{"routed-a", "team-a", "routed", "2027-03-01T10:00:00+01:00"},        // 30d to owners: team-a's webhook
	{"routed-b", "team-b", "routed", "2027-03-02T10:00:00+01:00"},        // 30d to owners: team-b has no route
	{"routed-acked", "team-a", "routed", "2027-01-09T10:00:00+01:00"},    // 30d sent, acknowledged: last-call skipped
	{"retired", "team-b", "standard", "2027-01-09T10:00:00+01:00"},       // removed from the config
	{"routed-later", "team-b", "routed", "2027-06-01T10:00:00+02:00"},    // 30d on 05-02
	{"standard-due2", "team-b", "standard", "2027-01-03T10:00:00+01:00"}, // 7d on Sun 12-27: deferred
}

// newNextFixture is the console on a real SQLite database of nextCreds,
// ticked once at now, signed in through the trusted proxy's header.
func newNextFixture(t *testing.T) *fixture {
	t.Helper()
	f, dir, write := newConsoleFixture(t)
	creds := func(skip string) string {
		var b strings.Builder
		b.WriteString("credentials:\n")
		for _, c := range nextCreds {
			if c.id != skip {
				fmt.Fprintf(&b, "  - {id: %s, owner: %s, policy: %s, rotated_at: 2026-06-01T00:00:00Z, expires_at: %q}\n", c.id, c.owner, c.policy, c.deadline)
			}
		}
		return b.String()
	}
	write("credentials.yaml", creds(""))
	write("config.yaml", fmt.Sprintf(nextConfig, sha(readerToken)))
	env := map[string]string{"SESSION_KEY": sessionKey, "OWNERS_HOOK": "http://127.0.0.1:9/hook?key=own-key", "TEAM_A_HOOK": "http://127.0.0.1:9/team-a?key=team-a-key"}
	load := func() *config.Config {
		cfg, err := config.LoadMain(filepath.Join(dir, "config.yaml"), func(*time.Location) time.Time { return f.clock() },
			func(k string) (string, bool) { v, ok := env[k]; return v, ok }, registry.Default())
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	cfg := load()
	f.cfg = cfg
	f.store, f.eng = syncedEngine(t, cfg, f.clock)
	if _, err := f.eng.Tick(t.Context(), f.now); err != nil {
		t.Fatal(err)
	}
	for _, a := range []engine.Ack{
		{Credential: "acked", At: f.now, By: "alice", Source: "cli"},
		{Credential: "routed-acked", At: f.now, By: "alice", Source: "cli"},
		{Credential: "snoozed", At: f.now, By: "bob", Source: "cli", Until: time.Date(2026, 12, 23, 11, 0, 0, 0, time.UTC)},
	} {
		if err := f.eng.Acknowledge(t.Context(), a); err != nil {
			t.Fatal(err)
		}
	}
	write("credentials.yaml", creds("retired"))
	if err := f.eng.SetConfig(load()); err != nil {
		t.Fatal(err)
	}
	if err := f.eng.Sync(t.Context(), f.now); err != nil {
		t.Fatal(err)
	}
	f.serve(cfg)
	return f
}

var (
	nextCellRE = regexp.MustCompile(`<td data-label="Next" class="next">([^<]*)</td>`)
	nextDDRE   = regexp.MustCompile(`<dd id="next">([^<]*)</dd>`)
)

// fleetNext is the fleet page at /?query: each row's id and its Next
// column, in order.
func (f *fixture) fleetNext(query string) ([]string, map[string]string) {
	f.t.Helper()
	resp, body := f.do(f.client(), "GET", "/?"+query, nil, http.Header{"X-Forwarded-User": {"carol"}})
	if resp.StatusCode != http.StatusOK {
		f.t.Fatalf("GET /?%s: %d %s", query, resp.StatusCode, body)
	}
	var order []string
	next := map[string]string{}
	for _, tr := range strings.SplitAfter(body, "</tr>") {
		id, cell := idRE.FindStringSubmatch(tr), nextCellRE.FindStringSubmatch(tr)
		if id == nil {
			continue
		}
		if cell == nil {
			f.t.Fatalf("row %s has no Next column: %s", id[1], tr)
		}
		order = append(order, id[1])
		next[id[1]] = html.UnescapeString(cell[1])
	}
	return order, next
}

// planFirst is what `notifier plan --credential ID` shows first at now
// (the engine's plan, as the CLI calls it), or nil.
func (f *fixture) planFirst(id string) *engine.Upcoming {
	f.t.Helper()
	var first *engine.Upcoming
	err := f.eng.PlanEach(f.t.Context(), f.now, schedule.Span{Days: 365}, domain.CredentialFilter{Credential: id, Limit: 1}, true, true, func(u engine.Upcoming) error {
		first = &u
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return first
}

// TestFleetNextColumnIsPlansFirstRow: for each case the fleet page's Next
// column, the credential page's and the API's (list and one credential)
// say the same, and it is the first row plan shows for the credential
// (its stage, channels and moment, as plan computes them), or says why
// plan shows none.
func TestFleetNextColumnIsPlansFirstRow(t *testing.T) {
	f := newNextFixture(t)
	order, cols := f.fleetNext("")
	if len(order) != len(nextCreds) {
		t.Fatalf("the page lists %d credentials, want %d: %v", len(order), len(nextCreds), order)
	}
	var list web.APIPage
	f.get(readerToken, "/api/v1/credentials?limit=500", &list)
	byID := map[string]web.APICredential{}
	for _, c := range list.Credentials {
		byID[c.ID] = c
	}
	for _, tc := range []struct {
		id, stage string // plan's first row's stage; "" none
		want      string // the column, as a person reads it
	}{
		{"due-30d", "7d", "7d reminder to console, office on Tue 2027-01-05 10:00 CET"},
		{"ok-later", "30d", "30d reminder to console on Tue 2027-03-02 10:00 CET"},
		{"quiet-7d", "7d", "7d reminder to console, office on Sat 2026-12-26 10:00 CET; office deferred to Mon 09:00 CET"},
		{"overdue", "overdue", "overdue reminder to console on Mon 2026-12-21 10:00 CET, then every 24h until acknowledged"},
		{"acked", "7d", "7d reminder to console, office on Sat 2027-01-02 10:00 CET; office deferred to Mon 09:00 CET"},
		{"snoozed", "overdue", "overdue reminder to console on Wed 2026-12-23 12:00 CET (when the snooze ends), then every 24h until acknowledged"},
		{"routed-a", "30d", "30d reminder to owners on Sat 2027-01-30 10:00 CET; owners to owner team-a's webhook"},
		{"routed-b", "30d", "30d reminder to owners on Sun 2027-01-31 10:00 CET; owners to http://127.0.0.1:9/hook (no webhook route for owner team-b)"},
		{"routed-acked", "", "nothing until rotated (acknowledged)"},
		{"retired", "", "nothing: retired"},
		{"routed-later", "30d", "30d reminder to owners on Sun 2027-05-02 10:00 CEST; owners to http://127.0.0.1:9/hook (no webhook route for owner team-b)"},
		{"standard-due2", "7d", "7d reminder to console, office on Sun 2026-12-27 10:00 CET; office deferred to Mon 09:00 CET"},
	} {
		t.Run(tc.id, func(t *testing.T) {
			got := cols[tc.id]
			plan := f.planFirst(tc.id)
			switch {
			case tc.stage == "" && plan != nil:
				t.Fatalf("plan shows %s %v at %s first; the case expects none", plan.Stage, plan.Channels, plan.At)
			case tc.stage != "" && plan == nil:
				t.Fatalf("plan shows nothing; the case expects %s", tc.stage)
			case plan != nil:
				// The column is plan's first row: its stage, channels and moment.
				head := fmt.Sprintf("%s reminder to %s on %s", plan.Stage, strings.Join(plan.Channels, ", "), plan.At.Format("Mon 2006-01-02 15:04 MST"))
				if plan.Stage != tc.stage || !strings.HasPrefix(got, head) {
					t.Errorf("the column says %q; plan's first row is %q", got, head)
				}
				for _, d := range plan.Deferred {
					if !strings.Contains(got, d.String()) {
						t.Errorf("the column says %q, not plan's %q", got, d.String())
					}
				}
			}
			if got != tc.want {
				t.Errorf("the column says\n%q, want\n%q", got, tc.want)
			}
			a := byID[tc.id]
			if a.Next.Text != got {
				t.Errorf("the API's list says %q, the page %q", a.Next.Text, got)
			}
			if plan != nil && (a.Next.At == nil || !a.Next.At.Equal(plan.At) || a.Next.Stage != plan.Stage || !slices.Equal(a.Next.Channels, plan.Channels)) {
				t.Errorf("the API's next is %+v; plan's first row %s %v at %s", a.Next, plan.Stage, plan.Channels, plan.At)
			}
			var one web.APICredentialDetail
			f.get(readerToken, "/api/v1/credentials/"+tc.id, &one)
			if one.Credential.Next.Text != got {
				t.Errorf("the API's credential says %q, the page %q", one.Credential.Next.Text, got)
			}
			if plan != nil && (len(one.Plan) == 0 || !one.Plan[0].At.Equal(*one.Credential.Next.At) || one.Plan[0].Stage != one.Credential.Next.Stage) {
				t.Errorf("the API's credential: next %+v, its own plan's first row %+v", one.Credential.Next, one.Plan)
			}
			_, page := f.do(f.client(), "GET", "/credentials/"+tc.id, nil, http.Header{"X-Forwarded-User": {"carol"}})
			if m := nextDDRE.FindStringSubmatch(page); m == nil || html.UnescapeString(m[1]) != got {
				t.Errorf("the credential page's Next: %q, the fleet page %q", m, got)
			}
		})
	}
	// No secret of a hook reaches the page or the API.
	_, page := f.do(f.client(), "GET", "/", nil, http.Header{"X-Forwarded-User": {"carol"}})
	raw, _ := json.Marshal(list)
	for _, secret := range []string{"team-a-key", "own-key"} {
		if strings.Contains(page, secret) || strings.Contains(string(raw), secret) {
			t.Errorf("the owner's hook %q is shown", secret)
		}
	}
}

// sendsTo says whether credential c's plan may send to channel ch: a
// stage or an escalation of its policy names it, read from the config.
func sendsTo(cfg *config.Config, c nextCred, ch string) bool {
	for _, st := range cfg.Policies[c.policy].Stages {
		if slices.Contains(st.Channels, ch) {
			return true
		}
		for _, x := range st.Escalate {
			if slices.Contains(x.Channels, ch) {
				return true
			}
		}
	}
	return false
}

// TestFleetChannelFilter: channel=NAME lists exactly the credentials
// whose policy's ladder sends to the channel (an escalation's too; a
// channel that routes by owner for every owner), alone and with the
// owner and state filters, on the page and in the API alike; a channel
// not configured is refused in one line.
func TestFleetChannelFilter(t *testing.T) {
	f := newNextFixture(t)
	state := map[string]string{}
	var all web.APIPage
	f.get(readerToken, "/api/v1/credentials?limit=500", &all)
	for _, c := range all.Credentials {
		state[c.ID] = c.State
	}
	for _, tc := range []struct {
		channel, owner, state string
		n                     int // how many match: the case means something
	}{
		{"console", "", "", 12},
		{"office", "", "", 8},
		{"owners", "", "", 4},
		{"pager", "", "", 4}, // only an escalation sends there
		{"office", "team-a", "", 3},
		{"owners", "team-b", "ok", 2},
		{"office", "", "overdue", 2},
		{"pager", "team-a", "due", 1},
	} {
		q := "channel=" + tc.channel
		if tc.owner != "" {
			q += "&owner=" + tc.owner
		}
		if tc.state != "" {
			q += "&state=" + tc.state
		}
		want := []string{}
		for _, c := range nextCreds {
			if sendsTo(f.cfg, c, tc.channel) && (tc.owner == "" || c.owner == tc.owner) && (tc.state == "" || state[c.id] == tc.state) {
				want = append(want, c.id)
			}
		}
		slices.Sort(want)
		page, _ := f.fleetNext(q)
		var api web.APIPage
		f.get(readerToken, "/api/v1/credentials?limit=500&"+q, &api)
		got := []string{}
		for _, c := range api.Credentials {
			got = append(got, c.ID)
		}
		if !equal(page, want) || !equal(got, want) || len(want) != tc.n {
			t.Errorf("%s: the page lists %v, the API %v; want the %d whose plan sends there: %v", q, page, got, tc.n, want)
		}
	}
	resp, body := f.do(f.client(), "GET", "/?channel=nowhere", nil, http.Header{"X-Forwarded-User": {"carol"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "channel &#34;nowhere&#34; is not a configured channel") {
		t.Errorf("channel=nowhere: %d, want 400 naming the channel: %s", resp.StatusCode, body)
	}
	code, b := f.call(f.client(), readerToken, "GET", "/api/v1/credentials?channel=nowhere", "")
	if code != http.StatusBadRequest || !strings.Contains(string(b), `"bad_request"`) || !strings.Contains(string(b), `channel: channel \"nowhere\" is not a configured channel`) {
		t.Errorf("API channel=nowhere: %d %s", code, b)
	}
}
