package sqlite

// Tests that pin down behaviour mutation testing (scripts/mutation) found
// unasserted by the conformance suite and the tests beside it.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/notifier-dev/notifier/internal/domain"
)

// historyDetails returns the details of a credential's events of one type.
func historyDetails(t *testing.T, s *Store, id, typ string) []string {
	t.Helper()
	evs, err := s.History(t.Context(), domain.HistoryFilter{CredentialID: id, Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Detail)
	}
	return out
}

// A rotation's or an acknowledgment's note is in its history line, after
// the source; without a note the line ends there.
func TestNotesGoIntoTheHistory(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	if _, err := s.SyncFile(ctx, domain.ConfigFile{Path: "c.yaml", ModTime: t0}, []domain.Credential{credential("alpha"), credential("beta")}, domain.SyncOptions{}, t0); err != nil {
		t.Fatal(err)
	}
	for _, r := range []domain.Rotation{
		{CredentialID: "alpha", RotatedAt: t0.Add(time.Hour), Source: "cli", Actor: "bob", Note: "new secret in the vault"},
		{CredentialID: "beta", RotatedAt: t0.Add(time.Hour), Source: "cli", Actor: "bob"},
	} {
		if err := s.RecordRotation(ctx, r, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []domain.Ack{
		{CredentialID: "alpha", At: t0.Add(2 * time.Hour), Actor: "alice", Source: "slack", Note: "on it"},
		{CredentialID: "beta", At: t0.Add(2 * time.Hour), Actor: "alice", Source: "cli"},
	} {
		if _, err := s.RecordAck(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		id, typ string
		want    []string
	}{
		{"alpha", domain.EventRotation, []string{"rotated at 2026-01-01T00:00:00Z (source config)", "rotated at 2026-06-01T01:00:00Z (source cli): new secret in the vault"}},
		{"beta", domain.EventRotation, []string{"rotated at 2026-01-01T00:00:00Z (source config)", "rotated at 2026-06-01T01:00:00Z (source cli)"}},
		{"alpha", domain.EventAck, []string{"acknowledged via slack: on it"}},
		{"beta", domain.EventAck, []string{"acknowledged via cli"}},
	} {
		if got := historyDetails(t, s, tt.id, tt.typ); !slices.Equal(got, tt.want) {
			t.Errorf("%s %s events %q, want %q", tt.id, tt.typ, got, tt.want)
		}
	}
}

// A sync that changes nothing the schedule depends on does not make the
// cycle due again: moving a credential to another file (say, splitting a
// large file) or a rotated_at moved backward (ignored) costs no planning.
// A changed owner does.
func TestSyncMakesDueOnlyWhatMovesTheSchedule(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	c := credential("alpha")
	a, b := domain.ConfigFile{Path: "a.yaml", ModTime: t0}, domain.ConfigFile{Path: "b.yaml", ModTime: t0}
	if _, err := s.SyncFile(ctx, a, []domain.Credential{c}, domain.SyncOptions{}, t0); err != nil {
		t.Fatal(err)
	}
	// Plan the new cycle: nothing to do until next month.
	due, err := s.DueCycles(ctx, t0, 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("DueCycles after the first sync = %+v, %v", due, err)
	}
	later := t0.AddDate(0, 1, 0)
	if _, err := s.RecordPlans(ctx, []domain.Plan{{CredentialID: "alpha", RotationID: due[0].RotationID, PlannedFrom: due[0].NextAction, NextAction: later}}, t0); err != nil {
		t.Fatal(err)
	}
	isDue := func(step string, now time.Time) bool {
		t.Helper()
		due, err := s.DueCycles(ctx, now, 10)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		return len(due) > 0
	}
	if isDue("planned", t0) {
		t.Fatal("the planned cycle is still due")
	}

	now := t0.Add(time.Hour)
	moving := func(file string) bool { return file == "a.yaml" }
	if _, err := s.SyncFile(ctx, b, []domain.Credential{c}, domain.SyncOptions{Movable: moving}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SyncFile(ctx, a, nil, domain.SyncOptions{}, now); err != nil {
		t.Fatal(err)
	}
	cy, err := s.Cycle(ctx, "alpha")
	if err != nil || cy.File != "b.yaml" || !cy.Active {
		t.Fatalf("after the move: %+v, %v; want active in b.yaml", cy, err)
	}
	if isDue("moved to b.yaml", now) {
		t.Error("moving the credential to another file made its cycle due")
	}

	back := c
	back.RotatedAt = c.RotatedAt.Add(-24 * time.Hour)
	changes, err := s.SyncFile(ctx, b, []domain.Credential{back}, domain.SyncOptions{}, now)
	if err != nil || len(changes) != 1 || changes[0].Status != "ignored" {
		t.Fatalf("rotated_at moved backward: %+v, %v", changes, err)
	}
	if isDue("rotated_at moved backward", now) {
		t.Error("an ignored rotated_at made the cycle due")
	}

	owner := back
	owner.Owner = "another team"
	if _, err := s.SyncFile(ctx, b, []domain.Credential{owner}, domain.SyncOptions{}, now); err != nil {
		t.Fatal(err)
	}
	if !isDue("owner changed", now) {
		t.Error("a changed owner did not make the cycle due (messages show the owner)")
	}
}

// A setting no longer given (a policy removed) is forgotten: given again
// later, it counts as changed.
func TestSyncSettingsForgetsRemovedKeys(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	for i, tt := range []struct {
		values map[string]string
		want   []string
	}{
		{map[string]string{"timezone": "UTC", "policy:quiet": "f1"}, []string{"policy:quiet", "timezone"}},
		{map[string]string{"timezone": "UTC"}, nil},
		{map[string]string{"timezone": "UTC", "policy:quiet": "f1"}, []string{"policy:quiet"}},
		{map[string]string{"timezone": "UTC", "policy:quiet": "f1"}, nil},
	} {
		got, err := s.SyncSettings(ctx, tt.values, t0.Add(time.Duration(i)*time.Hour))
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("sync %d: changed %q, %v; want %q", i, got, err, tt.want)
		}
	}
	if n := count(t, s.db, `SELECT COUNT(*) FROM sync_state WHERE key <> 'database_id'`); n != 2 {
		t.Errorf("%d settings stored, want 2", n)
	}
	// The database's id is no setting: no sync forgets it.
	if n := count(t, s.db, `SELECT COUNT(*) FROM sync_state WHERE key = 'database_id'`); n != 1 {
		t.Errorf("%d database ids stored, want 1", n)
	}
}

// retryBusy, with which Open waits out another process opening the same new
// database: it tries again on SQLITE_BUSY only, at most the attempts given,
// and stops at once when the context is done.
func TestRetryBusy(t *testing.T) {
	busy := sqlite3.Error{Code: sqlite3.ErrBusy}
	locked := sqlite3.Error{Code: sqlite3.ErrLocked}
	other := errors.New("store: migration 0002: syntax error")
	tests := []struct {
		name    string
		results []error // f's answers, in order; nil once they run out
		calls   int
		want    error
	}{
		{"free at once", nil, 1, nil},
		{"busy twice, then free", []error{busy, fmt.Errorf("store: begin: %w", busy)}, 3, nil},
		{"busy, then another error", []error{busy, other}, 2, other},
		{"another error is not retried", []error{other, nil}, 1, other},
		{"a locked table is not retried", []error{locked, nil}, 1, locked},
		{"busy every time: gives up after the attempts", []error{busy, busy, busy, busy, busy, busy}, 3, busy},
	}
	for _, tt := range tests {
		calls := 0
		err := retryBusy(t.Context(), 3, 0, func() error {
			calls++
			if calls > 10 {
				return errors.New("called more than 10 times")
			}
			if calls <= len(tt.results) {
				return tt.results[calls-1]
			}
			return nil
		})
		if calls != tt.calls || !errors.Is(err, tt.want) && err != tt.want {
			t.Errorf("%s: %d calls, %v; want %d calls, %v", tt.name, calls, err, tt.calls, tt.want)
		}
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls := 0
	err := retryBusy(ctx, 3, time.Hour, func() error { calls++; return busy })
	if calls != 1 || !errors.Is(err, busy) {
		t.Errorf("cancelled: %d calls, %v; want 1 call and the busy error", calls, err)
	}
}
