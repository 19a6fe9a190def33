package main

// The compliance report end to end: a history seeded through the real
// binary (ticks, a failing webhook, acknowledgments, rotations, all with
// --at), then the report checked row by row in every format, the HTML in
// headless Chromium, and the audit views against the report.

import (
	"bytes"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/notifier-dev/notifier/internal/report"
	"github.com/notifier-dev/notifier/internal/testutil/browser"
)

const auditConfig = `database: notifier.db
timezone: UTC
policies:
  standard: &ladder
    - {before: 30d, channels: [ops]}
    - {before: 7d,  channels: [ops]}
    - {before: 24h, channels: [ops]}
    - {after: 0s, repeat: 24h, channels: [ops]}
  flaky:
    - {before: 30d, channels: [flaky]}
    - {before: 7d,  channels: [flaky]}
    - {before: 24h, channels: [flaky]}
    - {after: 0s, repeat: 24h, channels: [flaky]}
channels:
  ops: {type: webhook, url: "%s"}
  flaky: {type: webhook, url: "%s"}
credentials:
  - {id: a-ontime, name: "A (rotated on time)", owner: team-a, rotated_at: 2026-01-01}
  - {id: b-late, name: "B (rotated late)", owner: team-b, rotated_at: 2026-01-01}
  - {id: c-silent, name: "C (never acknowledged, flaky channel)", owner: team-c, rotated_at: 2026-01-01, policy: flaky}
  - {id: d-fresh, name: "D (recent)", owner: team-d, rotated_at: 2026-05-01}
`

// seedAudit builds the history every report test reads:
//   - a-ontime: 30d reminder, acknowledged by alice, rotated by bob before
//     the deadline (2026-06-30); its second cycle is open.
//   - b-late: every stage up to two overdue alarms, acknowledged by dave
//     after the deadline, rotated by carol 3.5 days late (3 whole days: days_late 3); second cycle open.
//   - c-silent: its channel answers 503 twice for the 30d reminder and
//     once for the 7d one, which is superseded six days later by the 24h
//     reminder; never acknowledged, never rotated: overdue.
//   - d-fresh: rotated 2026-05-01; nothing due yet.
func seedAudit(t *testing.T) *env {
	e := newEnv(t, "2026-01-01")
	flaky := newHook(t)
	e.writeConfig(fmt.Sprintf(auditConfig, e.hook.srv.URL+"/hook", flaky.srv.URL+"/flaky"))
	flaky.answer(http.StatusServiceUnavailable)
	e.tick("2026-06-01T00:00:00Z")
	flaky.answer(http.StatusServiceUnavailable)
	e.tick("2026-06-01T00:01:00Z")
	e.tick("2026-06-01T00:03:00Z")
	e.ok("ack", "a-ontime", "--at", "2026-06-02T10:00:00Z", "--by", "alice")
	e.ok("rotate", "a-ontime", "--at", "2026-06-10T09:00:00Z", "--by", "bob")
	flaky.answer(http.StatusServiceUnavailable)
	e.tick("2026-06-23T00:00:00Z")
	e.tick("2026-06-29T06:00:00Z")
	e.tick("2026-06-30T01:00:00Z")
	e.tick("2026-07-01T02:00:00Z")
	e.ok("ack", "b-late", "--at", "2026-07-01T03:00:00Z", "--by", "dave")
	e.ok("rotate", "b-late", "--at", "2026-07-03T12:00:00Z", "--by", "carol")
	if got := len(flaky.take()); got != 4 {
		t.Fatalf("the flaky channel accepted %d reminders, want 4 (30d at the third attempt, 24h, overdue twice)", got)
	}
	return e
}

// The report's JSON, as a client decodes it: into the command's own row
// type, refusing any field it does not have; the exact keys are checked
// apart.
type reportDoc struct {
	Summary   map[string]int `json:"summary"`
	ChainHead *struct {
		Event int64  `json:"event"`
		Hash  string `json:"hash"`
	} `json:"chain_head"`
	Cycles []report.Cycle `json:"cycles"`
}

// verifiedHead is the head `notifier verify` prints, and the last event's
// id: what a report made now must name.
func (e *env) verifiedHead() (hash, event string) {
	e.t.Helper()
	out := e.ok("verify")
	m := regexp.MustCompile(`(?m)^rows: \d+ \(events \d+ to (\d+);.*\nhead: ([0-9a-f]{64})$`).FindStringSubmatch(out)
	if m == nil {
		e.t.Fatalf("verify printed no head:\n%s", out)
	}
	return m[2], m[1]
}

func strp(s string) *string { return &s }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func rem(at, stage, channel, status string) report.Reminder {
	return report.Reminder{Time: at, Stage: stage, Channel: channel, Status: status}
}

// wantCycles is the report at 2026-07-05T00:00:00Z, row by row.
func wantCycles() []report.Cycle {
	none := []report.Reminder{}
	noAcks := []report.Ack{}
	cycles := []report.Cycle{
		{Credential: "a-ontime", Name: "A (rotated on time)", Owner: "team-a", RotatedAt: "2026-01-01T00:00:00Z", Deadline: "2026-06-30T00:00:00Z",
			ClosedAt: strp("2026-06-10T09:00:00Z"), RotatedBy: strp("bob"), RotationSource: strp("cli"), Outcome: "on_time",
			Reminders:       []report.Reminder{rem("2026-06-01T00:00:00Z", "30d", "ops", "sent")},
			Acknowledgments: []report.Ack{{Time: "2026-06-02T10:00:00Z", Actor: "alice", Source: "cli"}}},
		{Credential: "a-ontime", Name: "A (rotated on time)", Owner: "team-a", RotatedAt: "2026-06-10T09:00:00Z", Deadline: "2026-12-07T09:00:00Z",
			Outcome: "open", Reminders: none, Acknowledgments: noAcks},
		{Credential: "b-late", Name: "B (rotated late)", Owner: "team-b", RotatedAt: "2026-01-01T00:00:00Z", Deadline: "2026-06-30T00:00:00Z",
			ClosedAt: strp("2026-07-03T12:00:00Z"), RotatedBy: strp("carol"), RotationSource: strp("cli"), Outcome: "late", DaysLate: 3,
			Reminders: []report.Reminder{
				rem("2026-06-01T00:00:00Z", "30d", "ops", "sent"),
				rem("2026-06-23T00:00:00Z", "7d", "ops", "sent"),
				rem("2026-06-29T06:00:00Z", "24h", "ops", "sent"),
				rem("2026-06-30T01:00:00Z", "overdue", "ops", "sent"),
				rem("2026-07-01T02:00:00Z", "overdue", "ops", "sent"),
			},
			Acknowledgments: []report.Ack{{Time: "2026-07-01T03:00:00Z", Actor: "dave", Source: "cli"}}},
		{Credential: "b-late", Name: "B (rotated late)", Owner: "team-b", RotatedAt: "2026-07-03T12:00:00Z", Deadline: "2026-12-30T12:00:00Z",
			Outcome: "open", Reminders: none, Acknowledgments: noAcks},
		{Credential: "c-silent", Name: "C (never acknowledged, flaky channel)", Owner: "team-c", RotatedAt: "2026-01-01T00:00:00Z",
			Deadline: "2026-06-30T00:00:00Z", Outcome: "overdue", DaysLate: 5,
			Reminders: []report.Reminder{
				rem("2026-06-01T00:00:00Z", "30d", "flaky", "retry"),
				rem("2026-06-01T00:01:00Z", "30d", "flaky", "retry"),
				rem("2026-06-01T00:03:00Z", "30d", "flaky", "sent"),
				rem("2026-06-23T00:00:00Z", "7d", "flaky", "retry"),
				rem("2026-06-29T06:00:00Z", "7d", "flaky", "superseded"),
				rem("2026-06-29T06:00:00Z", "24h", "flaky", "sent"),
				rem("2026-06-30T01:00:00Z", "overdue", "flaky", "sent"),
				rem("2026-07-01T02:00:00Z", "overdue", "flaky", "sent"),
			},
			Acknowledgments:    noAcks,
			LongestUndelivered: &report.Stretch{From: "2026-06-23T00:00:00Z", Until: "2026-06-29T06:00:00Z", Seconds: (6*24 + 6) * 3600}},
		{Credential: "d-fresh", Name: "D (recent)", Owner: "team-d", RotatedAt: "2026-05-01T00:00:00Z", Deadline: "2026-10-28T00:00:00Z",
			Outcome: "open", Reminders: none, Acknowledgments: noAcks},
	}
	for i := range cycles {
		cycles[i].Retractions = []report.Retraction{} // nothing was retracted
	}
	return cycles
}

func (e *env) reportJSON(args ...string) reportDoc {
	e.t.Helper()
	out := e.ok(append([]string{"report", "--format", "json"}, args...)...)
	var doc reportDoc
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		e.t.Fatalf("report json: %v\n%s", err, out)
	}
	return doc
}

const reportAt = "2026-07-05T00:00:00Z"

func TestEndToEndReport(t *testing.T) {
	e := seedAudit(t)
	wantSummary := map[string]int{"credentials": 4, "cycles": 6, "on_time": 1, "late": 1, "open": 3, "overdue": 1, "retractions": 0}
	head, headEvent := e.verifiedHead()
	// The records' recorded times are the wall clock's when the seed ran
	// (recorded_e2e_test.go pins them at a set clock): here the count of
	// back-dated records must match the cycles' flags (checked in json),
	// and every format shows that count and those flags.
	first := e.reportJSON("--at", reportAt)
	wantSummary["back_dated"] = first.Summary["back_dated"]
	flags, same := report.BackDatedRecords, report.Same

	t.Run("json", func(t *testing.T) {
		doc := e.reportJSON("--at", reportAt)
		if !reflect.DeepEqual(doc.Summary, wantSummary) {
			t.Errorf("summary %v, want %v", doc.Summary, wantSummary)
		}
		if doc.ChainHead == nil || doc.ChainHead.Hash != head || strconv.FormatInt(doc.ChainHead.Event, 10) != headEvent {
			t.Errorf("chain_head %+v, want event %s hash %s (as verify says)", doc.ChainHead, headEvent, head)
		}
		want := wantCycles()
		if len(doc.Cycles) != len(want) {
			t.Fatalf("%d cycles, want %d: %+v", len(doc.Cycles), len(want), doc.Cycles)
		}
		flagged := 0
		for i := range doc.Cycles {
			c := &doc.Cycles[i]
			if _, err := time.Parse(time.RFC3339, c.RecordedAt); err != nil {
				t.Errorf("cycle %d recorded_at %q: %v", i, c.RecordedAt, err)
			}
			if (c.ClosedAt == nil) != (c.ClosedRecordedAt == nil) {
				t.Errorf("cycle %d closed at %v, its rotation recorded at %v: want both or neither", i, c.ClosedAt, c.ClosedRecordedAt)
			}
			if f := flags(*c, same); f != "" {
				flagged += strings.Count(f, "; ") + 1
			}
			// The recorded times and flags are the clock's: pinned above
			// and in recorded_e2e_test.go; the rest exactly.
			c.RecordedAt, c.BackDated, c.ClosedRecordedAt, c.ClosedBackDated = "", nil, nil, nil
			for j := range c.Acknowledgments {
				if c.Acknowledgments[j].RecordedAt == nil {
					t.Errorf("cycle %d ack %d has no recorded_at", i, j)
				}
				c.Acknowledgments[j].RecordedAt, c.Acknowledgments[j].BackDated = nil, nil
			}
		}
		if flagged != doc.Summary["back_dated"] {
			t.Errorf("summary back_dated %d, but %d records of the cycles are flagged", doc.Summary["back_dated"], flagged)
		}
		for i := range want {
			if !reflect.DeepEqual(doc.Cycles[i], want[i]) {
				g, _ := json.MarshalIndent(doc.Cycles[i], "", " ")
				w, _ := json.MarshalIndent(want[i], "", " ")
				t.Errorf("cycle %d:\n got %s\nwant %s", i, g, w)
			}
		}
		// The exact keys, in every cycle: nothing more, nothing less.
		var raw struct{ Cycles []map[string]json.RawMessage }
		json.Unmarshal([]byte(e.ok("report", "--format", "json", "--at", reportAt)), &raw)
		keys := "acknowledgments back_dated closed_at closed_back_dated closed_recorded_at credential days_late deadline longest_undelivered name outcome " +
			"owner recorded_at reminders retractions rotated_at rotated_by rotation_source"
		for i, c := range raw.Cycles {
			var ks []string
			for k := range c {
				ks = append(ks, k)
			}
			slices.Sort(ks)
			if got := strings.Join(ks, " "); got != keys {
				t.Errorf("cycle %d keys %q, want %q", i, got, keys)
			}
		}
	})

	t.Run("filters", func(t *testing.T) {
		for _, tt := range []struct {
			args []string
			want []string // credential@rotated_at of the cycles
		}{
			{[]string{"--credential", "b-late"}, []string{"b-late@2026-01-01T00:00:00Z", "b-late@2026-07-03T12:00:00Z"}},
			// Cycles open at or after July 4th: the first cycles of a and b closed before.
			{[]string{"--since", "2026-07-04"}, []string{"a-ontime@2026-06-10T09:00:00Z", "b-late@2026-07-03T12:00:00Z", "c-silent@2026-01-01T00:00:00Z", "d-fresh@2026-05-01T00:00:00Z"}},
			// Cycles started before May: the first ones.
			{[]string{"--until", "2026-05-01"}, []string{"a-ontime@2026-01-01T00:00:00Z", "b-late@2026-01-01T00:00:00Z", "c-silent@2026-01-01T00:00:00Z"}},
			// A window touching a closed cycle's end only at its rotation excludes it.
			{[]string{"--since", "2026-07-03T12:00:00Z", "--until", "2026-07-03T12:00:01Z", "--credential", "b-late"}, []string{"b-late@2026-07-03T12:00:00Z"}},
			{[]string{"--since", "2026-07-03T11:59:59Z", "--until", "2026-07-03T12:00:00Z", "--credential", "b-late"}, []string{"b-late@2026-01-01T00:00:00Z"}},
		} {
			doc := e.reportJSON(append([]string{"--at", reportAt}, tt.args...)...)
			var got []string
			for _, c := range doc.Cycles {
				got = append(got, c.Credential+"@"+c.RotatedAt)
			}
			if !reflect.DeepEqual(got, tt.want) || doc.Summary["cycles"] != len(tt.want) {
				t.Errorf("%v: cycles %v (summary %v), want %v", tt.args, got, doc.Summary, tt.want)
			}
		}
	})

	t.Run("csv", func(t *testing.T) {
		out := e.ok("report", "--format", "csv", "--at", reportAt)
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatalf("csv: %v\n%s", err, out)
		}
		want := [][]string{
			report.ComplianceCSVColumns(),
			{"a-ontime", "A (rotated on time)", "team-a", "2026-01-01T00:00:00Z", "2026-06-30T00:00:00Z", "2026-06-10T09:00:00Z", "bob", "cli", "on_time", "0", "1", "0", "0", "ops", "1", "alice via cli at 2026-06-02T10:00:00Z", "", "", ""},
			{"a-ontime", "A (rotated on time)", "team-a", "2026-06-10T09:00:00Z", "2026-12-07T09:00:00Z", "", "", "", "open", "0", "0", "0", "0", "", "0", "", "", "", ""},
			{"b-late", "B (rotated late)", "team-b", "2026-01-01T00:00:00Z", "2026-06-30T00:00:00Z", "2026-07-03T12:00:00Z", "carol", "cli", "late", "3", "5", "0", "0", "ops", "1", "dave via cli at 2026-07-01T03:00:00Z", "", "", ""},
			{"b-late", "B (rotated late)", "team-b", "2026-07-03T12:00:00Z", "2026-12-30T12:00:00Z", "", "", "", "open", "0", "0", "0", "0", "", "0", "", "", "", ""},
			{"c-silent", "C (never acknowledged, flaky channel)", "team-c", "2026-01-01T00:00:00Z", "2026-06-30T00:00:00Z", "", "", "", "overdue", "5", "4", "3", "0", "flaky", "0", "", "2026-06-23T00:00:00Z", "2026-06-29T06:00:00Z", "540000"},
			{"d-fresh", "D (recent)", "team-d", "2026-05-01T00:00:00Z", "2026-10-28T00:00:00Z", "", "", "", "open", "0", "0", "0", "0", "", "0", "", "", "", ""},
		}
		if len(rows) != len(want) {
			t.Fatalf("%d csv rows, want %d:\n%s", len(rows), len(want), out)
		}
		// Then recorded_at, closed_recorded_at and back_dated, the
		// clock's, as the JSON has them; and retractions, none.
		for i, c := range first.Cycles {
			want[i+1] = append(want[i+1], c.RecordedAt, deref(c.ClosedRecordedAt), flags(c, same), "")
		}
		for i := range want {
			if !reflect.DeepEqual(rows[i], want[i]) {
				t.Errorf("csv row %d:\n got %q\nwant %q", i, rows[i], want[i])
			}
		}
	})

	t.Run("table", func(t *testing.T) {
		out := e.ok("report", "--at", reportAt)
		lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
		want := []string{
			"Compliance report at 2026-07-05 00:00 UTC: all cycles",
			"4 credentials, 6 cycles: 1 on time, 1 late, 3 open, 1 overdue; 0 retractions",
			fmt.Sprintf("Back-dated records: %d (rotations and acknowledgments recorded more than 1 hour after the fact; see BACK_DATED)", wantSummary["back_dated"]),
			"History chain head: event " + headEvent + ", " + head + " (notifier verify --expect-head " + head + " proves it is still in the chain)",
			"",
			"CREDENTIAL ROTATED_AT DEADLINE CLOSED_AT ROTATED_BY OUTCOME DAYS_LATE SENT FAILED TOLD ACKED_BY UNDELIVERED RECORDED_AT BACK_DATED RETRACTED",
			"a-ontime 2026-01-01 00:00 UTC 2026-06-30 00:00 UTC 2026-06-10 09:00 UTC bob on_time 0 1 0 ops alice -",
			"a-ontime 2026-06-10 09:00 UTC 2026-12-07 09:00 UTC - - open 0 0 0 - - -",
			"b-late 2026-01-01 00:00 UTC 2026-06-30 00:00 UTC 2026-07-03 12:00 UTC carol late 3 5 0 ops dave -",
			"b-late 2026-07-03 12:00 UTC 2026-12-30 12:00 UTC - - open 0 0 0 - - -",
			"c-silent 2026-01-01 00:00 UTC 2026-06-30 00:00 UTC - - overdue 5 4 3 flaky - 6d 6h 0m",
			"d-fresh 2026-05-01 00:00 UTC 2026-10-28 00:00 UTC - - open 0 0 0 - - -",
		}
		if len(lines) != len(want) {
			t.Fatalf("%d table lines, want %d:\n%s", len(lines), len(want), out)
		}
		// RECORDED_AT and BACK_DATED are the clock's: as the JSON has them.
		for i, c := range first.Cycles {
			f := flags(c, report.Reformat)
			if f == "" {
				f = "-"
			}
			want[len(want)-len(first.Cycles)+i] += " " + report.Reformat(c.RecordedAt) + " " + f + " -" // none retracted
		}
		for i := range want {
			if got := strings.Join(strings.Fields(lines[i]), " "); got != want[i] {
				t.Errorf("table line %d:\n got %q\nwant %q", i, got, want[i])
			}
		}
	})

	t.Run("html", func(t *testing.T) {
		out := e.ok("report", "--format", "html", "--at", reportAt)
		// Self-contained: no script, no external resource, no link at all.
		for _, bad := range []string{"<script", "<link", "<img", "<iframe", "src=", "href=", "http://", "https://", "@import", "url("} {
			if strings.Contains(strings.ToLower(out), bad) {
				t.Errorf("the HTML report contains %q", bad)
			}
		}
		if !strings.Contains(out, "@media print") {
			t.Error("the HTML report has no print style")
		}
		path := filepath.Join(t.TempDir(), "report.html")
		if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
			t.Fatal(err)
		}
		ctx := browser.New(t, time.Minute)
		if err := chromedp.Do(ctx, chromedp.Navigate("file://"+path)); err != nil {
			t.Fatal(err)
		}
		for key, n := range wantSummary {
			got, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("summary-"+key)))
			if err != nil {
				t.Fatalf("summary-%s: %v", key, err)
			}
			if got != strconv.Itoa(n) {
				t.Errorf("page summary %s = %q, want %d", key, got, n)
			}
		}
		if got, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("summary-chain_head"))); err != nil || got != "event "+headEvent+", "+head {
			t.Errorf("page chain head %q (%v), want event %s, %s", got, err, headEvent, head)
		}
		rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll('tr.cycle')).map(r => r.dataset.credential + ' ' + r.querySelector('.outcome').textContent)`))
		if err != nil {
			t.Fatal(err)
		}
		wantRows := []string{"a-ontime on_time", "a-ontime open", "b-late late (3 days late)", "b-late open", "c-silent overdue (5 days late)", "d-fresh open"}
		if !reflect.DeepEqual(rows, wantRows) {
			t.Errorf("page rows %q, want %q", rows, wantRows)
		}
		attempts, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll('tr.cycle[data-credential="c-silent"] li')).map(li => li.textContent)`))
		if err != nil {
			t.Fatal(err)
		}
		var wantAttempts []string
		for _, r := range wantCycles()[4].Reminders {
			wantAttempts = append(wantAttempts, report.Reformat(r.Time)+" "+r.Stage+" → "+r.Channel+": "+r.Status)
		}
		if !reflect.DeepEqual(attempts, wantAttempts) {
			t.Errorf("c-silent's attempts on the page:\n%q\nwant\n%q", attempts, wantAttempts)
		}
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(shot, []byte("\x89PNG")) {
			t.Errorf("screenshot is not a PNG")
		}
		browser.Artifact(t, "report.png", shot)
	})

	t.Run("views", func(t *testing.T) {
		// The views judge at the moment of the query; so does a report without --at.
		doc := e.reportJSON()
		db, err := sql.Open("sqlite3", "file:"+filepath.Join(e.dir, "notifier.db")+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rows, err := db.Query(`SELECT credential_id, rotated_at, deadline, COALESCE(closed_at, ''), COALESCE(rotated_by, ''), COALESCE(rotation_source, ''),
			outcome, days_late, reminders_sent, COALESCE(first_acked_by, '') FROM audit_cycles ORDER BY credential_id, rotated_at`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got, want []string
		for rows.Next() {
			var cred, start, deadline, closed, by, source, outcome, ackBy string
			var late, sent int
			if err := rows.Scan(&cred, &start, &deadline, &closed, &by, &source, &outcome, &late, &sent, &ackBy); err != nil {
				t.Fatal(err)
			}
			got = append(got, strings.Join([]string{cred, start, deadline, closed, by, source, outcome, strconv.Itoa(late), strconv.Itoa(sent), ackBy}, "|"))
		}
		for _, c := range doc.Cycles {
			sent, ackBy := 0, ""
			for _, r := range c.Reminders {
				if r.Status == "sent" {
					sent++
				}
			}
			if len(c.Acknowledgments) > 0 {
				ackBy = c.Acknowledgments[0].Actor
			}
			want = append(want, strings.Join([]string{c.Credential, c.RotatedAt, c.Deadline, strOf(c.ClosedAt), strOf(c.RotatedBy), strOf(c.RotationSource),
				c.Outcome, strconv.Itoa(c.DaysLate), strconv.Itoa(sent), ackBy}, "|"))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("audit_cycles:\n%s\nthe report says:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// Every reminder event of the report is in audit_events, and every
		// acknowledgment in audit_acknowledgments.
		var events, acks int
		db.QueryRow(`SELECT COUNT(*) FROM audit_events WHERE type = 'reminder' AND status != 'skipped'`).Scan(&events)
		db.QueryRow(`SELECT COUNT(*) FROM audit_acknowledgments`).Scan(&acks)
		wantEvents, wantAcks := 0, 0
		for _, c := range doc.Cycles {
			for _, r := range c.Reminders {
				if r.Status != "skipped" {
					wantEvents++
				}
			}
			wantAcks += len(c.Acknowledgments)
		}
		if events != wantEvents || acks != wantAcks || events == 0 {
			t.Errorf("audit_events has %d reminder events, audit_acknowledgments %d rows; the report %d and %d", events, acks, wantEvents, wantAcks)
		}
		// The view shows each row's chain hash: the last is verify's head.
		var lastID, lastHash string
		if err := db.QueryRow(`SELECT event_id, hash FROM audit_events ORDER BY event_id DESC LIMIT 1`).Scan(&lastID, &lastHash); err != nil {
			t.Fatal(err)
		}
		if lastID != headEvent || lastHash != head {
			t.Errorf("audit_events ends at event %s hash %q, want event %s hash %s (as verify says)", lastID, lastHash, headEvent, head)
		}
	})
}

// strOf is a report cell that may be null, as the report's table shows it
// ("" for null).
func strOf(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
