package postgres

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/chain"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
	"github.com/notifier-dev/notifier/internal/testutil/pgtest"
)

var t0 = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func credential(id string) domain.Credential {
	return domain.Credential{ID: id, Name: "Credential " + id, Owner: "team", RotatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		RotationPeriod: schedule.MustSpan("180d"), Policy: "default"}
}

func syncOne(t *testing.T, s *Store, ids ...string) {
	t.Helper()
	var creds []domain.Credential
	for _, id := range ids {
		creds = append(creds, credential(id))
	}
	f := domain.ConfigFile{Path: "credentials.yaml", Size: 1, ModTime: t0, Hash: "h"}
	if _, err := s.SyncFile(t.Context(), f, creds, domain.SyncOptions{}, t0); err != nil {
		t.Fatal(err)
	}
}

// TestAppendOnlyTriggers: the history, rotations, acknowledgments, probes,
// rotation requests, source versions, the deadlines Amazon stated and its
// notifications refuse UPDATE, DELETE and TRUNCATE, even from the role
// that owns them; credentials refuse DELETE.
func TestAppendOnlyTriggers(t *testing.T) {
	s, _ := openTest(t)
	syncOne(t, s, "alpha")
	if _, err := s.RecordAck(t.Context(), domain.Ack{CredentialID: "alpha", At: t0, Actor: "alice", Source: "cli"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordProbe(t.Context(), domain.Probe{CredentialID: "alpha", At: t0, Outcome: domain.ProbeOK}, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordRotationRequest(t.Context(), domain.RotationRequest{CredentialID: "alpha", At: t0, Outcome: domain.RequestFailed, Actor: "alice"}, t0); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ stmt, want string }{
		{`UPDATE events SET detail = 'forged'`, "events are append-only"},
		{`DELETE FROM events`, "events are append-only"},
		{`TRUNCATE events`, "events are append-only"},
		{`UPDATE rotations SET rotated_at = now()`, "rotations are append-only"},
		{`DELETE FROM rotations`, "rotations are append-only"},
		{`UPDATE acknowledgments SET actor = 'mallory'`, "acknowledgments are append-only"},
		{`DELETE FROM acknowledgments`, "acknowledgments are append-only"},
		{`TRUNCATE acknowledgments`, "acknowledgments are append-only"},
		{`DELETE FROM credentials`, "credentials are never deleted"},
		{`UPDATE lwa_probes SET outcome = 'rejected'`, "probes are append-only"},
		{`DELETE FROM lwa_probes`, "probes are append-only"},
		{`TRUNCATE lwa_probes`, "probes are append-only"},
		{`UPDATE rotation_requests SET called = TRUE`, "rotation requests are append-only"},
		{`DELETE FROM rotation_requests`, "rotation requests are append-only"},
		{`TRUNCATE rotation_requests`, "rotation requests are append-only"},
		{`TRUNCATE source_versions`, "source versions are append-only"},
		{`TRUNCATE cycle_deadlines`, "cycle deadlines are append-only"},
		{`UPDATE cycle_terms SET deadline = now()`, "cycle terms are append-only"},
		{`DELETE FROM cycle_terms`, "cycle terms are append-only"},
		{`TRUNCATE cycle_terms`, "cycle terms are append-only"},
		{`TRUNCATE amazon_notifications`, "notifications are append-only"},
	}
	for _, tc := range tests {
		_, err := s.db.ExecContext(t.Context(), tc.stmt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.stmt, err, tc.want)
		}
	}
	evs, err := s.History(t.Context(), domain.HistoryFilter{})
	if err != nil || len(evs) != 4 {
		t.Fatalf("history after the refusals: %d events, %v; want the 4 recorded", len(evs), err)
	}
	for _, e := range evs {
		if e.Detail == "forged" {
			t.Errorf("event %d was changed", e.ID)
		}
	}
}

// TestMigrations: replicas opening one new database at once migrate it
// once; every migration is recorded; a reopen applies nothing.
func TestMigrations(t *testing.T) {
	u := testURL(t, pgtest.Current(t).Database(t))
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() {
			s, err := Open(t.Context(), u)
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d at once: %v", i, err)
		}
	}
	s, err := Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ms, err := s.Migrations(t.Context())
	want := []string{"0001_init", "0002_audit_views", "0003_aws_sources", "0004_aws_sources_truncate", "0005_amazon_truncate", "0006_database_id", "0007_recorded_at", "0008_cycle_terms", "0009_retractions", "0010_notices", "0013_days_late", "0014_amazon_terms", "0015_view_indexes", "0016_plan_order", "0019_announce_not_reminder", "0020_snooze", "0024_digests", "0028_owner_index", "0029_credential_deadline", "0030_events_time_id"}
	if err != nil || len(ms) != len(want) {
		t.Fatalf("migrations = %+v, %v; want %v, once each", ms, err, want)
	}
	for i, m := range ms {
		if m.Name != want[i] || m.AppliedAt.IsZero() {
			t.Fatalf("migrations = %+v; want %v, once each, with their times", ms, want)
		}
	}
}

// TestOpenRefusals: a wrong password, an unknown database and a bad URL
// are clear one-line errors that never carry the password.
func TestOpenRefusals(t *testing.T) {
	srv := pgtest.Current(t)
	name := srv.Database(t)
	wrong := func(db, pw string) string {
		u, _ := url.Parse(srv.PasswordURL(db))
		u.User = url.UserPassword(pgtest.PasswordRole, pw)
		return u.String()
	}
	tests := []struct {
		name, url, secret, want string
	}{
		{"wrong password", wrong(name, "hunter2-wrong-Zq9"), "hunter2-wrong-Zq9", "password authentication failed"},
		{"unknown database", wrong("nosuchdb", pgtest.Password), pgtest.Password, "nosuchdb"},
		{"bad URL", "postgres://u:s3cr3t-Xy@127.0.0.1:notaport/db", "s3cr3t-Xy", "store:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(t.Context(), tc.url)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if strings.Contains(err.Error(), tc.secret) {
				t.Errorf("error carries the password: %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

// TestReadOnly: a reader sees what the daemon wrote and cannot write.
func TestReadOnly(t *testing.T) {
	s, u := openTest(t)
	syncOne(t, s, "alpha")
	r, err := OpenReadOnly(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if c, err := r.Cycle(t.Context(), "alpha"); err != nil || c.ID != "alpha" {
		t.Fatalf("Cycle through the reader: %+v, %v", c, err)
	}
	_, err = r.RecordAck(t.Context(), domain.Ack{CredentialID: "alpha", At: t0, Actor: "alice", Source: "cli"})
	if err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("RecordAck through the reader: %v, want a read-only refusal", err)
	}
	empty := testURL(t, pgtest.Current(t).Database(t))
	if r, err := OpenReadOnly(t.Context(), empty); err == nil {
		r.Close()
		t.Fatal("OpenReadOnly of a database never migrated succeeded")
	}
}

// TestAcksAtOnce: two replicas acknowledging one cycle at once record one
// acknowledgment; the other is told who acknowledged.
func TestAcksAtOnce(t *testing.T) {
	s, u := openTest(t)
	syncOne(t, s, "alpha")
	other, err := Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for round := range 10 {
		id := "c" + string(rune('a'+round))
		syncOne(t, s, id)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, st := range []*Store{s, other} {
			wg.Go(func() {
				_, errs[i] = st.RecordAck(t.Context(), domain.Ack{CredentialID: id, At: t0, Actor: "r" + string(rune('0'+i)), Source: "cli"})
			})
		}
		wg.Wait()
		var already *domain.AlreadyAcknowledged
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.As(err, &already):
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d acknowledgments recorded, want 1 (%v)", round, ok, errs)
		}
	}
}

// TestChainTamperedBySuperuser: someone with the database's superuser
// turns the append-only triggers off and edits a rotation, then an event;
// verify names each.
func TestChainTamperedBySuperuser(t *testing.T) {
	srv := pgtest.Current(t)
	name := srv.Database(t)
	s, err := Open(t.Context(), testURL(t, name))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	syncOne(t, s, "alpha", "beta")
	rep, err := s.VerifyChain(t.Context(), chain.Options{})
	if err != nil || rep.Problem != nil || rep.Rows != 4 {
		t.Fatalf("before: %+v, %v; want 4 rows intact", rep, err)
	}
	su, err := sql.Open("pgx", srv.URL(name))
	if err != nil {
		t.Fatal(err)
	}
	defer su.Close()
	// A rotation's time moved where the chain cannot see it: the table
	// check names it.
	if _, err := su.ExecContext(t.Context(), `ALTER TABLE rotations DISABLE TRIGGER rotations_append_only;
		UPDATE rotations SET rotated_at = rotated_at + interval '1 day' WHERE credential_id = 'beta';
		ALTER TABLE rotations ENABLE TRIGGER rotations_append_only`); err != nil {
		t.Fatal(err)
	}
	rep, err = s.VerifyChain(t.Context(), chain.Options{})
	if err != nil || rep.Problem == nil || rep.Problem.Kind != chain.KindTable || !strings.Contains(rep.Problem.Detail, "beta at 2026-01-02T00:00:00Z") {
		t.Fatalf("after an edit of beta's rotation: %+v, %v; want the rotations table named", rep.Problem, err)
	}
	if _, err := su.ExecContext(t.Context(), `ALTER TABLE events DISABLE TRIGGER events_append_only;
		UPDATE events SET detail = 'forged' WHERE id = 2;
		ALTER TABLE events ENABLE TRIGGER events_append_only`); err != nil {
		t.Fatal(err)
	}
	rep, err = s.VerifyChain(t.Context(), chain.Options{})
	if err != nil || rep.Problem == nil || rep.Problem.Row != 2 {
		t.Fatalf("after an edit of row 2: %+v, %v; want row 2 named", rep.Problem, err)
	}
}

// TestListenDue: an acknowledgment recorded through another handle (another
// replica) wakes a listener at its commit.
func TestListenDue(t *testing.T) {
	s, u := openTest(t)
	syncOne(t, s, "alpha")
	other, err := Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	woken := make(chan struct{}, 10)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	listening := make(chan struct{})
	go s.ListenDue(ctx, func() { woken <- struct{}{} })
	// The listener is up once a notification sent now comes back.
	go func() {
		for {
			s.db.ExecContext(ctx, `SELECT pg_notify('notifier_due', '')`)
			select {
			case <-listening:
				return
			case <-ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	select {
	case <-woken:
		close(listening)
	case <-time.After(30 * time.Second): // a liveness bound
		t.Fatal("the listener never started")
	}
	for len(woken) > 0 {
		<-woken
	}
	if _, err := other.RecordAck(t.Context(), domain.Ack{CredentialID: "nosuch", At: t0, Actor: "bob", Source: "cli"}); err == nil {
		t.Fatal("an ack of an unknown credential succeeded")
	}
	if _, err := other.RecordAck(t.Context(), domain.Ack{CredentialID: "alpha", At: t0, Actor: "alice", Source: "cli"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-woken:
	case <-time.After(30 * time.Second):
		t.Fatal("no notification after an acknowledgment through another handle")
	}
}

// TestWriteAfterARestart: PostgreSQL restarted under an open store cuts
// its pooled connections; the next write is not lost to one of them, it
// is made on a new connection.
func TestWriteAfterARestart(t *testing.T) {
	s, _ := openTest(t)
	syncOne(t, s, "alpha")
	if err := pgtest.Current(t).Restart(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordAck(t.Context(), domain.Ack{CredentialID: "alpha", At: t0, Actor: "alice", Source: "cli"}); err != nil {
		t.Fatalf("the first write after the restart: %v", err)
	}
}
