package web_test

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/web"
)

// events is the history of one credential (every type, or typ).
func (f *fixture) events(id, typ string) []domain.Event {
	f.t.Helper()
	evs, err := f.store.History(context.Background(), domain.HistoryFilter{CredentialID: id, Type: typ})
	if err != nil {
		f.t.Fatal(err)
	}
	return evs
}

// page is GET path by c, with its CSRF token.
func (f *fixture) page(c *http.Client, path string) (int, string, string) {
	f.t.Helper()
	resp, body := f.do(c, "GET", path, nil, nil)
	token := ""
	if m := csrfRE.FindStringSubmatch(body); m != nil {
		token = m[1]
	}
	return resp.StatusCode, body, token
}

var (
	timelineRowRE = regexp.MustCompile(`<tr class="ev-([a-z]+)">`)
	errorRE       = regexp.MustCompile(`id="error">([^<]*)</p>`)
)

func TestCredentialPageShowsCycleplanAndTimeline(t *testing.T) {
	f := newFixture(t, "10.9.9.9/32")
	bob := f.client()
	f.login(bob, "bob", bobPassword)
	_, fleet, _ := f.page(bob, "/")
	if !strings.Contains(fleet, `<a href="/credentials/svc-001"><span class="id">svc-001</span></a>`) {
		t.Fatalf("the fleet's rows do not link to their credential's page")
	}
	// svc-001: rotated 170 days ago, 180 days' period: 10 days and an hour left, its
	// 30d stage active; the plan sends it at the next tick.
	code, body, _ := f.page(bob, "/credentials/svc-001")
	if code != http.StatusOK {
		t.Fatalf("GET /credentials/svc-001: %d", code)
	}
	for _, want := range []string{
		`<span id="cred-id">svc-001</span>`,
		`<dd id="name">Service 1</dd>`,
		`<span class="badge due" id="state">due</span>`,
		`<dd id="deadline">Wed 2026-12-30 11:00 CET <span class="rel">(in 11 days)</span></dd>`,
		`<dd id="days">11</dd>`,
		`<dd id="ack">no</dd>`,
		`<dd id="rotation">Fri 2026-07-03 11:00 CEST (config)</dd>`,
		`<td data-label="When">Sun 2026-12-20 10:00 CET</td>`, // the 30d stage, due now
		`<td data-label="Channels">console</td>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if got := timelineRowRE.FindAllStringSubmatch(body, -1); len(got) != 2 || got[0][1] != "credential" || got[1][1] != "rotation" {
		t.Errorf("timeline: %v, want the credential's sync, then the config's rotation", got)
	}
	if strings.Contains(body, `id="ack-form"`) || strings.Contains(body, `id="rotate-form"`) {
		t.Errorf("a viewer is shown the action forms")
	}
	code, body, _ = f.page(bob, "/credentials/no-such")
	if code != http.StatusNotFound || !strings.Contains(body, "No such credential.") {
		t.Errorf("an unknown credential: %d", code)
	}
	if code, _, _ = f.page(bob, "/credentials/svc-*"); code != http.StatusNotFound {
		t.Errorf("a pattern as the id: %d, want 404", code)
	}
}

func TestCredentialActionsAreTheEnginesAndRefusedTheSameWay(t *testing.T) {
	f := newFixture(t, "10.9.9.9/32")
	alice := f.client()
	f.login(alice, "alice", alicePassword)
	_, body, token := f.page(alice, "/credentials/svc-001")
	if !strings.Contains(body, `id="ack-form"`) || !strings.Contains(body, `id="rotate-form"`) {
		t.Fatalf("a responder is not shown the action forms")
	}
	post := func(path string, form url.Values) (*http.Response, string) {
		t.Helper()
		form.Set("csrf", token)
		return f.do(alice, "POST", path, form, nil)
	}
	// A refusal is the page again, with the engine's reason in one line.
	refused := func(what string, resp *http.Response, body, want string) {
		t.Helper()
		m := errorRE.FindStringSubmatch(body)
		if resp.StatusCode != http.StatusConflict || m == nil || !strings.HasPrefix(m[1], "Refused: ") || !strings.Contains(m[1], want) || strings.Contains(m[1], "\n") {
			t.Errorf("%s: %d %q, want 409 and one line with %q", what, resp.StatusCode, m, want)
		}
	}

	for _, tc := range []struct {
		name, path string
		form       url.Values
		done       string
		check      func()
	}{
		{"acknowledge with a note", "/credentials/svc-001/ack", url.Values{"note": {"on it"}}, "ack", func() {
			evs := f.events("svc-001", domain.EventAck)
			if len(evs) != 1 || evs[0].Actor != "alice" || evs[0].Status != "http" || evs[0].Detail != "acknowledged via http: on it" || !evs[0].Time.Equal(f.now) {
				t.Errorf("ack events: %+v", evs)
			}
		}},
		{"snooze for a week", "/credentials/svc-004/ack", url.Values{"snooze": {"1w"}, "note": {"after the freeze"}}, "snooze", func() {
			c, err := f.store.Cycle(t.Context(), "svc-004")
			if err != nil || c.AckBy != "alice" || !c.AckUntil.Equal(f.now.AddDate(0, 0, 7)) {
				t.Errorf("svc-004's cycle: %v until %v by %q, want a week", err, c.AckUntil, c.AckBy)
			}
		}},
		{"snooze until the next stage", "/credentials/svc-007/ack", url.Values{"snooze": {"next"}}, "snooze", func() {
			// svc-007 (standard: one stage, 30d): no stage comes after it.
		}},
		{"record a back-dated rotation", "/credentials/svc-002/rotate", url.Values{"note": {"new secret in the vault"}, "at": {"2026-12-19T15:30"}}, "rotation", func() {
			c, err := f.store.Cycle(t.Context(), "svc-002")
			want := time.Date(2026, 12, 19, 14, 30, 0, 0, time.UTC) // 15:30 in Berlin
			if err != nil || !c.Start.Equal(want) || c.Source != "http" {
				t.Errorf("svc-002's cycle: %v starts %v (%s), want %v from the console", err, c.Start, c.Source, want)
			}
			evs := f.events("svc-002", domain.EventRotation)
			if last := evs[len(evs)-1]; last.Actor != "alice" || !strings.Contains(last.Detail, "new secret in the vault") {
				t.Errorf("the rotation's event: %+v", last)
			}
		}},
	} {
		resp, body := post(tc.path, tc.form)
		if tc.name == "snooze until the next stage" {
			// The engine's refusal, as `notifier ack --next-stage` gives it.
			refused(tc.name, resp, body, "no stage comes after")
			if n := len(f.events("svc-007", domain.EventAck)); n != 0 {
				t.Errorf("%s: %d acknowledgments recorded", tc.name, n)
			}
			continue
		}
		id := strings.Split(tc.path, "/")[2]
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/credentials/"+id+"?done="+tc.done {
			t.Errorf("%s: %d to %q, want 303 to the credential's page", tc.name, resp.StatusCode, resp.Header.Get("Location"))
		}
		tc.check()
	}
	_, body, _ = f.page(alice, "/credentials/svc-001?done=ack")
	for _, want := range []string{`id="done">Acknowledged.</p>`, `<dd id="ack">by alice at Sun 2026-12-20 10:00 CET<br><span class="name">“on it”</span></dd>`,
		`<td data-label="Detail" class="detail">acknowledged via http: on it</td>`} {
		if !strings.Contains(body, want) {
			t.Errorf("svc-001's page after the ack lacks %s", want)
		}
	}
	_, body, _ = f.page(alice, "/credentials/svc-002")
	rows := timelineRowRE.FindAllStringSubmatch(body, -1)
	if !strings.Contains(body, `<dd id="rotation">Sat 2026-12-19 15:30 CET (http, by alice)</dd>`) || len(rows) != 3 || rows[1][1] != "rotation" ||
		!strings.Contains(body, `<td data-label="When">Tue 2027-05-18 15:30 CEST</td>`) {
		t.Errorf("svc-002's page after the rotation: %v, want its new cycle, its plan and the new rotation after the sync in the timeline", rows)
	}

	// Refused as the CLI is: acknowledged already, a rotation dated
	// ahead of the clock, one not newer than the latest; nothing written.
	resp, body := post("/credentials/svc-001/ack", url.Values{"note": {"again"}})
	refused("a second acknowledgment", resp, body, "nothing recorded")
	resp, body = post("/credentials/svc-002/rotate", url.Values{"at": {"2026-12-21T09:00"}})
	refused("a rotation in the future", resp, body, "in the future")
	resp, body = post("/credentials/svc-002/rotate", url.Values{"at": {"2026-12-19T15:30"}})
	refused("a rotation not newer than the latest", resp, body, "not newer")
	resp, body = post("/credentials/svc-002/rotate", url.Values{"at": {"yesterday-ish"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(errorRE.FindString(body), "rotated at: ") {
		t.Errorf("a bad time: %d %s", resp.StatusCode, errorRE.FindString(body))
	}
	resp, _ = post("/credentials/svc-003/ack", url.Values{"snooze": {"1y"}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a snooze not offered: %d, want 400", resp.StatusCode)
	}
	if n, m, k := len(f.events("svc-001", domain.EventAck)), len(f.events("svc-002", domain.EventRotation)), len(f.events("svc-003", domain.EventAck)); n != 1 || m != 2 || k != 0 {
		t.Errorf("after the refusals: %d acks of svc-001, %d rotations of svc-002, %d acks of svc-003; want 1, 2, 0", n, m, k)
	}
}

func TestCredentialActionsRefusedToAViewerWriteNothing(t *testing.T) {
	f := newFixture(t, "10.9.9.9/32")
	bob, alice := f.client(), f.client()
	f.login(bob, "bob", bobPassword)
	f.login(alice, "alice", alicePassword)
	_, _, bobToken := f.page(bob, "/credentials/svc-001")
	_, _, aliceToken := f.page(alice, "/credentials/svc-001")
	for _, tc := range []struct {
		name string
		c    *http.Client
		path string
		form url.Values
	}{
		{"a viewer's acknowledgment", bob, "/credentials/svc-001/ack", url.Values{"csrf": {bobToken}}},
		{"a viewer's snooze", bob, "/credentials/svc-001/ack", url.Values{"csrf": {bobToken}, "snooze": {"1d"}}},
		{"a viewer's rotation", bob, "/credentials/svc-001/rotate", url.Values{"csrf": {bobToken}}},
		{"a viewer with a responder's token", bob, "/credentials/svc-001/rotate", url.Values{"csrf": {aliceToken}}},
		{"a responder without the token", alice, "/credentials/svc-001/rotate", url.Values{"note": {"x"}}},
		{"a 1 MB note", alice, "/credentials/svc-001/ack", url.Values{"csrf": {aliceToken}, "note": {strings.Repeat("A", 1<<20)}}},
	} {
		resp, _ := f.do(tc.c, "POST", tc.path, tc.form, nil)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", tc.name, resp.StatusCode)
		}
		if a, r := len(f.events("svc-001", domain.EventAck)), len(f.events("svc-001", domain.EventRotation)); a != 0 || r != 1 {
			t.Fatalf("%s: %d acknowledgments, %d rotations; want 0 and 1", tc.name, a, r)
		}
	}
}

func TestCredentialPageShowsHostileNoteEscapedAndTruncated(t *testing.T) {
	f := newFixture(t, "10.9.9.9/32")
	// A 1 MB note with HTML, a script and a bidi override, as `notifier
	// ack --note` may record it (a form's body is capped at 64 KiB).
	note := "<script>alert(3)</script><b>x</b>\u202egnp.exe" + strings.Repeat("N", 1<<20)
	if err := f.eng.Acknowledge(t.Context(), engine.Ack{Credential: "zz-hostile", At: f.now, By: "<i>mallory</i>", Note: note, Source: "cli"}); err != nil {
		t.Fatal(err)
	}
	c := f.client()
	f.login(c, "bob", bobPassword)
	code, body, _ := f.page(c, "/credentials/zz-hostile")
	if code != http.StatusOK {
		t.Fatalf("GET: %d", code)
	}
	for _, bad := range []string{"<script>", "<b>", "<i>", "<img", "\u202e", strings.Repeat("N", 200), strings.Repeat("A", 200)} {
		if strings.Contains(body, bad) {
			t.Errorf("the page carries %q as it was written", bad[:min(len(bad), 20)])
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(3)&lt;/script&gt;", `\u202egnp.exe`, "&lt;i&gt;mallory&lt;/i&gt;", "NNN…", "&lt;img src=x onerror=alert(2)&gt;"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if len(body) > 64<<10 {
		t.Errorf("the page is %d bytes: the 1 MB note was not cut", len(body))
	}
}

func TestCredentialTimelinePagesThroughALongHistory(t *testing.T) {
	f := newFixture(t, "10.9.9.9/32")
	// 260 rotations half an hour apart after the config's.
	start := f.now.Add(-200 * time.Hour)
	for i := range 260 {
		if err := f.eng.Rotate(t.Context(), engine.Rotation{Credential: "svc-000", At: start.Add(time.Duration(i) * 30 * time.Minute), By: "ops", Source: "cli"}); err != nil {
			t.Fatal(err)
		}
	}
	all := f.events("svc-000", "")
	c := f.client()
	f.login(c, "bob", bobPassword)
	whenRE := regexp.MustCompile(`<tr class="ev-[a-z]+">\n<td data-label="When">([^<]*)</td>`)
	olderRE := regexp.MustCompile(`id="older" href="([^"]+)"`)
	var seen []string
	path := "/credentials/svc-000"
	for pages := 0; path != ""; pages++ {
		if pages > 3 {
			t.Fatal("more than 3 pages")
		}
		code, body, _ := f.page(c, path)
		rows := whenRE.FindAllStringSubmatch(body, -1)
		if code != http.StatusOK || len(rows) == 0 || len(rows) > web.TimelineSize {
			t.Fatalf("%s: %d, %d rows", path, code, len(rows))
		}
		for _, r := range rows {
			seen = append(seen, r[1])
		}
		path = ""
		if m := olderRE.FindStringSubmatch(body); m != nil {
			path = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	if len(seen) != len(all) {
		t.Fatalf("the pages showed %d events, the history has %d", len(seen), len(all))
	}
	loc := f.eng.Config().Location
	for i, e := range all { // newest first
		if want := e.Time.In(loc).Format("Mon 2006-01-02 15:04 MST"); seen[len(seen)-1-i] != want {
			t.Fatalf("event %d: shown at %s, want %s", i, seen[len(seen)-1-i], want)
		}
	}
}

func TestAuditReportHeadAndVerify(t *testing.T) {
	f := newFixture(t, "10.9.9.9/32")
	if err := f.eng.Acknowledge(t.Context(), engine.Ack{Credential: "svc-001", At: f.now, By: "alice", Source: "cli"}); err != nil {
		t.Fatal(err)
	}
	total := len(f.events("", ""))
	c := f.client()
	f.login(c, "bob", bobPassword)
	code, body, _ := f.page(c, "/audit?from=2026-01-01&until=2027-01-01")
	if code != http.StatusOK || !strings.Contains(body, `<dd id="head-id">`+itoa(total)+` (the head's event number)</dd>`) {
		t.Fatalf("/audit: %d; want the head at event %d", code, total)
	}
	for _, want := range []string{`href="/audit/report.csv?from=2026-01-01&amp;until=2027-01-01" download`, `href="/audit?from=2026-01-01&amp;until=2027-01-01&amp;verify=1"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/audit lacks %s", want)
		}
	}
	if code, body, _ = f.page(c, "/audit?from=2027-01-01&until=2026-01-01"); code != http.StatusBadRequest || !strings.Contains(body, "from is not before until") {
		t.Errorf("an empty period: %d", code)
	}

	// The report in each format, as `notifier report` renders it.
	resp, csvBody := f.do(c, "GET", "/audit/report.csv?from=2026-01-01&until=2027-01-01", nil, nil)
	rows, err := csv.NewReader(strings.NewReader(csvBody)).ReadAll()
	if resp.StatusCode != http.StatusOK || err != nil || resp.Header.Get("Content-Disposition") != `attachment; filename="notifier-report.csv"` || len(rows) != 122 || rows[0][0] != "credential" {
		t.Fatalf("report.csv: %d %v %q, %d rows (want a header and 121 cycles)", resp.StatusCode, err, resp.Header.Get("Content-Disposition"), len(rows))
	}
	resp, jsonBody := f.do(c, "GET", "/audit/report.json?from=2026-01-01&until=2027-01-01", nil, nil)
	var rep struct {
		Cycles []map[string]any `json:"cycles"`
	}
	if err := json.Unmarshal([]byte(jsonBody), &rep); resp.StatusCode != http.StatusOK || err != nil || len(rep.Cycles) != 121 || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") {
		t.Fatalf("report.json: %d %v, %d cycles", resp.StatusCode, err, len(rep.Cycles))
	}
	resp, html := f.do(c, "GET", "/audit/report.html?from=2026-01-01&until=2027-01-01", nil, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(html, "<table") || strings.Contains(html, "<script>") || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("report.html: %d", resp.StatusCode)
	}

	// Verify now: OK; shown again within a minute; a tampered row named
	// at the next walk.
	verified := regexp.MustCompile(`id="verify-result"[^>]*>([^\n]*)</p>`)
	_, body, _ = f.page(c, "/audit?verify=1")
	if m := verified.FindStringSubmatch(body); m == nil || !strings.HasPrefix(m[1], "OK: "+itoa(total)+" events verified") || strings.Contains(m[1], "the last walk") {
		t.Fatalf("verify: %q", m)
	}
	db, err := sql.Open("sqlite3", "file:"+f.store.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, st := range []string{`DROP TRIGGER IF EXISTS event_chain_no_update`, `DROP TRIGGER IF EXISTS events_no_update`, `UPDATE events SET detail = 'nothing happened' WHERE id = 3`} {
		if _, err := db.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	_, body, _ = f.page(c, "/audit?verify=1")
	if m := verified.FindStringSubmatch(body); m == nil || !strings.Contains(m[1], "(the last walk)") || !strings.HasPrefix(m[1], "OK: ") {
		t.Errorf("verify within a minute: %q, want the last walk's result", m)
	}
	f.mu.Lock()
	f.now = f.now.Add(web.VerifyEvery + time.Second)
	f.mu.Unlock()
	_, body, _ = f.page(c, "/audit?verify=1")
	if m := verified.FindStringSubmatch(body); m == nil || !strings.HasPrefix(m[1], "Does not verify: event 3: ") {
		t.Errorf("verify after the tampering: %q, want event 3 named", m)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
