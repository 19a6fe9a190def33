package engine

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/amazon"
	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
	"github.com/notifier-dev/notifier/internal/testutil/awsjson"
)

// TestSources: credentials whose rotation dates come from Parameter Store
// and Secrets Manager (the in-test AWS JSON server behind the real SDK
// clients: no emulator of these services is reachable here), through
// ticks: the first cycle starts at the current version's date, a new
// value records one rotation, a policy-only edit none, an unreachable
// source changes nothing and the tick goes on.
func TestSources(t *testing.T) {
	awsjson.SetEnv(t)
	srv := awsjson.Start(t)
	day := func(n int) time.Time { return time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, n) }
	const secretValue = "db-password-VALUE-1"
	srv.PutParameter("/erp/db", secretValue, day(0))
	srv.SetSecret("erp/api", day(3), awsjson.Version{ID: "v1", Created: day(3), Stages: []string{"AWSCURRENT"}})

	body := fmt.Sprintf(`timezone: UTC
policies:
  standard:
    - {before: 30d, channels: [console]}
channels:
  console: {type: stdout}
credentials:
  - id: erp-db
    source: {ssm_parameter: /erp/db}
    aws: {region: us-east-2, endpoint: %q}
  - id: erp-api
    rotated_at: 2026-05-01
    source: {secretsmanager_secret: erp/api}
    aws: {endpoint: %q}
  - {id: plain, rotated_at: 2026-05-01}
`, srv.URL, srv.URL)
	r := newAmazonRig(t, body, day(10), nil)
	e, store, logs := r.e, r.store, r.logs
	ctx := t.Context()
	tick := func(at time.Time) {
		t.Helper()
		if _, err := e.Tick(ctx, at); err != nil {
			t.Fatalf("tick at %s: %v", at, err)
		}
	}
	cycle := func(id string) domain.Cycle {
		t.Helper()
		c, err := store.Cycle(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	rotations := func(id string) []string {
		t.Helper()
		evs, err := store.History(ctx, domain.HistoryFilter{CredentialID: id, Type: domain.EventRotation})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, ev := range evs {
			out = append(out, ev.Status+" "+ev.Time.Format(time.RFC3339))
		}
		return out
	}

	steps := []struct {
		name   string
		before func()
		at     time.Time
		id     string
		want   []string // the rotation events, in order
	}{
		{"no rotated_at: the first cycle starts at the parameter's version", nil, day(10), "erp-db",
			[]string{"ssm " + day(0).Format(time.RFC3339)}},
		{"rotated_at before the secret's version: the version records a rotation", nil, day(10), "erp-api",
			[]string{"config 2026-05-01T00:00:00Z", "secretsmanager " + day(3).Format(time.RFC3339)}},
		{"a policy-only edit (the same value put again) is no rotation", func() { srv.PutParameter("/erp/db", secretValue, day(11)) }, day(12), "erp-db",
			[]string{"ssm " + day(0).Format(time.RFC3339)}},
		{"a new value is one rotation at its date", func() { srv.PutParameter("/erp/db", "db-password-VALUE-2", day(13)) }, day(14), "erp-db",
			[]string{"ssm " + day(0).Format(time.RFC3339), "ssm " + day(13).Format(time.RFC3339)}},
		{"and only one, however many syncs see it", nil, day(15), "erp-db",
			[]string{"ssm " + day(0).Format(time.RFC3339), "ssm " + day(13).Format(time.RFC3339)}},
		{"Secrets Manager's new AWSCURRENT is one rotation", func() {
			srv.SetSecret("erp/api", day(16), awsjson.Version{ID: "v1", Created: day(3), Stages: []string{"AWSPREVIOUS"}},
				awsjson.Version{ID: "v2", Created: day(16), Stages: []string{"AWSCURRENT"}})
		}, day(17), "erp-api",
			[]string{"config 2026-05-01T00:00:00Z", "secretsmanager " + day(3).Format(time.RFC3339), "secretsmanager " + day(16).Format(time.RFC3339)}},
		{"a source that hangs changes nothing; the tick goes on", func() {
			srv.SetMode(awsjson.Hang)
			srv.PutParameter("/erp/db", "db-password-VALUE-3", day(18))
		}, day(19), "erp-db",
			[]string{"ssm " + day(0).Format(time.RFC3339), "ssm " + day(13).Format(time.RFC3339)}},
		{"back: the version is recorded at its date", func() { srv.SetMode(awsjson.Normal) }, day(20), "erp-db",
			[]string{"ssm " + day(0).Format(time.RFC3339), "ssm " + day(13).Format(time.RFC3339), "ssm " + day(18).Format(time.RFC3339)}},
	}
	for _, st := range steps {
		if st.before != nil {
			st.before()
		}
		tick(st.at)
		if got := rotations(st.id); strings.Join(got, "\n") != strings.Join(st.want, "\n") {
			t.Errorf("%s: rotations of %s:\n%s\nwant:\n%s", st.name, st.id, strings.Join(got, "\n"), strings.Join(st.want, "\n"))
		}
	}
	if c := cycle("plain"); c.Source != "config" {
		t.Errorf("plain's cycle source = %s", c.Source)
	}
	if !strings.Contains(logs.String(), "source not read") {
		t.Errorf("the hung source is not logged:\n%s", logs.String())
	}
	if data, err := os.ReadFile(e.Config().Database); err != nil {
		t.Fatal(err)
	} else if bytes.Contains(data, []byte("VALUE-")) {
		t.Error("a parameter's value is in the database")
	}
	if strings.Contains(logs.String(), "VALUE-") {
		t.Errorf("a parameter's value is in the log:\n%s", logs.String())
	}
}

// TestSourceDatesNewCredential: a credential with a source and no
// rotated_at whose source cannot be read is not added (logged), while the
// rest of its file is; the next sync that can read it adds it, though the
// file did not change.
func TestSourceDatesNewCredential(t *testing.T) {
	awsjson.SetEnv(t)
	srv := awsjson.Start(t)
	at := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	srv.PutParameter("/x", "v", at)
	srv.SetMode(awsjson.Echo)
	body := fmt.Sprintf("policies:\n  standard:\n    - {before: 30d, channels: [console]}\nchannels:\n  console: {type: stdout}\ncredentials:\n  - id: x\n    source: {ssm_parameter: /x}\n    aws: {endpoint: %q}\n  - {id: y, rotated_at: 2026-04-01}\n", srv.URL)
	r := newAmazonRig(t, body, at.AddDate(0, 0, 5), nil)
	e, store, logs := r.e, r.store, r.logs
	if _, err := e.Tick(t.Context(), at.AddDate(0, 0, 5)); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Cycle(t.Context(), "x"); err == nil {
		t.Fatal("x was added without a date")
	}
	if _, err := store.Cycle(t.Context(), "y"); err != nil {
		t.Errorf("y, of the same file, was not added: %v", err)
	}
	if !strings.Contains(logs.String(), "credential not added yet: it has no rotated_at and its source cannot be read") ||
		!strings.Contains(logs.String(), "X-Amz-Security-Token=<redacted>") || strings.Contains(logs.String(), awsjson.SessionToken) {
		t.Errorf("log:\n%s", logs.String())
	}
	srv.SetMode(awsjson.Normal)
	if _, err := e.Tick(context.Background(), at.AddDate(0, 0, 6)); err != nil {
		t.Fatal(err)
	}
	c, err := store.Cycle(t.Context(), "x")
	if err != nil || c.Source != domain.SourceSSM || !c.Start.Equal(at) {
		t.Errorf("x's cycle = %+v, %v; want one of source ssm from %s", c, err, at)
	}
}

// TestSourceDateNotInFuture: a run at --at before the source's current
// version starts the first cycle at --at, never later, and the version
// is then known: no "not newer" event for it.
func TestSourceDateNotInFuture(t *testing.T) {
	awsjson.SetEnv(t)
	srv := awsjson.Start(t)
	version := time.Date(2026, 6, 20, 9, 30, 0, 0, time.UTC)
	at := time.Date(2026, 6, 10, 0, 0, 0, 0, time.UTC)
	srv.PutParameter("/x", "v", version)
	body := fmt.Sprintf("policies:\n  standard:\n    - {before: 30d, channels: [console]}\nchannels:\n  console: {type: stdout}\ncredentials:\n  - id: x\n    source: {ssm_parameter: /x}\n    aws: {endpoint: %q}\n", srv.URL)
	r := newAmazonRig(t, body, at, nil)
	e, store := r.e, r.store
	if _, err := e.Tick(t.Context(), at); err != nil {
		t.Fatal(err)
	}
	c, err := store.Cycle(t.Context(), "x")
	if err != nil || !c.Start.Equal(at) || c.Source != domain.SourceSSM {
		t.Errorf("x's cycle = %+v, %v; want one of source ssm from %s, not later", c, err, at)
	}
	evs, err := store.History(t.Context(), domain.HistoryFilter{CredentialID: "x", Type: domain.EventRotation})
	if err != nil || len(evs) != 1 {
		t.Errorf("rotation events: %+v, %v; want the first rotation only", evs, err)
	}
}

// amazonRig is an engine on a real database file, from a config body
// loaded at at, that reads AWS sources (a 500 ms bound on each read) and
// probes LWA secrets, both with the engine's redactor, logging into logs.
type amazonRig struct {
	e     *Engine
	store *sqlite.Store
	logs  *bytes.Buffer
}

func newAmazonRig(t *testing.T, body string, at time.Time, wall func() time.Time) *amazonRig {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, config.At(at), nil, registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(t.Context(), cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	r := &amazonRig{store: store, logs: &bytes.Buffer{}}
	red := channels.NewRedactor()
	reader := amazon.NewSourceReader(red)
	reader.Timeout = 500 * time.Millisecond
	opts := []Option{WithRedactor(red), WithSourceReader(reader), WithProber(amazon.NewProber(red)), WithStdout(&bytes.Buffer{}),
		WithLogger(slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))}
	if wall != nil {
		opts = append(opts, WithWallClock(wall))
	}
	if r.e, err = New(store, cfg, opts...); err != nil {
		t.Fatal(err)
	}
	return r
}
