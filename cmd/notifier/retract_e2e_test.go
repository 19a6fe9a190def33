package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/testutil/pgtest"
)

// retractEnv is env on SQLite or PostgreSQL, every command run at a wall
// clock of the test's choosing (NOTIFIER_TEST_NOW): no --at in the future.
type retractEnv struct {
	*env
	db      string   // the config's database: line
	environ []string // the binary's environment, without the clock
}

func newRetractEnv(t *testing.T, postgres bool) *retractEnv {
	r := &retractEnv{env: newEnv(t, "2026-06-01"), db: "notifier.db", environ: os.Environ()}
	if postgres {
		r.db, _ = pgDatabase(t)
		r.environ = append(r.environ, pgPasswordEnv+"="+pgtest.Password)
	}
	r.rotatedAt("2026-06-01")
	return r
}

// rotatedAt writes the config with the credential's rotated_at.
func (r *retractEnv) rotatedAt(at string) {
	r.t.Helper()
	body := fmt.Sprintf(baseConfig, r.hook.srv.URL+"/hook", fmt.Sprintf(spAPI, at))
	body = strings.Replace(body, "database: notifier.db", "database: "+r.db, 1)
	if err := os.WriteFile(r.config, []byte(body), 0o600); err != nil {
		r.t.Fatal(err)
	}
}

// at runs the binary with its wall clock at now and returns stdout,
// stderr and the exit code.
func (r *retractEnv) at(now string, args ...string) (string, string, int) {
	r.t.Helper()
	return r.runWithEnv(append(r.environ, "NOTIFIER_TEST_NOW="+now), args...)
}

// okAt is at, failing the test unless the binary exits 0.
func (r *retractEnv) okAt(now string, args ...string) (string, string) {
	r.t.Helper()
	out, errs, code := r.at(now, args...)
	if code != 0 {
		r.t.Fatalf("notifier %v at %s: exit %d\nstdout: %s\nstderr: %s", args, now, code, out, errs)
	}
	return out, errs
}

func (r *retractEnv) statusAt(now string) statusRow {
	r.t.Helper()
	out, _ := r.okAt(now, "status", "--format", "json")
	var rows []statusRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 {
		r.t.Fatalf("status json (%v): %s", err, out)
	}
	return rows[0]
}

func (r *retractEnv) historyAt(now string, args ...string) []historyJSON {
	r.t.Helper()
	out, _ := r.okAt(now, append([]string{"history", "--format", "json"}, args...)...)
	var rows []historyJSON
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		r.t.Fatalf("history json: %v\n%s", err, out)
	}
	return rows
}

// TestEndToEndRetractMistakenRotation is issue 16's row 5: a secret due in
// 2 days; its rotated_at moved forward by mistake ("ok, 180 days"), then
// back (a warning naming the command that undoes it); the rotation is
// retracted: status says due in 2 days again, the acknowledgment and the
// stage already sent stand, and the next tick sends the stage now due.
func TestEndToEndRetractMistakenRotation(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) { testRetractMistakenRotation(t, backend == "postgres") })
	}
}

func testRetractMistakenRotation(t *testing.T, postgres bool) {
	e := newRetractEnv(t, postgres)
	// The deadline is 2026-11-28T00:00Z. Eight days before: the 30d stage.
	e.okAt("2026-11-20T09:00:00Z", "tick")
	want(t, e.hook.take(), "30d", 8)
	e.okAt("2026-11-20T10:00:00Z", "ack", "sp-api-prod", "--by", "bob")

	// The wrong credential's rotated_at moved forward by mistake.
	e.rotatedAt("2026-11-21T10:00:00Z")
	e.okAt("2026-11-21T11:00:00Z", "tick")
	want(t, e.hook.take())
	if st := e.statusAt("2026-11-21T11:00:00Z"); st.State != "ok" || st.DaysRemaining != 180 {
		t.Fatalf("status after the mistake: %s, %d days; want ok, 180", st.State, st.DaysRemaining)
	}
	rot := e.historyAt("2026-11-26T09:00:00Z", "--type", "rotation")
	if len(rot) != 2 {
		t.Fatalf("rotations: %+v", rot)
	}

	// Moved back: check and tick warn, naming the credential, both dates
	// and the command; the move back retracts nothing by itself.
	e.rotatedAt("2026-06-01")
	out, _ := e.okAt("2026-11-26T09:00:00Z", "check")
	cmdLine := `notifier retract rotation sp-api-prod --rotation 2 --reason "..."`
	wantWarning := "warning: sp-api-prod: rotated_at 2026-06-01T00:00:00Z in the config is before the rotation recorded from it at 2026-11-21T10:00:00Z"
	if !strings.Contains(out, wantWarning) || !strings.Contains(out, cmdLine) {
		t.Errorf("check does not warn with the dates and the command:\n%s", out)
	}
	_, errs := e.okAt("2026-11-26T09:00:00Z", "tick")
	if !strings.Contains(errs, "2026-11-21T10:00:00Z -> 2026-06-01T00:00:00Z") || !strings.Contains(errs, "sp-api-prod") ||
		!strings.Contains(errs, strings.ReplaceAll(cmdLine, `"`, `\"`)) {
		t.Errorf("tick does not warn with the dates and the command:\n%s", errs)
	}
	want(t, e.hook.take())
	if st := e.statusAt("2026-11-26T09:00:00Z"); st.State != "ok" {
		t.Fatalf("the config moving back retracted by itself: %+v", st)
	}

	// Refused, nothing written: no reason; an unknown id.
	before := len(e.historyAt("2026-11-26T09:01:00Z"))
	for _, args := range [][]string{
		{"retract", "rotation", "sp-api-prod"},
		{"retract", "rotation", "sp-api-prod", "--rotation", "99", "--reason", "typo", "--actor", "alice"},
	} {
		out, errs, code := e.at("2026-11-26T09:01:00Z", args...)
		if code != 1 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || out != "" {
			t.Errorf("notifier %v: exit %d, stdout %q, stderr %q; want exit 1 and one line", args, code, out, errs)
		}
	}
	if after := len(e.historyAt("2026-11-26T09:01:00Z")); after != before {
		t.Errorf("a refused retraction wrote %d events", after-before)
	}

	// The retraction: the common case is short. Entered a minute after
	// the fact (--at): it keeps both times.
	out, _ = e.okAt("2026-11-26T09:05:00Z", "retract", "rotation", "sp-api-prod", "--reason", "rotated the wrong credential", "--actor", "alice",
		"--at", "2026-11-26T09:04:00Z")
	if !strings.Contains(out, "sp-api-prod: rotation 2 at 2026-11-21T10:00:00Z retracted by alice") ||
		!strings.Contains(out, "deadline 2026-11-28T00:00:00Z (2 days)") {
		t.Errorf("retract said:\n%s", out)
	}
	st := e.statusAt("2026-11-26T09:06:00Z")
	if st.State != "due" || st.DaysRemaining != 2 || st.Deadline != "2026-11-28T00:00:00Z" || st.RotatedAt != "2026-06-01T00:00:00Z" ||
		st.AcknowledgedBy != "bob" {
		t.Errorf("status after the retraction: %+v; want due in 2 days, deadline 2026-11-28, acknowledged by bob", st)
	}
	// The config's older date no longer warns.
	if out, _ := e.okAt("2026-11-26T09:06:00Z", "check"); strings.Contains(out, "warning:") {
		t.Errorf("check still warns after the retraction:\n%s", out)
	}
	// The next tick sends the 7d stage, not the 30d one again.
	_, errs = e.okAt("2026-11-26T09:10:00Z", "tick")
	want(t, e.hook.take(), "7d", 2)
	if strings.Contains(errs, "backward") {
		t.Errorf("tick still warns after the retraction:\n%s", errs)
	}
	ret := e.historyAt("2026-11-26T09:10:00Z", "--type", "retraction")
	if len(ret) != 1 || ret[0].Actor != "alice" || ret[0].Time != "2026-11-26T09:04:00Z" ||
		!strings.Contains(ret[0].Detail, "rotated the wrong credential") {
		t.Errorf("retraction history: %+v", ret)
	}
	// The report shows it, who, when, why, what, in every format, and
	// counts it.
	var doc struct {
		Summary map[string]int
		Cycles  []struct {
			RotatedAt   string `json:"rotated_at"`
			Retractions []map[string]any
		}
	}
	out, _ = e.okAt("2026-11-26T09:12:00Z", "report", "--format", "json")
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("report json: %v\n%s", err, out)
	}
	if doc.Summary["retractions"] != 1 || len(doc.Cycles) != 1 || doc.Cycles[0].RotatedAt != "2026-06-01T00:00:00Z" || len(doc.Cycles[0].Retractions) != 1 {
		t.Fatalf("report: %s", out)
	}
	x := doc.Cycles[0].Retractions[0]
	if x["what"] != "rotation" || x["id"] != 2.0 || x["of"] != "2026-11-21T10:00:00Z" || x["time"] != "2026-11-26T09:04:00Z" || x["actor"] != "alice" ||
		x["reason"] != "rotated the wrong credential" || !strings.HasPrefix(x["recorded_at"].(string), "2026-11-26T09:05:0") {
		t.Errorf("report retraction: %v", x)
	}
	line := "rotation 2 of 2026-11-21T10:00:00Z retracted at 2026-11-26T09:04:00Z by alice (recorded 2026-11-26T09:05:0"
	for format, want := range map[string]string{
		"csv":   line,
		"table": "rotation 2 of 2026-11-21 10:00 UTC retracted at 2026-11-26 09:04 UTC by alice (recorded 2026-11-26 09:05 UTC): rotated the wrong credential",
		"html":  "rotation 2 of 2026-11-21 10:00 UTC retracted 2026-11-26 09:04 UTC by alice (recorded 2026-11-26 09:05 UTC): rotated the wrong credential",
	} {
		out, _ := e.okAt("2026-11-26T09:12:00Z", "report", "--format", format)
		if !strings.Contains(out, want) {
			t.Errorf("report --format %s does not show the retraction %q:\n%s", format, want, out)
		}
	}
	if out, _ := e.okAt("2026-11-26T09:12:00Z", "report"); !strings.Contains(out, "\n1 credentials, 1 cycles: 0 on time, 0 late, 1 open, 0 overdue; 1 retractions\n") {
		t.Errorf("report table summary does not count the retraction:\n%s", out)
	}

	if !postgres {
		// The audit views: the rotation stays, marked; it is no cycle.
		db, err := sql.Open("sqlite3", "file:"+filepath.Join(e.dir, "notifier.db")+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var marked, cycles int
		var reason string
		if err := db.QueryRow(`SELECT COUNT(*) FROM audit_rotations r JOIN audit_retractions x ON x.retraction_id = r.retraction_id
			WHERE r.rotation_id = 2 AND r.retracted_at = '2026-11-26T09:04:00Z' AND x.kind = 'rotation' AND x.actor = 'alice'`).Scan(&marked); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(`SELECT reason FROM audit_retractions WHERE target_id = 2`).Scan(&reason); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(`SELECT COUNT(*) FROM audit_cycles WHERE credential_id = 'sp-api-prod'`).Scan(&cycles); err != nil {
			t.Fatal(err)
		}
		if marked != 1 || reason != "rotated the wrong credential" || cycles != 1 {
			t.Errorf("audit views: %d rotation marked retracted, reason %q, %d cycles; want 1, the reason, 1", marked, reason, cycles)
		}
	}

	// Retracting it again: refused, one line.
	if _, errs, code := e.at("2026-11-26T09:11:00Z", "retract", "rotation", "sp-api-prod", "--rotation", "2", "--reason", "again", "--actor", "alice"); code != 1 ||
		!strings.Contains(errs, "already retracted") {
		t.Errorf("retracting twice: exit %d, %q", code, errs)
	}
}

// TestEndToEndRetractAck: a retracted acknowledgment leaves the cycle
// unacknowledged; the overdue repeats resume with one repeat, not a burst.
func TestEndToEndRetractAck(t *testing.T) {
	e := newRetractEnv(t, false)
	e.okAt("2026-11-28T01:00:00Z", "tick")
	want(t, e.hook.take(), "overdue", 0)
	e.okAt("2026-11-28T02:00:00Z", "ack", "sp-api-prod", "--by", "bob")
	e.okAt("2026-11-30T03:00:00Z", "tick")
	want(t, e.hook.take()) // acknowledged: no repeats
	out, _ := e.okAt("2026-11-30T04:00:00Z", "retract", "ack", "sp-api-prod", "--reason", "bob acknowledged the wrong reminder", "--actor", "alice")
	if !strings.Contains(out, "sp-api-prod: acknowledgment 1 of 2026-11-28T02:00:00Z retracted by alice") {
		t.Errorf("retract ack said:\n%s", out)
	}
	if st := e.statusAt("2026-11-30T04:00:00Z"); st.Acknowledged {
		t.Errorf("still acknowledged after the retraction: %+v", st)
	}
	e.okAt("2026-11-30T05:00:00Z", "tick")
	want(t, e.hook.take(), "overdue", -2) // one repeat, the latest
}
