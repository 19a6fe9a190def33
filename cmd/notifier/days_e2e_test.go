package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/report"
	"github.com/notifier-dev/notifier/internal/testutil/pgtest"
)

// daysEnv is retractEnv (SQLite or PostgreSQL, every command at a wall
// clock of the test's choosing) with the database's own address, to read
// the audit views.
type daysEnv struct {
	*retractEnv
	driver, dsn string
}

func newDaysEnv(t *testing.T, backend string) *daysEnv {
	r := &retractEnv{env: newEnv(t, "2026-06-01"), db: "notifier.db", environ: os.Environ()}
	d := &daysEnv{retractEnv: r, driver: "sqlite3", dsn: "file:" + filepath.Join(r.dir, "notifier.db") + "?mode=ro"}
	if backend == "postgres" {
		r.db, d.dsn = pgDatabase(t)
		r.environ = append(r.environ, pgPasswordEnv+"="+pgtest.Password)
		d.driver = "pgx"
	}
	r.rotatedAt("2026-06-01")
	return d
}

// reportAt is `report --format json` with the wall clock at now.
func (d *daysEnv) reportAt(now string, args ...string) []report.Cycle {
	d.t.Helper()
	out, _ := d.okAt(now, append([]string{"report", "--format", "json"}, args...)...)
	var doc reportDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		d.t.Fatalf("report json: %v\n%s", err, out)
	}
	return doc.Cycles
}

// TestEndToEndOneRuleForDays is issue 16's row 9 carried to the report and
// the audit views: an overdue credential's days late are the days status
// and the message count (minus the days remaining), while it is open and
// once it is rotated; a rotation within the first day after the deadline
// ("deadline reached") is late by 0 days.
func TestEndToEndOneRuleForDays(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			e := newDaysEnv(t, backend)
			// Due 2026-11-28T00:00Z; 8 days and 12 hours later.
			const now = "2026-12-06T12:00:00Z"
			e.okAt(now, "tick")
			got := e.hook.take()
			if len(got) == 0 || got[len(got)-1].Stage != "overdue" || got[len(got)-1].DaysOverdue != 8 || !strings.Contains(got[len(got)-1].Text, "overdue by 8 days") {
				t.Fatalf("the overdue message: %+v; want overdue by 8 days", got)
			}
			if st := e.statusAt(now); st.DaysRemaining != -8 {
				t.Errorf("status days_remaining %d, want -8", st.DaysRemaining)
			}
			if c := e.reportAt(now); len(c) != 1 || c[0].Outcome != "overdue" || c[0].DaysLate != 8 {
				t.Errorf("report while overdue: %+v; want overdue, 8 days late", c)
			}
			e.okAt(now, "rotate", "sp-api-prod", "--by", "carol")
			c := e.reportAt("2026-12-07T00:00:00Z")
			if len(c) != 2 || c[0].Outcome != "late" || c[0].DaysLate != 8 {
				t.Errorf("report after the rotation: %+v; want the first cycle late, 8 days", c)
			}
			if v := auditCycles(t, e.driver, e.dsn); !strings.Contains(v, " sp-api-prod 2026-06-01T00:00:00Z 2026-11-28T00:00:00Z 2026-12-06T12:00:00Z late 8 ") {
				t.Errorf("audit_cycles, want the first cycle late 8 days as the report says:\n%s", v)
			}

			// The next cycle is due 2027-06-04T12:00Z: rotated 2 hours
			// after it, on its "deadline reached" day, it is late by 0 days.
			e.okAt("2027-06-04T14:00:00Z", "rotate", "sp-api-prod", "--by", "dave")
			c = e.reportAt("2027-06-05T00:00:00Z")
			if len(c) != 3 || c[1].Deadline != "2027-06-04T12:00:00Z" || c[1].Outcome != "late" || c[1].DaysLate != 0 {
				t.Errorf("report of a rotation 2 hours late: %+v; want late, 0 days", c)
			}
			if v := auditCycles(t, e.driver, e.dsn); !strings.Contains(v, " 2027-06-04T12:00:00Z 2027-06-04T14:00:00Z late 0 ") {
				t.Errorf("audit_cycles, want the second cycle late 0 days as the report says:\n%s", v)
			}
		})
	}
}

// TestEndToEndReportUntilShowsACycleAsItWas: a cycle closed by a rotation
// dated after --until is shown as it was at the end of the period, open
// or overdue then, without its later closing rotation.
func TestEndToEndReportUntilShowsACycleAsItWas(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			e := newDaysEnv(t, backend)
			e.okAt("2026-11-20T09:00:00Z", "tick")
			e.okAt("2026-12-06T12:00:00Z", "rotate", "sp-api-prod", "--by", "carol")
			for _, tt := range []struct {
				until, outcome string
				late           int
			}{
				{"2026-12-01T00:00:00Z", "overdue", 3},
				{"2026-11-27T00:00:00Z", "open", 0},
			} {
				c := e.reportAt("2026-12-07T00:00:00Z", "--until", tt.until)
				if len(c) != 1 || c[0].Outcome != tt.outcome || c[0].DaysLate != tt.late || c[0].ClosedAt != nil || c[0].RotatedBy != nil || c[0].ClosedRecordedAt != nil {
					t.Errorf("report --until %s: %+v; want the first cycle only, %s, %d days late, not closed", tt.until, c, tt.outcome, tt.late)
				}
				// A view at an earlier moment (--at, no --until) is the same
				// as of that moment: the rotation had not happened yet, nor
				// its reminders.
				c = e.reportAt("2026-12-07T00:00:00Z", "--at", tt.until)
				if len(c) != 1 || c[0].Outcome != tt.outcome || c[0].DaysLate != tt.late || c[0].ClosedAt != nil || c[0].RotatedBy != nil || c[0].ClosedRecordedAt != nil {
					t.Errorf("report --at %s: %+v; want the first cycle only, %s, %d days late, not closed", tt.until, c, tt.outcome, tt.late)
				}
				for _, r := range c[0].Reminders {
					if r.Time >= tt.until {
						t.Errorf("report --at %s shows a reminder of %s, after that moment", tt.until, r.Time)
					}
				}
			}
		})
	}
}

// TestEndToEndAViewAtAnEarlierMomentUsesTheTermsThen: a config change of
// the period, recorded on 12-06, does not reach back: status and report
// at 12-01 judge the cycle by the terms in force then (180 days: deadline
// 11-28, 3 days overdue), as report --until does.
func TestEndToEndAViewAtAnEarlierMomentUsesTheTermsThen(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	e.okAt("2026-12-06T09:00:00Z", "tick")
	e.writeCreds(`  - {id: sp-api-prod, name: "SP-API production (LWA client secret)", owner: integrations, rotated_at: 2026-06-01, rotation_period: 400d}
`)
	e.okAt("2026-12-06T09:05:00Z", "tick")
	if s := e.status("2026-12-06T10:00:00Z")["sp-api-prod"]; s.Deadline != "2027-07-06T00:00:00Z" {
		t.Fatalf("status now: deadline %s; want the new terms' 2027-07-06", s.Deadline)
	}
	if s := e.status("2026-12-01T00:00:00Z")["sp-api-prod"]; s.Deadline != "2026-11-28T00:00:00Z" || s.DaysRemaining != -3 {
		t.Errorf("status --at 2026-12-01: deadline %s, %d days; want the terms then: 2026-11-28, -3", s.Deadline, s.DaysRemaining)
	}
	for _, args := range [][]string{{"--at", "2026-12-01T00:00:00Z"}, {"--until", "2026-12-01T00:00:00Z"}} {
		out := e.ok(append([]string{"report", "--format", "json"}, args...)...)
		var doc reportDoc
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("report json: %v\n%s", err, out)
		}
		if c := doc.Cycles; len(c) != 1 || c[0].Deadline != "2026-11-28T00:00:00Z" || c[0].Outcome != "overdue" || c[0].DaysLate != 3 {
			t.Errorf("report %v: %+v; want deadline 2026-11-28, overdue, 3 days", args, c)
		}
	}
}

// TestEndToEndRetractingTheFirstRotationIsInTheReport: the retraction of
// a credential's earliest rotation has no earlier cycle to belong to; it is
// shown with the cycle that follows, and counted.
func TestEndToEndRetractingTheFirstRotationIsInTheReport(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	e.okAt("2026-09-01T09:00:00Z", "tick")
	e.okAt("2026-09-02T09:00:00Z", "rotate", "sp-api-prod", "--at", "2026-09-02T08:00:00Z", "--by", "alice")
	e.okAt("2026-09-03T09:00:00Z", "retract", "rotation", "sp-api-prod", "--at-rotation", "2026-06-01T00:00:00Z", "--reason", "never happened", "--actor", "bob")
	out := e.okAt("2026-09-04T09:00:00Z", "report", "--format", "json")
	var doc reportDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("report json: %v\n%s", err, out)
	}
	n := 0
	for _, c := range doc.Cycles {
		for _, x := range c.Retractions {
			if x.What == "rotation" && x.Of == "2026-06-01T00:00:00Z" && x.Actor == "bob" && x.Reason == "never happened" {
				n++
			}
		}
	}
	if n != 1 || doc.Summary["retractions"] != 1 {
		t.Errorf("report: the retraction of the first rotation shown %d times, summary %d; want 1 and 1\n%s", n, doc.Summary["retractions"], out)
	}
}
