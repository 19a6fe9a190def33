package main

// End-to-end tests of `notifier verify`: the history's hash chain checked
// through the binary, tampered with by hand (the triggers dropped, as
// someone with the file would), keyed with audit.key, and read while a
// daemon writes.

import (
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/chain"
)

var headRE = regexp.MustCompile(`(?m)^head: ([0-9a-f]{64})$`)

// runner runs the binary with args and returns stdout, stderr and the exit
// code.
type runner func(args ...string) (string, string, int)

// with runs the binary on the env's config with the given environment
// (nil: this process's).
func (e *env) with(environ []string) runner {
	return func(args ...string) (string, string, int) { return e.runWithEnv(environ, args...) }
}

// bare runs the binary in the env's folder with no --config, as an auditor
// with a copy of the database would.
func (e *env) bare(args ...string) (string, string, int) {
	e.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = e.dir
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil && cmd.ProcessState == nil {
		e.t.Fatalf("running notifier %v: %v", args, err)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

// verifyOK runs verify with args and returns the head it printed.
func verifyOK(t *testing.T, run runner, rows int, args ...string) string {
	t.Helper()
	out, errs, code := run(append([]string{"verify"}, args...)...)
	if code != 0 {
		t.Fatalf("verify %v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errs)
	}
	if want := fmt.Sprintf("rows: %d ", rows); !strings.Contains(out, want) {
		t.Errorf("verify %v: %q, want %q", args, out, want)
	}
	m := headRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("verify %v printed no head of 64 hex digits: %q", args, out)
	}
	return m[1]
}

// verifyFails runs verify with args and checks that it exits 1 with one
// line on stderr containing every want.
func verifyFails(t *testing.T, run runner, args []string, wants ...string) {
	t.Helper()
	out, errs, code := run(append([]string{"verify"}, args...)...)
	if code != 1 || strings.Count(errs, "\n") != 1 {
		t.Fatalf("verify %v: exit %d, want 1 with one line\nstdout: %s\nstderr: %s", args, code, out, errs)
	}
	for _, w := range wants {
		if !strings.Contains(errs, w) {
			t.Errorf("verify %v: %q does not say %q", args, errs, w)
		}
	}
}

// tamperDB runs statements on a database file with database/sql, the
// append-only triggers dropped first.
func tamperDB(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	all := []string{`DROP TRIGGER IF EXISTS event_chain_no_update`}
	for _, table := range []string{"events", "rotations", "acknowledgments"} {
		all = append(all, `DROP TRIGGER IF EXISTS `+table+`_no_update`, `DROP TRIGGER IF EXISTS `+table+`_no_delete`)
	}
	for _, st := range append(all, stmts...) {
		if _, err := db.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// historyRows runs the history and ticks of a reminder, a retry and an
// acknowledgment: 6 events (added, rotation, 30d retry, 30d sent, ack,
// 7d sent).
func (e *env) historyRows(environ []string) {
	e.t.Helper()
	for _, args := range [][]string{
		{"tick", "--at", "2026-11-01T09:00:00Z"}, // 30d notice: the webhook answers 503
		{"tick", "--at", "2026-11-01T10:00:00Z"}, // retried, sent
		{"ack", "sp-api-prod", "--at", "2026-11-02T09:00:00Z", "--by", "alice"},
		{"tick", "--at", "2026-11-22T09:00:00Z"}, // 7d notice
	} {
		if args[0] == "tick" && args[2] == "2026-11-01T09:00:00Z" {
			e.hook.answer(503)
		}
		if out, errs, code := e.runWithEnv(environ, args...); code != 0 {
			e.t.Fatalf("notifier %v: exit %d\n%s%s", args, code, out, errs)
		}
	}
}

// TestEndToEndVerify: a clean history verifies and prints its head; an
// acknowledgment rewritten by hand is named; a copy with its tail cut
// verifies alone but not against the head noted before.
func TestEndToEndVerify(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	e.historyRows(nil)
	run := e.with(nil)
	head := verifyOK(t, run, 6)
	db := filepath.Join(e.dir, "notifier.db")
	if again := verifyOK(t, e.bare, 6, "--db", db, "--expect-head", head); again != head {
		t.Errorf("verify --db: head %s, want %s", again, head)
	}

	cut := filepath.Join(t.TempDir(), "cut.db")
	copyFile(t, db, cut)
	// The last event (the 7d reminder sent) cut with its outbox row: the
	// chain and the tables agree, and only the head noted earlier tells.
	tamperDB(t, cut, `DELETE FROM events WHERE id = 6`, `DELETE FROM deliveries WHERE stage = '7d'`)
	verifyOK(t, e.bare, 5, "--db", cut)
	verifyFails(t, e.bare, []string{"--db", cut, "--expect-head", head}, "expected head "+head, "cut off")

	verifyFails(t, run, []string{"--expect-head", "abc"}, "--expect-head", "64 hex digits")
	verifyFails(t, e.bare, []string{"--db", filepath.Join(t.TempDir(), "missing.db")}, "missing.db")

	// The reproduction: an acknowledgment's actor and time
	// rewritten in its table, the chain untouched.
	table := filepath.Join(t.TempDir(), "table.db")
	copyFile(t, db, table)
	tamperDB(t, table, `UPDATE acknowledgments SET actor = 'mallory', acked_at = '2026-11-01T09:30:00Z'`)
	verifyFails(t, e.bare, []string{"--db", table}, "acknowledgment 1 (sp-api-prod at 2026-11-01T09:30:00Z by mallory", "acknowledgments table was changed")

	tamperDB(t, db, `UPDATE events SET actor = 'mallory' WHERE type = 'ack'`)
	verifyFails(t, run, nil, "row 5 ", "edited")
	// The tampered row is still what the history shows: verify is what tells.
	if evs := e.history("--type", "ack"); len(evs) != 1 || evs[0].Actor != "mallory" {
		t.Errorf("ack events %+v, want the rewritten one", evs)
	}
}

// TestEndToEndVerifyWithAuditKey: audit.key from the environment keys the
// chain; check refuses a short or literal key naming audit.key and never
// quoting it; a chain recomputed without the key passes as SHA-256 but is
// refused with the key; the key appears in no output and not in the file.
func TestEndToEndVerifyWithAuditKey(t *testing.T) {
	const key = "0123456789abcdef-audit-key-0123456789abcdef"
	e := newEnv(t, "2026-06-01")
	keyed := fmt.Sprintf(baseConfig, e.hook.srv.URL+"/hook", fmt.Sprintf(spAPI, "2026-06-01")) + "audit:\n  key: ${NOTIFIER_AUDIT_KEY}\n"
	e.writeConfig(keyed)

	for _, tc := range []struct{ value, want string }{
		{"short-key-012345", "audit.key: ${NOTIFIER_AUDIT_KEY} is shorter than 32 bytes"},
		{"", "audit.key: ${NOTIFIER_AUDIT_KEY} is shorter than 32 bytes"},
	} {
		out, errs, code := e.runWithEnv(childEnv(t, "NOTIFIER_AUDIT_KEY="+tc.value), "check")
		if code != 1 || !strings.Contains(errs, tc.want) || (tc.value != "" && strings.Contains(out+errs, tc.value)) {
			t.Errorf("check with a %d-byte key: exit %d, %q; want 1 and %q, the value never quoted", len(tc.value), code, errs, tc.want)
		}
	}
	e.writeConfig(strings.Replace(keyed, "${NOTIFIER_AUDIT_KEY}", key, 1))
	if _, errs, code := e.runWithEnv(childEnv(t), "check"); code != 1 || !strings.Contains(errs, "audit.key: must come from the environment") || strings.Contains(errs, key) {
		t.Errorf("check with the key written in the file: exit %d, %q; want refused, the key not quoted", code, errs)
	}
	e.writeConfig(keyed)

	environ := childEnv(t, "NOTIFIER_AUDIT_KEY="+key)
	out, errs, code := e.runWithEnv(environ, "check")
	if code != 0 || !strings.Contains(out, "keyed with audit.key") {
		t.Fatalf("check with the key: exit %d\n%s%s", code, out, errs)
	}
	e.historyRows(environ)
	run := e.with(environ)
	head := verifyOK(t, run, 7) // the audit event first
	db := filepath.Join(e.dir, "notifier.db")
	verifyFails(t, e.bare, []string{"--db", db}, "needs the config's audit.key")

	// Without the key, the history cannot be appended to, and nothing is.
	e.writeConfig(fmt.Sprintf(baseConfig, e.hook.srv.URL+"/hook", fmt.Sprintf(spAPI, "2026-06-01")))
	if _, errs, code := e.runWithEnv(nil, "rotate", "sp-api-prod", "--at", "2026-11-23T09:00:00Z", "--by", "alice"); code != 1 || !strings.Contains(errs, "audit.key: ") {
		t.Errorf("rotate without the key: exit %d, %q; want refused naming audit.key", code, errs)
	}
	e.writeConfig(keyed)
	if again := verifyOK(t, run, 7); again != head {
		t.Errorf("after the refused rotation the head is %s, want %s", again, head)
	}

	// Someone with the file rewrites the acknowledgment and recomputes the
	// chain as docs/auditors.md describes, without the key.
	tamperDB(t, db, `UPDATE events SET actor = 'mallory' WHERE type = 'ack'`, `UPDATE acknowledgments SET actor = 'mallory'`,
		`UPDATE event_chain SET key_id = NULL`)
	rehashFile(t, db)
	forged := verifyOK(t, e.bare, 7, "--db", db) // passes as plain SHA-256 ...
	verifyFails(t, run, nil, "none of the 7 rows is hashed with audit.key")
	verifyFails(t, run, []string{"--expect-head", head}, "audit.key")
	if forged == head {
		t.Errorf("the forged chain has the real head")
	}

	raw, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), key) {
		t.Error("the audit key is in the database file")
	}
}

// rehashFile recomputes every hash of the chain with SHA-256, each row in
// the version of the encoding its recorded_at says, as docs/auditors.md describes.
func rehashFile(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT id, time, type, credential_id, rotation_id, delivery_id, stage, channel, status, actor, detail, recorded_at
		FROM events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var all []chain.Row
	for rows.Next() {
		var r chain.Row
		var cred sql.NullString
		var rot, del sql.NullInt64
		var recorded sql.NullString // NULL: version 1 of the encoding; set: version 2
		if err := rows.Scan(&r.ID, &r.Time, &r.Type, &cred, &rot, &del, &r.Stage, &r.Channel, &r.Status, &r.Actor, &r.Detail, &recorded); err != nil {
			t.Fatal(err)
		}
		r.CredentialID, r.NullCredential = cred.String, !cred.Valid
		r.RotationID, r.NullRotation = rot.Int64, !rot.Valid
		r.DeliveryID, r.NullDelivery = del.Int64, !del.Valid
		r.RecordedAt = recorded.String
		all = append(all, r)
	}
	rows.Close()
	h, prev := chain.NewHasher(nil), chain.Genesis
	for _, r := range all {
		prev = h.Sum(nil, prev, &r)
		if _, err := db.Exec(`UPDATE events SET hash = ? WHERE id = ?`, prev, r.ID); err != nil {
			t.Fatal(err)
		}
	}
}

// TestEndToEndVerifyWhileTheDaemonWrites: verify, read-only, runs beside a
// daemon that is recording outcomes, and each run sees an intact chain.
func TestEndToEndVerifyWhileTheDaemonWrites(t *testing.T) {
	const n = 200
	sink := newKeySink(t, 10*time.Millisecond, false)
	dir, config := fleetEnv(t, n, sink.srv.URL, "@hourly", time.Now().UTC().Add(-175*24*time.Hour).Format(time.RFC3339))
	d := startDaemon(t, dir, config)
	<-sink.seen
	for i := range 3 {
		if out, err := verifyIn(dir, config); err != nil || !headRE.MatchString(out) {
			t.Fatalf("verify %d while the daemon sends: %v\n%s\n%s", i, err, out, d.logs())
		}
	}
	d.await(t, "tick", 120*time.Second)
	if keys, _ := sink.counts(); keys != n {
		t.Errorf("%d of %d reminders arrived", keys, n)
	}
	// 2 events per credential added, one per reminder sent.
	wantChain(t, dir, config, 3*n, "after the tick")
}

// verifyIn runs verify on config in dir and returns its output.
func verifyIn(dir, config string) (string, error) {
	cmd := exec.Command(binary, "--config", config, "verify")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// wantChain checks that verify finds an intact chain of rows rows (-1:
// any number) on config in dir.
func wantChain(t *testing.T, dir, config string, rows int, when string) {
	t.Helper()
	out, err := verifyIn(dir, config)
	if want := fmt.Sprintf("rows: %d ", rows); err != nil || rows >= 0 && !strings.Contains(out, want) {
		t.Errorf("verify %s: %v, %q; want an intact chain, %q", when, err, out, want)
	}
}
