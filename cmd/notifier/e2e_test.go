package main

// End-to-end tests: they build the binary and drive it as a user would, with
// a config file, `notifier tick --at …`, and a local HTTP server that records
// what the webhook channel POSTs.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels/webhook"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/testutil/pgtest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "notifier-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "notifier")
	// The test build: its clock can start at NOTIFIER_TEST_NOW
	// (wallclock_testclock.go); the users' build has no such path.
	build := exec.Command("go", "build", "-tags", "notifier_testclock", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building notifier:", err)
		os.Exit(1)
	}
	code := m.Run()
	pgtest.StopShared() // the PostgreSQL cluster, if a test started one
	os.RemoveAll(dir)
	os.Exit(code)
}

// hook records webhook POSTs and answers with the next queued status (200
// when none is queued).
type hook struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	got      []webhook.Payload
	statuses []int
	onPost   func() // called after a successful POST is recorded
}

func newHook(t *testing.T) *hook {
	h := &hook{t: t}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p webhook.Payload
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		h.mu.Lock()
		status := http.StatusOK
		if len(h.statuses) > 0 {
			status, h.statuses = h.statuses[0], h.statuses[1:]
		}
		if status < 300 {
			h.got = append(h.got, p)
		}
		onPost := h.onPost
		h.mu.Unlock()
		w.WriteHeader(status)
		if onPost != nil && status < 300 {
			onPost()
		}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// take returns and forgets what arrived.
func (h *hook) take() []webhook.Payload {
	h.mu.Lock()
	defer h.mu.Unlock()
	got := h.got
	h.got = nil
	return got
}

func (h *hook) answer(statuses ...int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.statuses = append(h.statuses, statuses...)
}

// env is one user's working folder: a config and its database.
type env struct {
	t      *testing.T
	dir    string
	config string
	hook   *hook
}

const baseConfig = `database: notifier.db
timezone: UTC
policies:
  standard:
    - {before: 30d, channels: [ops]}
    - {before: 7d,  channels: [ops]}
    - {before: 24h, channels: [ops]}
    - {after: 0s, repeat: 24h, channels: [ops]}
channels:
  ops: {type: webhook, url: "%s"}
credentials:
%s`

const spAPI = `  - {id: sp-api-prod, name: "SP-API production (LWA client secret)", owner: integrations, rotated_at: %s}
`

func newEnv(t *testing.T, rotatedAt string) *env {
	e := &env{t: t, dir: t.TempDir(), hook: newHook(t)}
	e.config = filepath.Join(e.dir, "config.yaml")
	e.writeCreds(fmt.Sprintf(spAPI, rotatedAt))
	return e
}

func (e *env) writeCreds(creds string) {
	e.t.Helper()
	body := fmt.Sprintf(baseConfig, e.hook.srv.URL+"/hook", creds)
	if err := os.WriteFile(e.config, []byte(body), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// run runs the binary with this process's environment and returns stdout,
// stderr and the exit code.
func (e *env) run(args ...string) (string, string, int) {
	e.t.Helper()
	return e.runWithEnv(nil, args...)
}

// ok runs the binary and fails the test unless it exits 0.
func (e *env) ok(args ...string) string {
	e.t.Helper()
	out, errs, code := e.run(args...)
	if code != 0 {
		e.t.Fatalf("notifier %v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errs)
	}
	return out
}

// testNowEnv is the test build's clock (wallclock_testclock.go, which a
// test binary built without the tag does not compile).
const testNowEnv = "NOTIFIER_TEST_NOW"

// atTestClock moves the clock of a `tick --at T` (or `receive --at T`) to T: the process gets
// the test-only clock NOTIFIER_TEST_NOW=T (unless its environment already
// sets one), so that the tick acts at T as the real clock, where the
// binary refuses an --at after the wall clock. An --at that is no time
// is left to the binary to refuse. Every runner of the binary
// calls it, so that a test simulating a tick at any date needs no other
// change. A dry run needs none: any moment is allowed.
func atTestClock(cmd *exec.Cmd) {
	if !(slices.Contains(cmd.Args, "tick") || slices.Contains(cmd.Args, "receive")) || slices.Contains(cmd.Args, "--dry-run") {
		return
	}
	var at string
	for i, a := range cmd.Args {
		if a == "--at" && i+1 < len(cmd.Args) {
			at = cmd.Args[i+1]
		} else if v, ok := strings.CutPrefix(a, "--at="); ok {
			at = v
		}
	}
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	if _, err := config.ParseTime(at, time.UTC); err != nil {
		return // a bad --at: the binary's own error is what the test reads
	}
	if slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, testNowEnv+"=") }) {
		return
	}
	cmd.Env = append(slices.Clip(env), testNowEnv+"="+at)
}

// tick runs `notifier tick --at at` (at on the test clock, see
// atTestClock) and returns what the webhook received.
func (e *env) tick(at string) []webhook.Payload {
	e.t.Helper()
	e.ok("tick", "--at", at)
	return e.hook.take()
}

type historyJSON struct {
	Time, Type, Credential, Stage, Channel, Status, Actor, Detail string
	RecordedAt                                                    string `json:"recorded_at"`
}

func (e *env) history(args ...string) []historyJSON {
	e.t.Helper()
	out := e.ok(append([]string{"history", "--format", "json"}, args...)...)
	var rows []historyJSON
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		e.t.Fatalf("history json: %v\n%s", err, out)
	}
	return rows
}

type statusRow struct {
	ID, Name, Owner, Stage, State string
	RotatedAt                     string `json:"rotated_at"`
	Deadline                      string
	DaysRemaining                 int `json:"days_remaining"`
	Acknowledged                  bool
	AcknowledgedBy                string `json:"acknowledged_by"`
	FailedDeliveries              int    `json:"failed_deliveries"`
}

func (e *env) status(at string) map[string]statusRow {
	e.t.Helper()
	out := e.ok("status", "--at", at, "--format", "json")
	var rows []statusRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		e.t.Fatalf("status json: %v\n%s", err, out)
	}
	m := map[string]statusRow{}
	for _, r := range rows {
		m[r.ID] = r
	}
	return m
}

// want checks the stages and days remaining of what arrived.
func want(t *testing.T, got []webhook.Payload, stagesAndDays ...any) {
	t.Helper()
	if len(got) != len(stagesAndDays)/2 {
		t.Fatalf("got %d webhook calls %+v, want %d", len(got), got, len(stagesAndDays)/2)
	}
	for i := range got {
		stage, days := stagesAndDays[2*i].(string), stagesAndDays[2*i+1].(int)
		if got[i].Stage != stage || got[i].DaysRemaining != days {
			t.Errorf("call %d: stage %q, %d days remaining; want %q, %d", i, got[i].Stage, got[i].DaysRemaining, stage, days)
		}
	}
}

// The deadline of a credential rotated on 2026-06-01 is 2026-11-28 00:00 UTC.

func TestEndToEndThirtyDayNotice(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	want(t, e.tick("2026-10-28T23:00:00Z")) // 30d 1h before: nothing yet
	got := e.tick("2026-10-29T00:30:00Z")
	want(t, got, "30d", 30)
	p := got[0]
	if p.Credential != "sp-api-prod" || p.Name != "SP-API production (LWA client secret)" || p.Owner != "integrations" {
		t.Errorf("payload identity: %+v", p)
	}
	if p.Deadline != "2026-11-28T00:00:00Z" || p.Overdue || p.Acknowledged {
		t.Errorf("payload deadline/overdue/ack: %+v", p)
	}
	if !strings.Contains(p.Text, "30 days remaining") || !strings.Contains(p.Subject, "30 days remaining") {
		t.Errorf("text does not say 30 days remaining:\n%s\n%s", p.Subject, p.Text)
	}
	if !strings.Contains(p.Text, "notifier ack sp-api-prod") {
		t.Errorf("text does not say how to acknowledge:\n%s", p.Text)
	}
}

func TestEndToEndCatchUpSendsOnlyTheActiveStage(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	// First run three days before the deadline: the 30d stage was missed.
	want(t, e.tick("2026-11-25T00:00:00Z"), "7d", 3)
	skipped := e.history("--type", "reminder")
	var gotSkip bool
	for _, r := range skipped {
		if r.Stage == "30d" {
			gotSkip = r.Status == "skipped" && strings.Contains(r.Detail, "missed")
		}
	}
	if !gotSkip {
		t.Errorf("30d not recorded as skipped: %+v", skipped)
	}
	// Nothing is sent late afterwards.
	want(t, e.tick("2026-11-26T00:00:00Z"))
}

func TestEndToEndIdempotentTickAndRestart(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	want(t, e.tick("2026-11-21T00:00:00Z"), "7d", 7)
	// The same tick again, each a new process (a restart): nothing new.
	want(t, e.tick("2026-11-21T00:00:00Z"))
	want(t, e.tick("2026-11-21T00:05:00Z"))
	out := e.ok("tick", "--at", "2026-11-21T00:10:00Z")
	if !strings.Contains(out, "0 sent") {
		t.Errorf("tick output: %s", out)
	}
}

func TestEndToEndFinalNoticeAndOverdueRepeats(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	got := e.tick("2026-11-27T01:00:00Z")
	want(t, got, "24h", 1)
	if !strings.Contains(got[0].Text, "24-hour notice") {
		t.Errorf("final notice text: %s", got[0].Text)
	}
	got = e.tick("2026-11-28T01:00:00Z")
	want(t, got, "overdue", 0)
	// One rule for days (issue 16): an hour after the deadline is 0 days
	// remaining, so the deadline is reached, not yet a day overdue.
	if !got[0].Overdue || got[0].DaysOverdue != 0 || !strings.Contains(got[0].Text, "deadline reached") {
		t.Errorf("overdue payload: %+v", got[0])
	}
	want(t, e.tick("2026-11-28T23:00:00Z")) // within the 24h repeat
	got = e.tick("2026-11-29T00:00:00Z")    // +24h: first repeat
	want(t, got, "overdue", -1)
	if got[0].Seq != 1 || got[0].DaysOverdue != 1 || !strings.Contains(got[0].Text, "overdue by 1 day") {
		t.Errorf("repeat seq %d, %d days overdue, want 1, 1 (minus the days remaining): %s", got[0].Seq, got[0].DaysOverdue, got[0].Text)
	}
	// After three days of downtime only the latest repeat goes out.
	got = e.tick("2026-12-02T06:00:00Z")
	want(t, got, "overdue", -4)
	if got[0].Seq != 4 || got[0].DaysOverdue != 4 || !strings.Contains(got[0].Text, "overdue by 4 days") {
		t.Errorf("after downtime seq %d, %d days overdue, want 4 (no burst), 4 as status's -4: %s", got[0].Seq, got[0].DaysOverdue, got[0].Text)
	}
	st := e.status("2026-12-02T06:00:00Z")["sp-api-prod"]
	if st.State != "overdue" || st.Stage != "overdue" || st.DaysRemaining != -4 {
		t.Errorf("status: %+v", st)
	}
}

// A year earlier than the other tests: acknowledgments are refused when
// dated after the real clock, and this one acknowledges at the deadline.
// A cycle from 2025-06-01 ends on 2025-11-28 too.
func TestEndToEndAcknowledgmentStopsRepeats(t *testing.T) {
	e := newEnv(t, "2025-06-01")
	want(t, e.tick("2025-11-28T00:00:00Z"), "overdue", 0)
	out := e.ok("ack", "sp-api-prod", "--at", "2025-11-28T02:00:00Z", "--by", "alice", "--note", "rotating after lunch")
	if !strings.Contains(out, "acknowledged by alice") {
		t.Errorf("ack output: %s", out)
	}
	// A second ack records nothing and says who was first.
	out = e.ok("ack", "sp-api-prod", "--at", "2025-11-28T03:00:00Z", "--by", "bob")
	if !strings.Contains(out, "already acknowledged by alice") {
		t.Errorf("second ack output: %s", out)
	}
	want(t, e.tick("2025-11-29T00:00:00Z"))
	want(t, e.tick("2025-12-05T00:00:00Z"))
	acks := e.history("--type", "ack")
	if len(acks) != 1 || acks[0].Actor != "alice" || !strings.Contains(acks[0].Detail, "rotating after lunch") {
		t.Errorf("ack history: %+v", acks)
	}
	st := e.status("2025-12-05T00:00:00Z")["sp-api-prod"]
	if !st.Acknowledged || st.AcknowledgedBy != "alice" {
		t.Errorf("status after ack: %+v", st)
	}
}

func TestEndToEndMoreUrgentStageStillGoesOutAfterAck(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	want(t, e.tick("2026-10-29T00:00:00Z"), "30d", 30)
	e.ok("ack", "sp-api-prod", "--at", "2026-10-30T00:00:00Z", "--by", "alice")
	got := e.tick("2026-11-21T00:00:00Z")
	want(t, got, "7d", 7)
	if !got[0].Acknowledged || got[0].AcknowledgedBy != "alice" || !strings.Contains(got[0].Text, "Acknowledged by alice") {
		t.Errorf("later message does not show the acknowledgment: %+v", got[0])
	}
}

func TestEndToEndRotationViaConfig(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	want(t, e.tick("2026-11-28T01:00:00Z"), "overdue", 0)
	// The operator rotates and moves rotated_at forward in the YAML.
	e.writeCreds(fmt.Sprintf(spAPI, "2026-11-28T12:00:00Z"))
	want(t, e.tick("2026-11-29T06:00:00Z")) // no more overdue repeats
	st := e.status("2026-11-29T06:00:00Z")["sp-api-prod"]
	if st.RotatedAt != "2026-11-28T12:00:00Z" || st.Deadline != "2027-05-27T12:00:00Z" || st.State != "ok" {
		t.Errorf("status after config rotation: %+v", st)
	}
	rot := e.history("--type", "rotation")
	if len(rot) != 2 || rot[1].Status != "config" || rot[1].Time != "2026-11-28T12:00:00Z" {
		t.Errorf("rotation history: %+v", rot)
	}
	// Moving rotated_at backward is ignored with a warning in the history.
	e.writeCreds(fmt.Sprintf(spAPI, "2026-06-01"))
	want(t, e.tick("2026-11-30T00:00:00Z"))
	cfgEvents := e.history("--type", "config")
	if len(cfgEvents) != 1 || cfgEvents[0].Status != "ignored" || !strings.Contains(cfgEvents[0].Detail, "backward") {
		t.Errorf("backward move not recorded as ignored: %+v", cfgEvents)
	}
	if st := e.status("2026-11-30T00:00:00Z")["sp-api-prod"]; st.Deadline != "2027-05-27T12:00:00Z" {
		t.Errorf("deadline after backward move: %s", st.Deadline)
	}
}

func TestEndToEndRotationViaCLI(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	want(t, e.tick("2026-11-21T00:00:00Z"), "7d", 7)
	out := e.ok("rotate", "sp-api-prod", "--at", "2026-11-22T10:00:00Z", "--by", "bob", "--note", "new LWA secret")
	if !strings.Contains(out, "next deadline 2027-05-21T10:00:00Z") {
		t.Errorf("rotate output: %s", out)
	}
	want(t, e.tick("2026-11-28T01:00:00Z")) // the old deadline passes silently
	// Refused: a rotation not newer than the latest one; an unknown id.
	_, errs, code := e.run("rotate", "sp-api-prod", "--at", "2026-11-22T09:00:00Z", "--by", "bob")
	if code != 1 || !strings.Contains(errs, "not newer than the latest recorded rotation at 2026-11-22T10:00:00Z") {
		t.Errorf("older rotation: exit %d, stderr %q", code, errs)
	}
	_, errs, code = e.run("rotate", "nope", "--at", "2026-11-23T09:00:00Z", "--by", "bob")
	if code != 1 || !strings.Contains(errs, `unknown credential "nope"`) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Errorf("unknown credential: exit %d, stderr %q", code, errs)
	}
	_, errs, code = e.run("rotate", "sp-api-prod", "--at", "yesterday", "--by", "bob")
	if code != 1 || !strings.Contains(errs, `--at: "yesterday" is not a time`) {
		t.Errorf("bad --at: exit %d, stderr %q", code, errs)
	}
	rot := e.history("--type", "rotation", "--credential", "sp-api-prod")
	if len(rot) != 2 || rot[1].Status != "cli" || rot[1].Actor != "bob" || !strings.Contains(rot[1].Detail, "new LWA secret") {
		t.Errorf("rotation history: %+v", rot)
	}
}

func TestEndToEndDeliveryFailures(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	e.hook.answer(http.StatusServiceUnavailable)
	out := e.ok("tick", "--at", "2026-11-21T00:00:00Z")
	if !strings.Contains(out, "1 retrying") || !strings.Contains(out, "503") {
		t.Errorf("tick with a 503: %s", out)
	}
	want(t, e.hook.take())
	// Not yet: the first retry waits one minute.
	want(t, e.tick("2026-11-21T00:00:30Z"))
	want(t, e.tick("2026-11-21T00:01:00Z"), "7d", 7)

	// A 400 is permanent: failed at once, visible in status and history.
	e.hook.answer(http.StatusBadRequest)
	out = e.ok("tick", "--at", "2026-11-27T00:00:00Z")
	if !strings.Contains(out, "1 failed") {
		t.Errorf("tick with a 400: %s", out)
	}
	if st := e.status("2026-11-27T00:00:00Z")["sp-api-prod"]; st.FailedDeliveries != 1 {
		t.Errorf("status failed deliveries: %+v", st)
	}
	var statuses []string
	for _, r := range e.history("--type", "reminder") {
		statuses = append(statuses, r.Stage+":"+r.Status)
	}
	if got, wantS := strings.Join(statuses, " "), "30d:skipped 7d:retry 7d:sent 24h:failed"; got != wantS {
		t.Errorf("reminder history %q, want %q", got, wantS)
	}
}

func TestEndToEndRemovedCredentialBecomesInactive(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	e.writeCreds(fmt.Sprintf(spAPI, "2026-06-01") + `  - {id: other, name: Other, owner: ops, rotated_at: 2026-09-01}
`)
	e.tick("2026-10-01T00:00:00Z")
	e.writeCreds(`  - {id: other, name: Other, owner: ops, rotated_at: 2026-09-01}
`)
	want(t, e.tick("2026-11-21T00:00:00Z")) // no reminder for the removed one
	st := e.status("2026-11-21T00:00:00Z")
	if st["sp-api-prod"].State != "inactive" || st["other"].State != "ok" {
		t.Errorf("status: %+v", st)
	}
	if rows := e.history("--credential", "sp-api-prod", "--type", "credential"); len(rows) != 2 || rows[1].Status != "inactive" {
		t.Errorf("credential history: %+v", rows)
	}
	_, errs, code := e.run("ack", "sp-api-prod", "--by", "alice", "--at", "2026-11-21T00:00:00Z")
	if code != 1 || !strings.Contains(errs, "inactive") {
		t.Errorf("ack of an inactive credential: exit %d, %q", code, errs)
	}
}

func TestEndToEndInvalidConfigChangesNothing(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	bad := fmt.Sprintf(baseConfig, e.hook.srv.URL, `  - {id: sp-api-prod, name: x, rotated_at: 2026-06-01, rotation_period: 18Od}
  - {id: Bad_ID, name: y, rotated_at: 2026-06-01, policy: nope}
`)
	if err := os.WriteFile(e.config, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"check"}, {"tick", "--at", "2026-11-21T00:00:00Z"}} {
		_, errs, code := e.run(args...)
		if code != 1 {
			t.Errorf("%v: exit %d, want 1", args, code)
		}
		for _, line := range []string{
			`config.yaml:12: credentials[0].rotation_period: "18Od" is not a duration`,
			`config.yaml:13: credentials[1].id: "Bad_ID" is not a slug`,
			`config.yaml:13: credentials[1].policy: policy "nope" is not defined under policies:`,
		} {
			if !strings.Contains(errs, line) {
				t.Errorf("%v: stderr lacks %q:\n%s", args, line, errs)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(e.dir, "notifier.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an invalid config created the database: %v", err)
	}
	if len(e.hook.take()) != 0 {
		t.Error("an invalid config sent something")
	}
}

func TestEndToEndHistoryFormats(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	e.tick("2026-11-21T00:00:00Z")
	e.ok("ack", "sp-api-prod", "--at", "2026-11-21T01:00:00Z", "--by", "alice")
	out := e.ok("history", "--format", "json", "--since", "2026-11-21T00:00:00Z")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	keys := []string{"time", "type", "credential", "stage", "channel", "status", "actor", "detail", "recorded_at"}
	var seq []string
	for _, r := range rows {
		if len(r) != len(keys) {
			t.Errorf("row keys %v, want exactly %v", r, keys)
		}
		for _, k := range keys {
			if _, ok := r[k]; !ok {
				t.Errorf("row lacks %q: %v", k, r)
			}
		}
		seq = append(seq, fmt.Sprintf("%s %s/%s/%s/%s/%s", r["time"], r["type"], r["stage"], r["channel"], r["status"], r["actor"]))
	}
	wantSeq := []string{
		"2026-11-21T00:00:00Z credential///added/",
		"2026-11-21T00:00:00Z reminder/30d/ops/skipped/",
		"2026-11-21T00:00:00Z reminder/7d/ops/sent/",
		"2026-11-21T01:00:00Z ack///cli/alice",
	}
	if strings.Join(seq, "\n") != strings.Join(wantSeq, "\n") {
		t.Errorf("history:\n%s\nwant:\n%s", strings.Join(seq, "\n"), strings.Join(wantSeq, "\n"))
	}
	csvOut := e.ok("history", "--format", "csv", "--type", "ack")
	lines := strings.Split(strings.TrimSpace(csvOut), "\n")
	if len(lines) != 2 || lines[0] != strings.Join(keys, ",") || !strings.HasPrefix(lines[1], "2026-11-21T01:00:00Z,ack,sp-api-prod,") {
		t.Errorf("csv:\n%s", csvOut)
	}
	if until := e.history("--until", "2026-11-21T00:00:00Z"); len(until) == 0 || until[len(until)-1].Time >= "2026-11-21T00:00:00Z" {
		t.Errorf("--until is exclusive: %+v", until)
	}
	_, errs, code := e.run("history", "--type", "bogus")
	if code != 1 || !strings.Contains(errs, `--type: "bogus" is not one of`) {
		t.Errorf("bad --type: %d %q", code, errs)
	}
}

func TestEndToEndPlan(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	out := e.ok("plan", "--at", "2026-10-01T00:00:00Z", "--horizon", "60d", "--format", "json")
	var rows []struct {
		At, Credential, Stage string
		Seq                   int
		Channels              []string
		DaysRemaining         int `json:"days_remaining"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%s %s#%d %d %v", r.At, r.Stage, r.Seq, r.DaysRemaining, r.Channels))
	}
	wantRows := []string{
		"2026-10-29T00:00:00Z 30d#0 30 [ops]",
		"2026-11-21T00:00:00Z 7d#0 7 [ops]",
		"2026-11-27T00:00:00Z 24h#0 1 [ops]",
		"2026-11-28T00:00:00Z overdue#0 0 [ops]",
		"2026-11-29T00:00:00Z overdue#1 -1 [ops]",
		"2026-11-30T00:00:00Z overdue#2 -2 [ops]",
	}
	if strings.Join(got, "\n") != strings.Join(wantRows, "\n") {
		t.Errorf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantRows, "\n"))
	}
}

func TestEndToEndTestCommand(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	out := e.ok("test", "ops", "--credential", "sp-api-prod", "--at", "2026-11-25T00:00:00Z")
	if !strings.Contains(out, "test message sent to ops (webhook)") {
		t.Errorf("output: %s", out)
	}
	got := e.hook.take()
	if len(got) != 1 || !got[0].Test || got[0].Credential != "sp-api-prod" || got[0].DaysRemaining != 3 ||
		!strings.Contains(got[0].Text, "This is a test message") {
		t.Fatalf("test message: %+v", got)
	}
	// A test message is not a reminder: no history, no outbox row.
	if rows := e.history("--type", "reminder"); len(rows) != 0 {
		t.Errorf("history after a test message: %+v", rows)
	}

	e.hook.answer(http.StatusForbidden)
	_, errs, code := e.run("test", "ops")
	if code != 1 || !strings.Contains(errs, "test message to ops (webhook) failed (permanent: fix the channel's config)") || !strings.Contains(errs, "403") {
		t.Errorf("refused test: exit %d, %q", code, errs)
	}
	e.hook.answer(http.StatusBadGateway)
	_, errs, code = e.run("test", "ops")
	if code != 1 || !strings.Contains(errs, "failed (temporary: the service may recover)") {
		t.Errorf("failing test: exit %d, %q", code, errs)
	}
	_, errs, code = e.run("test", "pager")
	if code != 1 || !strings.Contains(errs, `no channel "pager" in the config (channels: ops)`) {
		t.Errorf("unknown channel: exit %d, %q", code, errs)
	}
}
