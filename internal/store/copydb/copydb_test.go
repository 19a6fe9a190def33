package copydb_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
	"github.com/notifier-dev/notifier/internal/store/copydb"
	"github.com/notifier-dev/notifier/internal/store/postgres"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
	"github.com/notifier-dev/notifier/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// awsState is what the stores say about a database's AWS sources, probes
// and rotation requests.
type awsState struct {
	Sourced  []domain.SourcedCredential
	Probes   map[string]domain.ProbeTimes
	LastCall time.Time
	Pending  map[string]time.Time
	Cycle    domain.Cycle
}

type awsStore interface {
	SourcedCredentials(context.Context) ([]domain.SourcedCredential, error)
	LastProbes(context.Context) (map[string]domain.ProbeTimes, error)
	LastRotationCall(context.Context, string) (time.Time, error)
	PendingRotationRequests(context.Context) (map[string]time.Time, error)
	Cycle(context.Context, string) (domain.Cycle, error)
	RecordProbe(context.Context, domain.Probe, time.Time) (int, error)
	RecordRotationRequest(context.Context, domain.RotationRequest, time.Time) error
	RecordSourceVersion(context.Context, domain.SourceVersion, time.Time) (string, error)
	CopySide() copydb.DB
}

func stateOf(t *testing.T, s awsStore) awsState {
	t.Helper()
	ctx := t.Context()
	var st awsState
	var err error
	if st.Sourced, err = s.SourcedCredentials(ctx); err != nil {
		t.Fatal(err)
	}
	if st.Probes, err = s.LastProbes(ctx); err != nil {
		t.Fatal(err)
	}
	if st.LastCall, err = s.LastRotationCall(ctx, "amzn1.application-oa2-client.x"); err != nil {
		t.Fatal(err)
	}
	if st.Pending, err = s.PendingRotationRequests(ctx); err != nil {
		t.Fatal(err)
	}
	if st.Cycle, err = s.Cycle(ctx, "erp-db"); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestCopyCarriesAWSSources: a SQLite database with a credential dated by
// Parameter Store (a version that rotated it), an SP-API credential with a
// rejected and an ok probe and an accepted rotation request, copied to
// PostgreSQL and back to a new SQLite file, says the same on all three;
// the copies' identities go on after the copied ids (a new probe and
// version are recorded on each).
func TestCopyCarriesAWSSources(t *testing.T) {
	ctx := t.Context()
	t0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	src := domain.AWSSource{Kind: domain.SourceSSM, Name: "/erp/db/password", Region: "us-east-2", Endpoint: "http://127.0.0.1:9"}
	creds := []domain.Credential{
		{ID: "erp-db", Name: "ERP database", Owner: "ops", RotatedAt: t0, RotationPeriod: schedule.MustSpan("90d"), Policy: "default",
			Source: src, DatedBy: domain.SourceSSM},
		{ID: "sp-api", Name: "SP-API app", Owner: "ops", RotatedAt: t0, RotationPeriod: schedule.MustSpan("180d"), Policy: "default",
			LWAClientID: "amzn1.application-oa2-client.x"},
	}
	dir := t.TempDir()
	orig, err := sqlite.Open(ctx, filepath.Join(dir, "notifier.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	if _, err := orig.SyncFile(ctx, domain.ConfigFile{Path: "c.yaml", Size: 1, ModTime: t0, Hash: "h"}, creds, domain.SyncOptions{}, t0); err != nil {
		t.Fatal(err)
	}
	day := func(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }
	if st, err := orig.RecordSourceVersion(ctx, domain.SourceVersion{CredentialID: "erp-db", Source: domain.SourceSSM, Version: "7", At: day(2)}, day(3)); err != nil || st != domain.VersionRotated {
		t.Fatalf("RecordSourceVersion = %q, %v; want %q", st, err, domain.VersionRotated)
	}
	slack := func(string) []string { return []string{"slack"} }
	for i, outcome := range []string{domain.ProbeRejected, domain.ProbeOK} {
		if _, err := orig.RecordProbe(ctx, domain.Probe{CredentialID: "sp-api", At: day(4 + i), Outcome: outcome, Channels: slack}, day(4+i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := orig.RecordRotationRequest(ctx, domain.RotationRequest{CredentialID: "sp-api", At: day(6), Outcome: domain.RequestAccepted,
		Actor: "alice", Called: true}, day(6)); err != nil {
		t.Fatal(err)
	}
	want := stateOf(t, orig)
	if len(want.Sourced) != 1 || want.Probes["sp-api"].Verified.IsZero() || want.LastCall.IsZero() || len(want.Pending) != 1 {
		t.Fatalf("the original says too little: %+v", want)
	}

	srv := pgtest.Current(t)
	pg, err := postgres.Open(ctx, srv.UserURL(srv.Database(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	back, err := sqlite.Open(ctx, filepath.Join(dir, "back.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	wantCounts := copydb.Counts{"source_versions": 1, "lwa_probes": 2, "rotation_requests": 1}
	for _, step := range []struct {
		name     string
		from, to awsStore
	}{{"to PostgreSQL", orig, pg}, {"back to SQLite", pg, back}} {
		counts, err := copydb.Copy(ctx, step.from.CopySide(), step.to.CopySide())
		if err != nil {
			t.Fatalf("copy %s: %v", step.name, err)
		}
		for table, n := range wantCounts {
			if counts[table] != n {
				t.Errorf("copy %s: %d rows of %s; want %d", step.name, counts[table], table, n)
			}
		}
		if got := stateOf(t, step.to); !reflect.DeepEqual(got, want) {
			t.Errorf("copy %s says\n%+v\nwant\n%+v", step.name, got, want)
		}
	}
	// The copies go on: new rows get new ids.
	for name, s := range map[string]awsStore{"postgres": pg, "back": back} {
		if _, err := s.RecordProbe(ctx, domain.Probe{CredentialID: "sp-api", At: day(7), Outcome: domain.ProbeOK}, day(7)); err != nil {
			t.Errorf("%s: a probe after the copy: %v", name, err)
		}
		if st, err := s.RecordSourceVersion(ctx, domain.SourceVersion{CredentialID: "erp-db", Source: domain.SourceSSM, Version: "8", At: day(8)}, day(8)); err != nil || st != domain.VersionRotated {
			t.Errorf("%s: a version after the copy = %q, %v; want %q", name, st, err, domain.VersionRotated)
		}
	}
}
