package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/testutil/pgtest"
)

// adminsNow is the test clock's start (NOTIFIER_TEST_NOW) of these tests.
const adminsNow = "2026-12-20T09:00:00Z"

// adminsConfig has one credential in the main file and credential files
// under creds/; admins is the notify_admins line (empty: none).
const adminsConfig = `database: notifier.db
timezone: UTC
check_schedule: "@every 1h"
%s
policies:
  standard:
    - {before: 7d, channels: [ops]}
channels:
  ops: {type: webhook, url: "%s/hook"}
  admins: {type: webhook, url: "%s/admins"}
credential_files: ["creds/*.yaml"]
credentials:
  - {id: main-cred, rotated_at: 2026-12-01}
`

// adminsEnv is an env whose config has credential files; every command
// runs at the test clock's adminsNow.
func adminsEnv(t *testing.T, admins string) (*env, []string) {
	return adminsEnvOn(t, "sqlite", admins)
}

// adminsEnvOn is adminsEnv on backend.
func adminsEnvOn(t *testing.T, backend, admins string) (*env, []string) {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), hook: newHook(t)}
	e.config = filepath.Join(e.dir, "config.yaml")
	body := fmt.Sprintf(adminsConfig, admins, e.hook.srv.URL, e.hook.srv.URL)
	if err := os.WriteFile(e.config, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(e.dir, "creds"), 0o700); err != nil {
		t.Fatal(err)
	}
	e.onBackend(backend)
	return e, append(os.Environ(), "NOTIFIER_TEST_NOW="+adminsNow)
}

func (e *env) writeFile(name, body string) {
	e.t.Helper()
	if err := os.WriteFile(filepath.Join(e.dir, name), []byte(body), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// credentialsOf returns the credentials the webhook's payloads are about,
// in arrival order, per path.
func (h *hook) credentials() []string {
	var out []string
	for _, p := range h.take() {
		out = append(out, p.Credential)
	}
	return out
}

// TestAdminsDuplicateIDFileIsLoud: a credential file with a duplicate id
// makes tick exit non-zero naming the file and line, while the other
// files are still synced and their reminders sent; the refused file's
// tracked credentials stay tracked with their last good definition.
func TestAdminsDuplicateIDFileIsLoud(t *testing.T) { onEachBackend(t, testAdminsDuplicateIDFileIsLoud) }

func testAdminsDuplicateIDFileIsLoud(t *testing.T, backend string) {
	e, environ := adminsEnvOn(t, backend, "")
	// Deadlines: good-1 2026-12-25 (5 days: the 7d stage), bad-1 2026-12-24.
	e.writeFile("creds/good.yaml", "credentials:\n  - {id: good-1, rotated_at: 2026-06-28}\n")
	e.writeFile("creds/bad.yaml", "credentials:\n  - {id: bad-1, rotated_at: 2026-06-27}\n")
	if out, errs, code := e.runWithEnv(environ, "tick"); code != 0 {
		t.Fatalf("first tick: exit %d\n%s\n%s", code, out, errs)
	}
	if got := strings.Join(e.hook.credentials(), ","); got != "bad-1,good-1" && got != "good-1,bad-1" {
		t.Fatalf("first tick sent for %q, want bad-1 and good-1", got)
	}

	// bad.yaml gains a new credential and a duplicate id (line 4); good.yaml
	// gains a credential due now.
	e.writeFile("creds/bad.yaml", "credentials:\n  - {id: bad-1, rotated_at: 2026-06-27}\n  - {id: bad-2, rotated_at: 2026-06-26}\n  - {id: bad-2, rotated_at: 2026-06-26}\n")
	e.writeFile("creds/good.yaml", "credentials:\n  - {id: good-1, rotated_at: 2026-06-28}\n  - {id: good-2, rotated_at: 2026-06-25}\n")
	out, errs, code := e.runWithEnv(environ, "tick")
	if code == 0 {
		t.Fatalf("tick with a refused file exited 0\nstdout: %s\nstderr: %s", out, errs)
	}
	if want := `creds/bad.yaml:4: credentials[2].id: "bad-2" is already used at creds/bad.yaml:3`; !strings.Contains(errs, want) {
		t.Errorf("tick's stderr does not name the file and line %q:\n%s", want, errs)
	}
	if strings.Contains(out+errs, pgtest.Password) {
		t.Errorf("the tick with a refused file shows the database password:\n%s\n%s", out, errs)
	}
	if got := strings.Join(e.hook.credentials(), ","); got != "good-2" {
		t.Errorf("the tick with a refused file sent for %q, want good-2 (the good file's new credential)", got)
	}
	st := e.status("2026-12-20T09:00:00Z")
	if _, ok := st["bad-2"]; ok {
		t.Errorf("bad-2 of the refused file is tracked: %+v", st["bad-2"])
	}
	if r, ok := st["bad-1"]; !ok || r.RotatedAt == "" || !strings.HasPrefix(r.Deadline, "2026-12-24") {
		t.Errorf("bad-1, tracked before the file was refused, is %+v; want it kept with its last good definition", r)
	}
}

// TestAdminsRefusedFileOnReadyzAndMetrics: `run` with a refused credential
// file answers /readyz 503 naming the file and line, and
// notifier_config_files_refused counts it; once the file is fixed (and
// SIGHUP), /readyz is 200 and the gauge 0.
func TestAdminsRefusedFileOnReadyzAndMetrics(t *testing.T) {
	onEachBackend(t, testAdminsRefusedFileOnReadyzAndMetrics)
}

func testAdminsRefusedFileOnReadyzAndMetrics(t *testing.T, backend string) {
	addr := freeAddr(t)
	e, environ := adminsEnvOn(t, backend, "http: {listen: "+addr+"}")
	e.writeFile("creds/bad.yaml", "credentials:\n  - {id: bad-1, rotated_at: 2026-12-01}\n  - {id: bad-1, rotated_at: 2026-12-01}\n")
	d := startDaemonEnv(t, e.dir, e.config, environ)
	d.await(t, "notifier running", 60*time.Second)

	code, body := httpGet(t, "http://"+addr+"/readyz")
	if strings.Contains(body, pgtest.Password) {
		t.Errorf("/readyz shows the database password: %q", body)
	}
	if want := `creds/bad.yaml:3: credentials[1].id: "bad-1" is already used at creds/bad.yaml:2`; code != http.StatusServiceUnavailable || !strings.Contains(body, want) {
		t.Errorf("/readyz with a refused file: %d %q; want 503 naming %q", code, body, want)
	}
	if got := refusedGauge(t, addr); got != "1" {
		t.Errorf("notifier_config_files_refused = %q, want 1", got)
	}

	e.writeFile("creds/bad.yaml", "credentials:\n  - {id: bad-1, rotated_at: 2026-12-01}\n")
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	d.await(t, "config reloaded", 30*time.Second)
	if code, body := httpGet(t, "http://"+addr+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz once the file is fixed: %d %q; want 200", code, body)
	}
	if got := refusedGauge(t, addr); got != "0" {
		t.Errorf("notifier_config_files_refused once the file is fixed = %q, want 0", got)
	}
	d.terminate(t, 30*time.Second)
	if strings.Contains(d.logs(), pgtest.Password) {
		t.Errorf("the daemon's log shows the database password:\n%s", d.logs())
	}
}

// refusedGauge is the value of notifier_config_files_refused on /metrics.
func refusedGauge(t *testing.T, addr string) string {
	t.Helper()
	_, body := httpGet(t, "http://"+addr+"/metrics")
	for line := range strings.Lines(body) {
		if v, ok := strings.CutPrefix(line, "notifier_config_files_refused "); ok {
			return strings.TrimSpace(v)
		}
	}
	return "absent"
}

// TestAdminsReloadIsASync: rotated_at moved forward while the daemon runs
// (check_schedule hourly), then SIGHUP: right after "config reloaded",
// status shows the new cycle, not the old one's OVERDUE.
func TestAdminsReloadIsASync(t *testing.T) { onEachBackend(t, testAdminsReloadIsASync) }

func testAdminsReloadIsASync(t *testing.T, backend string) {
	e, environ := adminsEnvOn(t, backend, "")
	e.writeFile("creds/a.yaml", "credentials:\n  - {id: vendor-sftp, rotated_at: 2026-06-01}\n")
	d := startDaemonEnv(t, e.dir, e.config, environ)
	d.await(t, "notifier running", 60*time.Second)
	before := e.status(adminsNow)["vendor-sftp"]
	if before.State != "overdue" {
		t.Fatalf("before the rotation vendor-sftp is %+v, want overdue", before)
	}

	e.writeFile("creds/a.yaml", "credentials:\n  - {id: vendor-sftp, rotated_at: 2026-12-19}\n")
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	d.await(t, "config reloaded", 30*time.Second)
	after := e.status(adminsNow)["vendor-sftp"]
	if !strings.HasPrefix(after.RotatedAt, "2026-12-19") || after.State == "overdue" || !strings.HasPrefix(after.Deadline, "2027-06-17") {
		t.Errorf("right after the reload vendor-sftp is %+v; want rotated 2026-12-19, deadline 2027-06-17, not overdue", after)
	}
	d.terminate(t, 30*time.Second)
}

// notices returns the admins' notices among what the webhook received
// (stage "notice"), as their subjects, and forgets everything.
func (h *hook) notices() (subjects []string) {
	for _, p := range h.take() {
		if p.Stage == "notice" {
			subjects = append(subjects, p.Subject)
		}
	}
	return subjects
}

// TestAdminsToldOnceWhenARefusedFileStartsAndClears: with notify_admins,
// a refused credential file is told once (two ticks: one notice), and
// once more when the fixed file is accepted; both are notice events in
// the history.
func TestAdminsToldOnceWhenARefusedFileStartsAndClears(t *testing.T) {
	onEachBackend(t, testAdminsToldOnceWhenARefusedFileStartsAndClears)
}

func testAdminsToldOnceWhenARefusedFileStartsAndClears(t *testing.T, backend string) {
	e, environ := adminsEnvOn(t, backend, "notify_admins: [admins]")
	e.writeFile("creds/bad.yaml", "credentials:\n  - {id: bad-1, rotated_at: 2026-12-01}\n  - {id: bad-1, rotated_at: 2026-12-01}\n")
	for range 2 {
		if _, errs, code := e.runWithEnv(environ, "tick"); code == 0 {
			t.Fatalf("tick with a refused file exited 0:\n%s", errs)
		}
	}
	if got, want := e.hook.notices(), []string{"notifier: problem started: credential-file:creds/bad.yaml"}; !slices.Equal(got, want) {
		t.Errorf("two ticks with a refused file told the admins %q, want once: %q", got, want)
	}

	e.writeFile("creds/bad.yaml", "credentials:\n  - {id: bad-1, rotated_at: 2026-12-01}\n")
	// Fixed an hour later: each process's test clock starts at
	// NOTIFIER_TEST_NOW, so at the same start a slow first tick could be
	// dated after a fast later one, which no real clock does.
	later := append(os.Environ(), "NOTIFIER_TEST_NOW=2026-12-20T10:00:00Z")
	for range 2 {
		if out, errs, code := e.runWithEnv(later, "tick"); code != 0 {
			t.Fatalf("tick once the file is fixed: exit %d\n%s\n%s", code, out, errs)
		}
	}
	if got, want := e.hook.notices(), []string{"notifier: problem cleared: credential-file:creds/bad.yaml"}; !slices.Equal(got, want) {
		t.Errorf("two ticks once the file is fixed told the admins %q, want once: %q", got, want)
	}
	var got []string
	for _, ev := range e.history("--type", "notice") {
		got = append(got, ev.Stage+" "+ev.Status)
	}
	if want := []string{"credential-file:creds/bad.yaml started", "credential-file:creds/bad.yaml cleared"}; !slices.Equal(got, want) {
		t.Errorf("notice events in the history: %q, want %q", got, want)
	}
}

// TestAdminsToldOnceOfAFinallyFailedDelivery: a delivery that finally
// fails (a permanent 400) is told to the admins once, not at every tick.
func TestAdminsToldOnceOfAFinallyFailedDelivery(t *testing.T) {
	onEachBackend(t, testAdminsToldOnceOfAFinallyFailedDelivery)
}

func testAdminsToldOnceOfAFinallyFailedDelivery(t *testing.T, backend string) {
	e, environ := adminsEnvOn(t, backend, "notify_admins: [admins]")
	e.writeFile("creds/a.yaml", "credentials:\n  - {id: due-1, rotated_at: 2026-06-25}\n")
	e.hook.answer(http.StatusBadRequest)
	if out, errs, code := e.runWithEnv(environ, "tick"); code != 0 || !strings.Contains(out, "failed") {
		t.Fatalf("tick: exit %d\n%s\n%s", code, out, errs)
	}
	e.writeFile("creds/a.yaml", "credentials:\n  - {id: due-1, rotated_at: 2026-06-25}\n  - {id: due-2, rotated_at: 2026-06-25}\n")
	e.hook.answer(http.StatusBadRequest)
	if out, errs, code := e.runWithEnv(environ, "tick"); code != 0 {
		t.Fatalf("second tick: exit %d\n%s\n%s", code, out, errs)
	}
	if got, want := e.hook.notices(), []string{"notifier: problem started: channel:ops"}; !slices.Equal(got, want) {
		t.Errorf("two finally failed deliveries told the admins %q, want once: %q", got, want)
	}
}
