package main

// End to end through the binary on PostgreSQL: several `notifier run`
// replicas share one database.

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/daemon"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/postgres"
	"github.com/notifier-dev/notifier/internal/testutil/pgtest"
)

// pgPasswordEnv is where the replicas' config takes the database password
// from.
const pgPasswordEnv = "NOTIFIER_TEST_PG_PASSWORD"

// pgFleetEnv is fleetEnv on a fresh PostgreSQL database, the password from
// ${NOTIFIER_TEST_PG_PASSWORD}; it returns the URL with the password too.
func pgFleetEnv(t testing.TB, n int, url, schedule, rotated string) (dir, config, dbURL string, environ []string) {
	t.Helper()
	dir, config = fleetEnv(t, n, url, schedule, rotated)
	return dir, config, pgConfig(t, config), append(os.Environ(), pgPasswordEnv+"="+pgtest.Password)
}

// pgConfig points the config's "database: notifier.db" at a fresh
// PostgreSQL database, the password from ${NOTIFIER_TEST_PG_PASSWORD}; it
// returns the database's URL with the password.
func pgConfig(t testing.TB, config string) string {
	t.Helper()
	withEnv, url := pgDatabase(t)
	body, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), "database: notifier.db") {
		t.Fatalf("%s has no line \"database: notifier.db\" to point at PostgreSQL", config)
	}
	body = []byte(strings.Replace(string(body), "database: notifier.db", "database: "+withEnv, 1))
	if err := os.WriteFile(config, body, 0o600); err != nil {
		t.Fatal(err)
	}
	return url
}

// pgDatabase is a fresh database of the shared cluster: its URL as a
// config writes it, the password from ${NOTIFIER_TEST_PG_PASSWORD} (the
// process needs pgPasswordEnv=pgtest.Password), and a URL for the test's
// own reads.
func pgDatabase(t testing.TB) (withEnv, url string) {
	t.Helper()
	srv := pgtest.Shared(t)
	name := srv.Database(t)
	return strings.Replace(srv.PasswordURL(name), pgtest.PasswordRole+"@", pgtest.PasswordRole+":${"+pgPasswordEnv+"}@", 1), srv.UserURL(name)
}

// TestReplicasShareTheWorkAndSurviveSIGKILL: three replicas on one
// PostgreSQL database and a webhook sink answering in 50 ms; 300 reminders
// due at once; the planner is SIGKILLed mid-dispatch. Another replica
// takes the planning over, the two left send the rest between them, and
// take over what the dead one had claimed once its claims expire
// unrenewed (a lease TTL after its death): every reminder is delivered by
// the replicas themselves, and the only duplicates are among the dead
// replica's claims.
func TestReplicasShareTheWorkAndSurviveSIGKILL(t *testing.T) {
	sink := newKeySink(t, 50*time.Millisecond, false)
	// Rotated 175 days ago: the 7-day reminder of all 300 is due now.
	dir, config, dbURL, environ := pgFleetEnv(t, 300, sink.srv.URL, "@hourly", time.Now().UTC().Add(-175*24*time.Hour).Format(time.RFC3339))
	if out, err := exec.Command(binary, "--config", config, "migrate").CombinedOutput(); err == nil {
		t.Fatalf("migrate without the password's variable succeeded:\n%s", out)
	} else if strings.Contains(string(out), pgtest.Password) {
		t.Fatalf("migrate's error shows the password:\n%s", out)
	}
	migrate := exec.Command(binary, "--config", config, "migrate")
	migrate.Env = environ
	out, err := migrate.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "0001_init (postgres") || strings.Contains(string(out), pgtest.Password) {
		t.Fatalf("migrate: %v\n%s", err, out)
	}

	replicas := make([]*daemonProc, 3)
	for i := range replicas {
		replicas[i] = startDaemonEnv(t, dir, config, environ, "--lease-ttl", "2s")
	}
	// Mid-dispatch: a fifth of the reminders received.
	for range 60 {
		select {
		case <-sink.seen:
		case <-time.After(120 * time.Second):
			t.Fatalf("the sink saw fewer than 60 requests")
		}
	}
	planner := -1
	for i, r := range replicas {
		if strings.Contains(r.logs(), "planning for the replicas") {
			planner = i
		}
	}
	if planner < 0 {
		t.Fatalf("no replica says it plans")
	}
	killed := replicas[planner]
	if err := killed.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-killed.done
	killedAt := time.Now()

	store, err := postgres.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	// The dead replica's claims: what it may have sent without recording.
	inFlight := map[string]bool{}
	ds, err := store.Deliveries(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	claimsOf := fmt.Sprintf(":%d:", killed.cmd.Process.Pid)
	claimed, err := store.ClaimsOf(context.Background(), claimsOf)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if claimed[d.ID] {
			inFlight[fmt.Sprintf("%s/%d/%s/%s/%d", d.CredentialID, d.RotationID, d.Stage, d.Channel, d.Seq)] = true
		}
	}

	// Another replica plans now, and the two left send all but the dead
	// one's claims.
	for i, r := range replicas {
		if i != planner {
			defer r.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	deadline := time.Now().Add(180 * time.Second) // a liveness bound, not a measurement
	for {
		byStatus := deliveriesByStatusPG(t, store)
		if byStatus[domain.StatusSent] >= 300-len(inFlight) && byStatus["pending-unclaimed"] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replicas left did not send the rest: %v (in flight on the dead one: %d)", byStatus, len(inFlight))
		}
		time.Sleep(200 * time.Millisecond) // polling the database, not waiting for a schedule
	}
	for took := false; !took; {
		for i, r := range replicas {
			took = took || i != planner && strings.Contains(r.logs(), "planning for the replicas")
		}
		if !took && time.Now().After(deadline) {
			t.Fatalf("no replica left took the planning over")
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The dead one's claims expire unrenewed: the replicas left send them.
	for byStatus := deliveriesByStatusPG(t, store); byStatus[domain.StatusSent] != 300 || len(byStatus) != 1; byStatus = deliveriesByStatusPG(t, store) {
		if time.Now().After(deadline) {
			t.Fatalf("deliveries by status: %v, want 300 sent by the replicas left", byStatus)
		}
		time.Sleep(200 * time.Millisecond) // polling the database
	}
	recovered := time.Since(killedAt)
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.got) != 300 {
		t.Errorf("the sink received %d distinct reminders, want 300", len(sink.got))
	}
	dups := 0
	for key, n := range sink.got {
		if n > 1 {
			dups += n - 1
			if !inFlight[key] {
				t.Errorf("%s received %d times, yet the dead replica had not claimed it", key, n)
			}
		}
	}
	for i, r := range replicas {
		if n := strings.Count(r.logs(), "outcome=sent"); n == 0 {
			t.Errorf("replica %d sent nothing: the dispatch is not shared", i)
		}
	}
	t.Logf("300 reminders, 3 replicas, the planner killed: %d claimed by it, all sent %.1f s after its death (lease TTL 2 s), %d sent twice",
		len(inFlight), recovered.Seconds(), dups)
	// The history three replicas appended is one chain.
	verify := exec.Command(binary, "--config", config, "verify")
	verify.Env = environ
	if out, err := verify.CombinedOutput(); err != nil || strings.Contains(string(out), pgtest.Password) {
		t.Errorf("verify: %v\n%s", err, out)
	}
	for _, r := range replicas {
		if strings.Contains(r.logs(), pgtest.Password) {
			t.Errorf("a replica logged the database password")
		}
	}
}

// deliveriesByStatusPG counts the outbox rows by status; pending ones by
// whether a claim holds them.
func deliveriesByStatusPG(t *testing.T, s *postgres.Store) map[string]int {
	t.Helper()
	ds, err := s.Deliveries(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	claimed, err := s.ClaimsOf(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, d := range ds {
		out[d.Status]++
		if d.Status == domain.StatusPending && !claimed[d.ID] {
			out["pending-unclaimed"]++
		}
	}
	return out
}

// TestReplicaSurvivesAPostgresRestart: PostgreSQL restarts under a running
// replica; the replica logs the failures, reconnects by itself and sends
// what becomes due after, without a restart of its own.
func TestReplicaSurvivesAPostgresRestart(t *testing.T) {
	sink := newKeySink(t, 0, false)
	rotated := time.Now().UTC().Add(-175 * 24 * time.Hour).Format(time.RFC3339)
	dir, config, dbURL, environ := pgFleetEnv(t, 10, sink.srv.URL, "@every 1s", rotated)
	r := startDaemonEnv(t, dir, config, environ, "--lease-ttl", "2s")
	store, err := postgres.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	// The test's own connections are cut by the restart too: a read that
	// fails on one is tried again, as the daemon's next tick does.
	sent := func() (int, error) {
		ds, err := store.Deliveries(context.Background(), "")
		n := 0
		for _, d := range ds {
			if d.Status == domain.StatusSent {
				n++
			}
		}
		return n, err
	}
	awaitSent := func(n int) {
		t.Helper()
		deadline := time.Now().Add(120 * time.Second) // a liveness bound
		for {
			got, err := sent()
			if err == nil && got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("fewer than %d sent (%d, %v):\n%s", n, got, err, r.logs())
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	awaitSent(10)
	if err := pgtest.Shared(t).Restart(); err != nil {
		t.Fatal(err)
	}
	// Ten more credentials, due at once, after the restart.
	body, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	var more strings.Builder
	for i := range 10 {
		fmt.Fprintf(&more, "  - {id: late-%04d, rotated_at: %s}\n", i, rotated)
	}
	if err := os.WriteFile(config, append(body, more.String()...), 0o600); err != nil {
		t.Fatal(err)
	}
	awaitSent(20)
	select {
	case err := <-r.done:
		t.Fatalf("the replica exited: %v\n%s", err, r.logs())
	default:
	}
	if keys, dups := sink.counts(); keys != 20 || dups != 0 {
		t.Errorf("the sink got %d reminders, %d twice; want 20, none twice", keys, dups)
	}
}

// TestCopyDBToPostgresAndBack: a SQLite database with history (a tick that
// sent, an acknowledgment, a rotation) copied to PostgreSQL, then back to
// a new SQLite file: verify passes on each copy, and history shows the
// same lines on all three. A non-empty target is refused.
func TestCopyDBToPostgresAndBack(t *testing.T) {
	sink := newKeySink(t, 0, false)
	dir, config := fleetEnv(t, 5, sink.srv.URL, "@hourly", "2026-06-01T00:00:00Z")
	run := func(env []string, args ...string) string {
		t.Helper()
		cmd := exec.Command(binary, append([]string{"--config", config}, args...)...)
		cmd.Env = env
		atTestClock(cmd)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("notifier %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run(nil, "tick", "--at", "2026-11-21T00:00:00Z")
	run(nil, "ack", "cred-0001", "--by", "alice", "--at", "2026-11-21T01:00:00Z")
	run(nil, "rotate", "cred-0002", "--at", "2026-11-21T02:00:00Z", "--by", "alice")
	srv := pgtest.Shared(t)
	name := srv.Database(t)
	pg := srv.PasswordURL(name) // the password from PGPASSWORD
	env := append(os.Environ(), "PGPASSWORD="+pgtest.Password)
	sqliteDB := dir + "/notifier.db"
	back := dir + "/back.db"

	out := run(env, "copy-db", "--to", pg)
	if !strings.Contains(out, "5 credentials") || !strings.Contains(out, "hash chain of the copy: ok") {
		t.Fatalf("copy-db to PostgreSQL:\n%s", out)
	}
	out = run(env, "copy-db", "--db", pg, "--to", back)
	if !strings.Contains(out, "hash chain of the copy: ok") {
		t.Fatalf("copy-db back to SQLite:\n%s", out)
	}
	want := run(nil, "history", "--db", sqliteDB)
	if len(strings.Split(want, "\n")) < 15 {
		t.Fatalf("the original's history is short:\n%s", want)
	}
	for _, db := range []string{pg, back} {
		if got := run(env, "history", "--db", db); got != want {
			t.Errorf("history of %s differs from the original's:\n%s\nwant:\n%s", db, got, want)
		}
		run(env, "verify", "--db", db)
	}
	// The same heads: one chain, three databases.
	head := func(db string) string {
		for _, l := range strings.Split(run(env, "verify", "--db", db), "\n") {
			if strings.HasPrefix(l, "head:") {
				return l
			}
		}
		t.Fatalf("verify --db %s printed no head", db)
		return ""
	}
	if a, b, c := head(sqliteDB), head(pg), head(back); a != b || b != c {
		t.Errorf("heads differ: %s / %s / %s", a, b, c)
	}
	// The auditors' view of the cycles says the same on both stores.
	if a, b := auditCycles(t, "sqlite3", "file:"+sqliteDB+"?mode=ro"), auditCycles(t, "pgx", srv.UserURL(name)); a != b || !strings.Contains(a, "cred-0002") {
		t.Errorf("audit_cycles differ:\nSQLite:\n%s\nPostgreSQL:\n%s", a, b)
	}
	cmd := exec.Command(binary, "--config", config, "copy-db", "--to", pg)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "not empty") {
		t.Errorf("copy-db into a non-empty database: %v\n%s", err, out)
	}
}

// TestAckThroughOneReplicaStopsAnothersRepeats: on one PostgreSQL
// database, an acknowledgment recorded by one process stops the repeats
// that another process's ticks would send; an unacknowledged credential
// beside it keeps repeating.
func TestAckThroughOneReplicaStopsAnothersRepeats(t *testing.T) {
	sink := newKeySink(t, 0, false)
	dir, config, _, environ := pgFleetEnv(t, 2, sink.srv.URL, "@hourly", "2025-12-01T00:00:00Z")
	body, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	// Overdue from 2026-05-30, repeated daily until acknowledged.
	body = []byte(strings.Replace(string(body), "{before: 7d, channels: [ops]}", "{after: 0s, repeat: 24h, channels: [ops]}", 1))
	if err := os.WriteFile(config, body, 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(binary, append([]string{"--config", config}, args...)...)
		cmd.Dir, cmd.Env = dir, environ
		atTestClock(cmd)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("notifier %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("tick", "--at", "2026-05-30T01:00:00Z")                              // replica A: the first overdue alarm
	run("ack", "cred-0000", "--by", "alice", "--at", "2026-05-30T02:00:00Z") // through another process
	run("tick", "--at", "2026-05-31T02:00:00Z")                              // replica A again: a day later
	run("tick", "--at", "2026-06-01T02:00:00Z")
	sink.mu.Lock()
	defer sink.mu.Unlock()
	per := map[string]int{}
	for key, n := range sink.got {
		per[strings.SplitN(key, "/", 2)[0]] += n
	}
	if per["cred-0000"] != 1 || per["cred-0001"] != 3 {
		t.Errorf("alarms received: %v; want cred-0000 once (acknowledged), cred-0001 three times (repeating daily)", per)
	}
}

// auditCycles is the audit_cycles view, a line a cycle, its times as UTC
// RFC 3339 whatever the store's type for them.
func auditCycles(t *testing.T, driver, dsn string) string {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), `SELECT rotation_id, credential_id, rotated_at, deadline, closed_at, outcome, days_late,
		reminders_sent, reminders_failed, first_acked_at, first_acked_by FROM audit_cycles ORDER BY rotation_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, 11)
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			switch v := v.(type) {
			case time.Time:
				b.WriteString(v.UTC().Format(time.RFC3339))
			case []byte:
				b.WriteString(string(v))
			default:
				fmt.Fprint(&b, v)
			}
			b.WriteByte(' ')
		}
		b.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestPlannerPlansAtOnceOnARotationElsewhere: a rotation recorded by
// another process (`notifier rotate`) reaches the running planner by
// LISTEN/NOTIFY: it plans the new cycle at once, and the new cycle's due
// reminder goes out long before the next hourly tick.
func TestPlannerPlansAtOnceOnARotationElsewhere(t *testing.T) {
	sink := newKeySink(t, 0, false)
	old := time.Now().UTC().Add(-400 * 24 * time.Hour).Format(time.RFC3339)
	dir, config, _, environ := pgFleetEnv(t, 1, sink.srv.URL, "@hourly", old)
	r := startDaemonEnv(t, dir, config, environ, "--lease-ttl", "2s")
	r.await(t, "notifier running", 60*time.Second)
	if keys, _ := sink.counts(); keys != 1 {
		t.Fatalf("at the start: %d reminders, want the overdue credential's one", keys)
	}
	// Rotated 175 days ago, by the CLI: the new cycle's 7-day reminder is due.
	rotate := exec.Command(binary, "--config", config, "rotate", "cred-0000", "--at", time.Now().UTC().Add(-175*24*time.Hour).Format(time.RFC3339), "--by", "alice")
	rotate.Dir, rotate.Env = dir, environ
	if out, err := rotate.CombinedOutput(); err != nil {
		t.Fatalf("rotate: %v\n%s", err, out)
	}
	deadline := time.Now().Add(60 * time.Second) // a liveness bound, far below the hourly tick
	for keys, _ := sink.counts(); keys < 2; keys, _ = sink.counts() {
		if time.Now().After(deadline) {
			t.Fatalf("the new cycle's reminder did not go out:\n%s", r.logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestStandbyOnPostgresIsAnActiveReplica: on PostgreSQL, `notifier run
// --standby` beside a running replica is neither refused nor waits (as it
// would on SQLite, until the holder's lease expired): it says that the
// flag has no effect there and runs at once, beside the planner.
func TestStandbyOnPostgresIsAnActiveReplica(t *testing.T) {
	sink := newKeySink(t, 0, false)
	dir, config, _, environ := pgFleetEnv(t, 20, sink.srv.URL, "@hourly", time.Now().UTC().Add(-175*24*time.Hour).Format(time.RFC3339))
	first := startDaemonEnv(t, dir, config, environ, "--lease-ttl", "2s")
	defer first.cmd.Process.Signal(syscall.SIGTERM)
	first.await(t, "notifier running", 60*time.Second)
	standby := startDaemonEnv(t, dir, config, environ, "--standby", "--lease-ttl", "2s")
	defer standby.cmd.Process.Signal(syscall.SIGTERM)
	standby.await(t, "notifier running", 60*time.Second)
	select {
	case err := <-first.done:
		t.Fatalf("the first replica exited (%v): the --standby one ran only once it was gone", err)
	default:
	}
	logs := standby.logs()
	for _, want := range []string{"level=WARN msg=\"" + daemon.StandbyOnPostgres + "\""} {
		if !strings.Contains(logs, want) {
			t.Errorf("the --standby replica's log lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "standing by") {
		t.Errorf("the --standby replica stood by:\n%s", logs)
	}
	if strings.Contains(first.logs(), daemon.StandbyOnPostgres) {
		t.Errorf("the replica started without --standby says the flag has no effect:\n%s", first.logs())
	}
	if keys, dups := sink.counts(); keys != 20 || dups != 0 {
		t.Errorf("the sink got %d reminders, %d twice; want 20, none twice", keys, dups)
	}
}

// TestSIGTERMOnAReplicaGivesBackWhatItsPollSends: on PostgreSQL a replica
// also sends from its own once-a-second look for due deliveries. The
// webhook refuses the first attempt (503, retried 2 s later) and hangs on
// the second, which that look makes. On SIGTERM the replica gives the
// send its grace, cancels it and gives the delivery back before it lets
// go of the database: not claimed, not sent, for the next replica to send
// at once rather than a claim's TTL later, and twice.
func TestSIGTERMOnAReplicaGivesBackWhatItsPollSends(t *testing.T) {
	var requests atomic.Int32
	second := make(chan struct{})
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if requests.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		close(second)
		<-r.Context().Done() // hangs until the sender gives up
	}))
	defer sink.Close()
	dir, config, dbURL, environ := pgFleetEnv(t, 1, sink.URL, "@hourly", time.Now().UTC().Add(-175*24*time.Hour).Format(time.RFC3339))
	body, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config, append(body, "retry: {initial_backoff: 2s}\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemonEnv(t, dir, config, environ)
	select {
	case <-second:
	case <-time.After(60 * time.Second):
		d.cmd.Process.Signal(syscall.SIGTERM)
		t.Fatalf("the retry never reached the webhook:\n%s", d.logs())
	}
	d.terminate(t, 15*time.Second)
	s, err := postgres.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if st := deliveriesByStatusPG(t, s); st[domain.StatusPending] != 1 || st["pending-unclaimed"] != 1 {
		t.Errorf("deliveries %v after SIGTERM, want the one pending and given back (unclaimed)\n%s", st, d.logs())
	}
}
