package main

// Cycles keep their terms (issue 16): a cycle's deadline and policy are
// fixed when it starts, a config change moves only the open cycle's (as an
// event), and a report of a past period judges each cycle as of the
// period's end. Time moves through the test build's clock
// (NOTIFIER_TEST_NOW), never through `tick --at` a future moment.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/testutil/pgtest"
)

const termsConfig = `database: %s
timezone: %s
policies:
  standard:
    - {before: 30d, channels: [ops]}
    - {before: 7d, channels: [ops]}
    - {after: 0s, repeat: 72h, channels: [ops]}
  relaxed:
    - {before: 2d, channels: [ops]}
channels:
  ops: {type: webhook, url: "%s"}
credentials:
  - {id: alpha, name: Alpha, owner: ops, rotated_at: 2026-01-05T00:00:00Z, rotation_period: %s, policy: %s}
  - {id: beta, name: Beta, owner: ops, rotated_at: %s, rotation_period: %s, policy: %s}
  - {id: delta, name: Delta, owner: ops, rotated_at: 2026-03-01T00:00:00Z, rotation_period: %s, policy: %s}
`

// termsEnv is an env whose config the test writes with termsConfig, on
// the database given (SQLite file or PostgreSQL URL), run with environ
// plus the test clock.
type termsEnv struct {
	*env
	database string
	environ  []string
}

// config writes the config: the zone, beta's rotated_at, then each of
// alpha, beta, delta's rotation period and policy.
func (e termsEnv) config(zone, betaRotated string, periods [3]string, policy string) {
	e.t.Helper()
	e.writeConfig(fmt.Sprintf(termsConfig, e.database, zone, e.hook.srv.URL+"/hook",
		periods[0], policy, betaRotated, periods[1], policy, periods[2], policy))
}

// at runs the binary with its wall clock starting at now.
func (e termsEnv) at(now string, args ...string) string {
	e.t.Helper()
	out, errs, code := e.runWithEnv(append(append([]string{}, e.environ...), "NOTIFIER_TEST_NOW="+now), args...)
	if code != 0 {
		e.t.Fatalf("NOTIFIER_TEST_NOW=%s notifier %v: exit %d\nstdout: %s\nstderr: %s", now, args, code, out, errs)
	}
	return out
}

// liveAYear lives 2026 through the binary: ticks across the year, a late
// rotation entered by the CLI, an on-time one, one from the config, and
// a credential never rotated.
func liveAYear(e termsEnv) {
	e.t.Helper()
	periods := [3]string{"90d", "180d", "180d"}
	e.config("UTC", "2026-02-01T00:00:00Z", periods, "standard")
	for _, now := range []string{"2026-03-10T09:00:00Z", "2026-03-30T09:00:00Z", "2026-04-08T09:00:00Z"} {
		e.at(now, "tick")
	}
	// alpha was due 2026-04-05: rotated five days late, entered two days
	// after that.
	e.at("2026-04-12T09:00:00Z", "rotate", "alpha", "--at", "2026-04-10T00:00:00Z", "--by", "alice")
	e.at("2026-06-05T09:00:00Z", "tick")
	e.at("2026-07-01T09:00:00Z", "rotate", "alpha", "--by", "bob") // on time: due 2026-07-09
	// beta (due 2026-07-31) rotated through the config on 07-20.
	e.config("UTC", "2026-07-20T00:00:00Z", periods, "standard")
	for _, now := range []string{"2026-07-20T09:00:00Z", "2026-08-30T09:00:00Z", "2026-09-15T09:00:00Z", "2026-12-20T09:00:00Z"} {
		e.at(now, "tick")
	}
	if got := len(e.hook.take()); got == 0 {
		e.t.Fatal("a year of ticks sent no reminder")
	}
}

// termsReports are the reports of 2026, every format, judged on
// 2027-01-05 (a view may be of any moment; the clock is the same).
func termsReports(e termsEnv) map[string]string {
	e.t.Helper()
	out := map[string]string{}
	for _, format := range []string{"table", "json", "csv", "html"} {
		out[format] = e.at("2027-01-05T00:00:00Z", "report", "--until", "2027-01-01T00:00:00Z", "--at", "2027-01-05T00:00:00Z", "--format", format)
	}
	return out
}

// closedCycles is audit_cycles' lines of closed cycles.
func closedCycles(t *testing.T, driver, dsn string) string {
	t.Helper()
	var b strings.Builder
	for line := range strings.SplitSeq(auditCycles(t, driver, dsn), "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[4] != "<nil>" {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

func testTermsOfAYear(t *testing.T, e termsEnv, driver, dsn string) {
	liveAYear(e)
	before := termsReports(e)
	closedBefore := closedCycles(t, driver, dsn)
	if n := strings.Count(closedBefore, "\n"); n != 3 {
		t.Fatalf("closed cycles in audit_cycles: %d, want 3 (alpha twice, beta once):\n%s", n, closedBefore)
	}
	if !strings.Contains(closedBefore, " alpha 2026-01-05T00:00:00Z 2026-04-05T00:00:00Z 2026-04-10T00:00:00Z late 5 ") {
		t.Fatalf("alpha's first cycle in audit_cycles, want late 5 days:\n%s", closedBefore)
	}

	// Every credential's period and policy, and the zone, change.
	e.config("Pacific/Auckland", "2026-07-20T00:00:00Z", [3]string{"30d", "400d", "45d"}, "relaxed")
	e.at("2027-01-06T09:00:00Z", "tick")

	after := termsReports(e)
	for format, b := range before {
		if after[format] != b {
			t.Errorf("report --until 2027-01-01 --format %s changed after the config changed: %s", format, firstDiff(b, after[format]))
		}
	}
	if got := closedCycles(t, driver, dsn); got != closedBefore {
		t.Errorf("closed cycles in audit_cycles changed after the config changed:\nbefore:\n%s\nafter:\n%s", closedBefore, got)
	}
	// The open cycles moved, each as an event with the old and new values
	// and the source: first the zone (synced first), then the period and
	// policy. Beta's deadline was 2027-01-16, 180 days after 07-20.
	var beta []string
	n := 0
	var events []historyJSON
	if err := json.Unmarshal([]byte(e.at("2027-01-06T09:00:00Z", "history", "--format", "json", "--type", "deadline")), &events); err != nil {
		t.Fatal(err)
	}
	for _, h := range events {
		n++
		if h.Credential == "beta" {
			beta = append(beta, h.Detail)
		}
	}
	want := []string{
		"deadline 2027-01-16T00:00:00Z → 2027-01-15T23:00:00Z, zone UTC → Pacific/Auckland (config)",
		"deadline 2027-01-15T23:00:00Z → 2027-08-24T00:00:00Z, policy standard → relaxed, rotation_period 180d → 400d (config)",
	}
	if n != 6 || strings.Join(beta, "\n") != strings.Join(want, "\n") {
		t.Errorf("%d deadline events, beta's:\n%s\nwant 6 (two for each open cycle), beta's:\n%s", n, strings.Join(beta, "\n"), strings.Join(want, "\n"))
	}
}

// TestTermsAYearLaterAReportIsUnchanged: the "done when": a year
// of history, then every credential's rotation period and policy and the
// config's time zone change; the report of that year is byte for byte the
// same, and so are the closed cycles in audit_cycles.
func TestTermsAYearLaterAReportIsUnchanged(t *testing.T) {
	e := termsEnv{env: newEnv(t, "2026-01-05T00:00:00Z"), database: "notifier.db"}
	testTermsOfAYear(t, e, "sqlite3", "file:"+filepath.Join(e.dir, "notifier.db")+"?mode=ro")
}

// TestTermsAYearLaterAReportIsUnchangedPostgres is the same on PostgreSQL.
func TestTermsAYearLaterAReportIsUnchangedPostgres(t *testing.T) {
	withEnv, url := pgDatabase(t)
	e := termsEnv{env: newEnv(t, "2026-01-05T00:00:00Z"), database: withEnv, environ: append(os.Environ(), pgPasswordEnv+"="+pgtest.Password)}
	testTermsOfAYear(t, e, "pgx", url)
}

// TestTermsReportJudgesAPeriodAtItsEnd: `report --until 2026-07-06` for a
// cycle due 2026-08-28 says it was open then, not overdue judged at today.
func TestTermsReportJudgesAPeriodAtItsEnd(t *testing.T) {
	e := termsEnv{env: newEnv(t, "2026-01-05T00:00:00Z"), database: "notifier.db"}
	e.config("UTC", "2026-02-01T00:00:00Z", [3]string{"90d", "180d", "180d"}, "standard")
	e.at("2026-12-06T09:00:00Z", "tick")
	out := e.at("2026-12-06T09:00:00Z", "report", "--credential", "delta", "--until", "2026-07-06T00:00:00Z", "--format", "json")
	var rep struct {
		Cycles []struct {
			Deadline string `json:"deadline"`
			Outcome  string `json:"outcome"`
			DaysLate int    `json:"days_late"`
		} `json:"cycles"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report json: %v\n%s", err, out)
	}
	if len(rep.Cycles) != 1 || rep.Cycles[0].Deadline != "2026-08-28T00:00:00Z" || rep.Cycles[0].Outcome != "open" || rep.Cycles[0].DaysLate != 0 {
		t.Errorf("delta until 2026-07-06: %+v; want one cycle due 2026-08-28T00:00:00Z, open, 0 days late", rep.Cycles)
	}
}

// firstDiff names the first line where a and b differ.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(la), len(lb)) {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n  before: %s\n  after:  %s", i+1, x, y)
		}
	}
	return "no line differs"
}
