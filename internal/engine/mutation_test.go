package engine

// Tests that pin down behaviour mutation testing (scripts/mutation) found
// unasserted: each says which behaviour, and docs/development.md's
// "Mutation testing" section lists what is left.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/channels/webhook"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
)

// at parses an RFC 3339 time for a test.
func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// rawDB opens the store's database file beside the store, as a second
// process (or an operator with sqlite3) would.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// An outcome the store refuses to record (issue 17, a full disk) is kept
// and its commit retried, the engine saying why meanwhile (Unrecorded, on
// /readyz): once the database takes writes again it is recorded sent, and
// the reminder never goes out twice.
func TestTickKeepsAnOutcomeUntilItIsRecorded(t *testing.T) {
	f := newFixture(t)
	db := rawDB(t, f.store.Path())
	if _, err := db.Exec(`CREATE TRIGGER test_refuse_sent BEFORE UPDATE OF status ON deliveries WHEN NEW.status = 'sent'
		BEGIN SELECT RAISE(ABORT, 'test: the disk is full'); END`); err != nil {
		t.Fatal(err)
	}
	// The refused commit is retried: once the engine says so, the
	// database takes writes again.
	dropped := make(chan error, 1)
	go func() {
		poll := time.NewTicker(10 * time.Millisecond)
		defer poll.Stop()
		for range poll.C {
			if err := f.e.Unrecorded(); err != nil {
				if !strings.Contains(err.Error(), "test: the disk is full") {
					t.Errorf("Unrecorded while the commit is refused = %v, want the store's error", err)
				}
				_, err := db.Exec(`DROP TRIGGER test_refuse_sent`)
				dropped <- err
				return
			}
		}
	}()
	now := at(t, "2026-10-29T00:00:00Z") // 30d is due
	rep, err := f.e.Tick(context.Background(), now)
	if err != nil {
		t.Fatalf("Tick = %v, want the outcome recorded once the database took it", err)
	}
	if err := <-dropped; err != nil {
		t.Fatal(err)
	}
	if err := f.e.Unrecorded(); err != nil {
		t.Errorf("Unrecorded once recorded = %v, want nil", err)
	}
	if rep.Count(domain.StatusSent) != 1 || f.posts.Load() != 1 {
		t.Errorf("outcomes %+v, %d POSTs; want the one send reported", rep.Outcomes, f.posts.Load())
	}
	if got, want := f.deliveries(), "30d#0/hook:sent/1"; got != want {
		t.Errorf("deliveries %q, want %q", got, want)
	}
	// Later passes have nothing to send again.
	if rep, err := f.e.Retry(context.Background(), now.Add(time.Minute)); err != nil || len(rep.Outcomes) != 0 {
		t.Errorf("retry once the claim would have expired: %+v, %v", rep.Outcomes, err)
	}
	if got := f.received(); len(got) != 1 {
		t.Errorf("POSTs %+v, want the delivery once", got)
	}
}

// A channel whose config says no concurrency (a registry type without a
// default, a config built by a program) sends with one worker.
func TestChannelWithoutConcurrencySends(t *testing.T) {
	f := newFixture(t)
	cfg := *f.e.Config()
	hook := *cfg.Channels["hook"]
	hook.Concurrency = 0
	cfg.Channels = map[string]*config.Channel{"hook": &hook, "console": cfg.Channels["console"]}
	if err := f.e.SetConfig(&cfg); err != nil {
		t.Fatal(err)
	}
	rep := f.tick("2026-10-29T00:00:00Z")
	if rep.Count(domain.StatusSent) != 1 || f.posts.Load() != 1 {
		t.Errorf("outcomes %+v, %d POSTs; want 1 sent", rep.Outcomes, f.posts.Load())
	}
}

// gate is a webhook receiver that tells when a request arrived and answers
// only when released.
type gate struct {
	srv     *httptest.Server
	in      chan struct{}
	release chan struct{}
}

func newGate(t *testing.T) *gate {
	g := &gate{in: make(chan struct{}, 100), release: make(chan struct{})}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.in <- struct{}{}
		select {
		case <-g.release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(g.srv.Close)
	return g
}

// A claim is short (here 3 s) and renewed while its send lasts (here a
// webhook that answers only when the test says, with a 1h send timeout):
// another sender cannot take the delivery past the claim's first expiry,
// nor after the send, which is recorded once.
func TestClaimIsRenewedWhileItsSendLasts(t *testing.T) {
	g := newGate(t)
	path := fleetConfig(t, t.TempDir(), 1, map[string]string{"hook": g.srv.URL}, 2)
	e, _ := openEngine(t, path, WithSendTimeout(time.Hour), WithClaimTTL(3*time.Second))
	release := sync.OnceFunc(func() { close(g.release) })
	defer release() // a failure below must not leave the webhook's server hanging
	done := make(chan error, 1)
	go func() {
		_, err := e.Tick(context.Background(), serviceNow)
		done <- err
	}()
	select {
	case <-g.in:
	case err := <-done:
		t.Fatalf("the tick ended (%v) before its send reached the webhook", err)
	}
	dbPath := filepath.Join(filepath.Dir(path), "notifier.db")
	db := rawDB(t, dbPath)
	expiry := func() time.Time {
		t.Helper()
		var s string
		switch err := db.QueryRow(`SELECT claim_expires_at FROM deliveries WHERE claimed_by = ?`, e.Name()).Scan(&s); {
		case errors.Is(err, sql.ErrNoRows):
			return time.Time{} // no longer claimed (the webhook's own timeout, say)
		case err != nil:
			t.Fatal(err)
		}
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	first := expiry()
	// Polling the database for the first renewal, not waiting for a
	// schedule.
	for deadline := time.Now().Add(60 * time.Second); !expiry().After(first); {
		if time.Now().After(deadline) {
			t.Fatalf("the claim was not renewed: it expires at %s still", first.Format(time.RFC3339))
		}
		time.Sleep(50 * time.Millisecond)
	}
	other, err := sqlite.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if got, err := other.ClaimDeliveries(context.Background(), "other", "hook", first, first.Add(time.Hour), 10); err != nil || len(got) != 0 {
		t.Errorf("claimed %d (%v) at the claim's first expiry, want none: it was renewed", len(got), err)
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, err := other.ClaimDeliveries(context.Background(), "other", "hook", first.Add(time.Hour), first.Add(2*time.Hour), 10); err != nil || len(got) != 0 {
		t.Errorf("claimed %d (%v) after the send, want none", len(got), err)
	}
	// None because it was sent, once: not failed, not superseded.
	ds, err := other.Deliveries(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].Status != domain.StatusSent || ds[0].Attempts != 1 {
		t.Errorf("deliveries %+v, want the one sent at its first attempt", ds)
	}
	if n := len(g.in); n != 0 {
		t.Errorf("%d more requests reached the webhook after the first, want none", n)
	}
}

// Without options an engine names itself host:pid:random, a name no other
// engine shares, sends with a 30s timeout and gives sends in flight a 5s
// grace at shutdown; WithClaimant names it.
func TestEngineDefaults(t *testing.T) {
	f := newFixture(t)
	host, _ := os.Hostname()
	want := regexp.MustCompile("^" + regexp.QuoteMeta(fmt.Sprintf("%s:%d:", host, os.Getpid())) + "[0-9a-f]{8}$")
	e2, err := New(f.store, f.e.Config())
	if err != nil {
		t.Fatal(err)
	}
	if !want.MatchString(f.e.Name()) || !want.MatchString(e2.Name()) || f.e.Name() == e2.Name() {
		t.Errorf("names %q and %q, want two different host:pid:xxxxxxxx", f.e.Name(), e2.Name())
	}
	if f.e.sendTimeout != 30*time.Second || f.e.grace != 5*time.Second {
		t.Errorf("send timeout %v, grace %v; want 30s and 5s", f.e.sendTimeout, f.e.grace)
	}
	named, err := New(f.store, f.e.Config(), WithClaimant("standby-b"))
	if err != nil {
		t.Fatal(err)
	}
	if named.Name() != "standby-b" {
		t.Errorf("WithClaimant: name %q", named.Name())
	}
}

// BuildChannels needs no logger (notifier test and check build channels
// without one), and names each channel as the config does.
func TestBuildChannelsWithoutLogger(t *testing.T) {
	f := newFixture(t)
	chans, err := BuildChannels(f.e.Config(), channels.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for name, ch := range chans {
		got = append(got, name+"="+ch.Name()+"/"+ch.Type())
	}
	slices.Sort(got)
	if want := []string{"console=console/stdout", "hook=hook/webhook"}; !slices.Equal(got, want) {
		t.Errorf("channels %v, want %v", got, want)
	}
}

// templatesConfig has a stage with its own subject, a channel with its own
// subject and text, and a channel with neither.
const templatesConfig = `timezone: UTC
policies:
  standard:
    - {before: 30d, channels: [hook], subject: "stage {{.Stage}} for {{.Credential}}"}
    - {before: 7d, channels: [hook, console]}
channels:
  hook: {type: webhook, url: "%s", subject_template: "channel {{.Stage}}", text_template: "channel text: {{.Status}}"}
  console: {type: stdout}
credentials:
  - {id: sp-api-prod, name: SP-API, owner: integrations, rotated_at: 2026-06-01}
`

// A message takes its subject and text from the stage's templates first,
// then the channel's, then the defaults, each part on its own.
func TestMessageTemplatesStageThenChannelThenDefault(t *testing.T) {
	var mu sync.Mutex
	var posts []webhook.Payload
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p webhook.Payload
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		mu.Lock()
		posts = append(posts, p)
		mu.Unlock()
	}))
	defer srv.Close()
	e, _, out := engineFromConfig(t, fmt.Sprintf(templatesConfig, srv.URL))

	if _, err := e.Tick(context.Background(), at(t, "2026-10-29T00:00:00Z")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Tick(context.Background(), at(t, "2026-11-21T00:00:00Z")); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(posts) != 2 {
		t.Fatalf("%d POSTs, want 2: %+v", len(posts), posts)
	}
	for i, want := range []struct{ subject, text string }{
		{"stage 30d for sp-api-prod", "channel text: 30 days remaining"}, // the stage's subject, the channel's text
		{"channel 7d", "channel text: 7 days remaining"},                 // the channel's
	} {
		if posts[i].Subject != want.subject || posts[i].Text != want.text {
			t.Errorf("POST %d: subject %q, text %q; want %q, %q", i, posts[i].Subject, posts[i].Text, want.subject, want.text)
		}
	}
	// The console has no templates: the defaults.
	if s := out.String(); !strings.Contains(s, "--- console [7d] SP-API: 7 days remaining\nSP-API (sp-api-prod), owned by integrations: 7 days remaining.\n") {
		t.Errorf("console output:\n%s", s)
	}
}

// engineFromConfig writes the config text into a fresh folder and opens an
// engine on it, printing stdout channels into the returned buffer.
func engineFromConfig(t *testing.T, text string, opts ...Option) (*Engine, *sqlite.Store, *bytes.Buffer) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	out := &bytes.Buffer{}
	e, store := openEngine(t, path, append([]Option{WithStdout(out)}, opts...)...)
	return e, store, out
}

// The stages a tick skips (missed during downtime) are in its report, with
// the reason, beside what it sent.
func TestTickReportsSkippedStages(t *testing.T) {
	f := newFixture(t)
	rep := f.tick("2026-11-28T00:00:00Z") // the deadline: 30d and 7d were never sent
	var got []string
	for _, o := range rep.Outcomes {
		got = append(got, fmt.Sprintf("%s %s#%d/%s: %s", o.Status, o.Stage, o.Seq, o.Channel, o.Detail))
	}
	slices.Sort(got)
	want := []string{
		"sent overdue#0/hook: SP-API: deadline reached",
		"skipped 30d#0/hook: missed: stage overdue was due by then",
		"skipped 7d#0/console: missed: stage overdue was due by then",
		"skipped 7d#0/hook: missed: stage overdue was due by then",
	}
	if !slices.Equal(got, want) {
		t.Errorf("outcomes\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A tick plans every due cycle, however many batches of planBatch that
// takes: one more credential than a batch all get their reminder.
func TestTickPlansEveryBatch(t *testing.T) {
	const n = planBatch + 1
	var b strings.Builder
	b.WriteString("timezone: UTC\npolicies:\n  standard:\n    - {before: 7d, channels: [console]}\nchannels:\n  console: {type: stdout}\ncredentials:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {id: cred-%04d, rotated_at: 2026-06-01}\n", i)
	}
	e, store, out := engineFromConfig(t, b.String())
	if err := e.Sync(context.Background(), serviceNow); err != nil {
		t.Fatal(err)
	}
	if err := e.planDue(context.Background(), e.view(), serviceNow, &Report{}); err != nil {
		t.Fatal(err)
	}
	ds, err := store.Deliveries(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != n || ds[n-1].CredentialID != fmt.Sprintf("cred-%04d", n-1) {
		t.Errorf("%d deliveries planned, want %d", len(ds), n)
	}
	if out.Len() != 0 {
		t.Errorf("planning printed %q", out.String())
	}
}

// logRecords decodes a JSON log.
func logRecords(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(buf.String()) {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, r)
	}
	buf.Reset()
	return out
}

func hasLog(records []map[string]any, msg string, attrs map[string]any) bool {
	for _, r := range records {
		if r["msg"] != msg {
			continue
		}
		ok := true
		for k, v := range attrs {
			if fmt.Sprint(r[k]) != fmt.Sprint(v) {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// A sync logs what it changed: the settings that make cycles due again
// (debug) and each credential it added or retired; a sync with nothing
// changed logs none of it.
func TestSyncLogsWhatChanged(t *testing.T) {
	var buf bytes.Buffer
	f := newFixture(t)
	e, err := New(f.store, f.e.Config(), WithLogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	now := at(t, "2026-10-01T00:00:00Z")
	if err := e.Sync(context.Background(), now); err != nil {
		t.Fatal(err)
	}
	logs := logRecords(t, &buf)
	if !hasLog(logs, "settings changed; the cycles they touch are planned again", map[string]any{"keys": []any{"policy:standard", "timezone"}}) {
		t.Errorf("first sync: no settings change logged: %v", logs)
	}
	if !hasLog(logs, "credential added", map[string]any{"credential": "sp-api-prod"}) {
		t.Errorf("first sync: no credential added logged: %v", logs)
	}
	if err := e.Sync(context.Background(), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if logs := logRecords(t, &buf); hasLog(logs, "settings changed; the cycles they touch are planned again", nil) ||
		hasLog(logs, "credential added", nil) {
		t.Errorf("second sync, nothing changed: %v", logs)
	}
}

// Each credential file is synced from its own content, the main file's
// credentials from the main file: both files' credentials are known, each
// as coming from its file.
func TestCredentialFilesAreSyncedFromTheirFile(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(main, []byte(`timezone: UTC
credential_files: [teams/*.yaml]
policies:
  standard:
    - {before: 7d, channels: [console]}
channels:
  console: {type: stdout}
credentials:
  - {id: in-main, rotated_at: 2026-06-01}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "teams"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "teams", "payments.yaml"), []byte("credentials:\n  - {id: in-file, rotated_at: 2026-06-02}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	e, store := openEngine(t, main, WithStdout(&out))
	if _, err := e.Tick(context.Background(), serviceNow.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	states, err := store.States(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range states {
		got = append(got, fmt.Sprintf("%s %s active=%t %s", s.ID, filepath.Base(s.File), s.Active, s.Start.Format("2006-01-02")))
	}
	want := []string{"in-file payments.yaml active=true 2026-06-02", "in-main config.yaml active=true 2026-06-01"}
	if !slices.Equal(got, want) {
		t.Errorf("credentials %v, want %v", got, want)
	}
	if s := out.String(); !strings.Contains(s, "in-main") || !strings.Contains(s, "in-file") {
		t.Errorf("reminders:\n%s\nwant one for each credential", s)
	}
}

// Status says, per credential, the active stage and the state: ok before
// the first stage, due once a stage is active, overdue from the deadline,
// inactive once removed; who acknowledged, and failed deliveries.
func TestStatus(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	deadline := at(t, "2026-11-28T00:00:00Z") // rotated 2026-06-01 + 180d
	status := func(now string) CredentialStatus {
		t.Helper()
		st, err := f.e.Status(ctx, at(t, now))
		if err != nil || len(st) != 1 {
			t.Fatalf("Status at %s = %+v, %v", now, st, err)
		}
		return st[0]
	}
	for _, tt := range []struct {
		now, stage, state string
		days              int
	}{
		{"2026-10-28T23:59:59Z", "", StateOK, 31},
		{"2026-10-29T00:00:00Z", "30d", StateDue, 30},
		{"2026-11-21T00:00:00Z", "7d", StateDue, 7},
		{"2026-11-27T23:59:59Z", "7d", StateDue, 1},
		{"2026-11-28T00:00:00Z", "overdue", StateOverdue, 0},
		{"2026-12-01T00:00:00Z", "overdue", StateOverdue, -3},
	} {
		f.tick(tt.now) // status reads what the tick synced
		st := status(tt.now)
		if st.ID != "sp-api-prod" || st.Name != "SP-API" || st.Owner != "integrations" || !st.Deadline.Equal(deadline) ||
			st.Stage != tt.stage || st.State != tt.state || st.DaysRemaining != tt.days || st.Acknowledged || st.FailedDeliveries != 0 {
			t.Errorf("at %s: %+v; want stage %q, state %s, %d days remaining", tt.now, st, tt.stage, tt.state, tt.days)
		}
	}

	if err := f.e.Acknowledge(ctx, Ack{Credential: "sp-api-prod", At: at(t, "2026-12-01T01:00:00Z"), By: "alice", Source: "cli"}); err != nil {
		t.Fatal(err)
	}
	if st := status("2026-12-01T00:59:59Z"); st.Acknowledged || st.AcknowledgedBy != "" {
		t.Errorf("before the acknowledgment: %+v", st)
	}
	if st := status("2026-12-01T01:00:00Z"); !st.Acknowledged || st.AcknowledgedBy != "alice" {
		t.Errorf("at the acknowledgment: %+v", st)
	}

	f.editConfig("id: sp-api-prod", "id: sp-api-next", at(t, "2026-12-01T02:00:00Z"))
	f.tick("2026-12-01T02:00:00Z")
	st, err := f.e.Status(ctx, at(t, "2026-12-01T02:00:00Z"))
	if err != nil || len(st) != 2 {
		t.Fatalf("Status after the removal = %+v, %v", st, err)
	}
	if st[1].ID != "sp-api-prod" || st[1].State != StateInactive || st[1].Stage != "" {
		t.Errorf("removed credential: %+v, want inactive with no stage", st[1])
	}
}

// A delivery that finally failed is counted in its credential's status.
func TestStatusCountsFailedDeliveries(t *testing.T) {
	f := newFixture(t)
	f.code.Store(http.StatusBadRequest) // permanent: failed at once
	if rep := f.tick("2026-10-29T00:00:00Z"); rep.Count(domain.StatusFailed) != 1 {
		t.Fatalf("outcomes %+v", rep.Outcomes)
	}
	st, err := f.e.Status(context.Background(), at(t, "2026-10-29T00:00:00Z"))
	if err != nil || len(st) != 1 || st[0].FailedDeliveries != 1 {
		t.Errorf("Status = %+v, %v; want 1 failed delivery", st, err)
	}
}

// Plan lists what goes out if nobody acts, in time order, and for the same
// moment by credential; a reminder due now is listed at now.
func TestPlanOrdersByTimeThenCredential(t *testing.T) {
	f := newFixture(t)
	now := at(t, "2026-10-30T00:00:00Z") // 30d has been due since yesterday, not sent
	f.editConfig("credentials:\n", "credentials:\n  - {id: aaa-first, name: First, rotated_at: 2026-06-01}\n", now)
	if err := f.e.Sync(context.Background(), now); err != nil {
		t.Fatal(err)
	}
	ups, err := f.e.Plan(context.Background(), now, schedule.MustSpan("31d"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range ups {
		got = append(got, fmt.Sprintf("%s %s %s#%d %v %d", u.At.Format(time.RFC3339), u.Credential, u.Stage, u.Seq, u.Channels, u.DaysRemaining))
	}
	want := []string{
		"2026-10-30T00:00:00Z aaa-first 30d#0 [hook] 29",
		"2026-10-30T00:00:00Z sp-api-prod 30d#0 [hook] 29",
		"2026-11-21T00:00:00Z aaa-first 7d#0 [hook console] 7",
		"2026-11-21T00:00:00Z sp-api-prod 7d#0 [hook console] 7",
		"2026-11-28T00:00:00Z aaa-first overdue#0 [hook] 0",
		"2026-11-28T00:00:00Z sp-api-prod overdue#0 [hook] 0",
		"2026-11-29T00:00:00Z aaa-first overdue#1 [hook] -1",
		"2026-11-29T00:00:00Z sp-api-prod overdue#1 [hook] -1",
		"2026-11-30T00:00:00Z aaa-first overdue#2 [hook] -2",
		"2026-11-30T00:00:00Z sp-api-prod overdue#2 [hook] -2",
	}
	if !slices.Equal(got, want) {
		t.Errorf("plan\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Acknowledge needs to know who; a second acknowledgment of the cycle
// records nothing and says who was first.
func TestAcknowledge(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.tick("2026-11-21T00:00:00Z")
	if err := f.e.Acknowledge(ctx, Ack{Credential: "sp-api-prod", At: at(t, "2026-11-21T01:00:00Z"), Source: "cli"}); err == nil || !strings.Contains(err.Error(), "--by") {
		t.Errorf("ack without --by: %v", err)
	}
	if err := f.e.Acknowledge(ctx, Ack{Credential: "sp-api-prod", At: at(t, "2026-11-21T02:00:00Z"), By: "alice", Source: "cli"}); err != nil {
		t.Fatal(err)
	}
	err := f.e.Acknowledge(ctx, Ack{Credential: "sp-api-prod", At: at(t, "2026-11-21T03:00:00Z"), By: "bob", Source: "cli"})
	var already *domain.AlreadyAcknowledged
	if !errors.As(err, &already) || already.By != "alice" || !already.At.Equal(at(t, "2026-11-21T02:00:00Z")) {
		t.Errorf("second ack: %v, want already acknowledged by alice at 02:00", err)
	}
	acks, err := f.store.History(ctx, domain.HistoryFilter{CredentialID: "sp-api-prod", Type: domain.EventAck})
	if err != nil || len(acks) != 1 || acks[0].Actor != "alice" {
		t.Errorf("ack events %+v, %v; want alice's only", acks, err)
	}
}
