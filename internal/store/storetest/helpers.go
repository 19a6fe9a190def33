package storetest

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// The suite's clock: fixed dates, whole seconds unless a test is about
// fractions.
var (
	// rotated is the rotated_at the config gives a new credential.
	rotated = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// t0 is when the config is first synced.
	t0 = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
)

// hours and days are times after t0.
func hours(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
func days(n int) time.Time  { return t0.AddDate(0, 0, n) }

// file is the config file most tests sync.
const file = "credentials.yaml"

// cred is a credential as a config file describes it.
func cred(id string) domain.Credential {
	return domain.Credential{
		ID:             id,
		Name:           "Credential " + id,
		Owner:          "team-" + id,
		RotatedAt:      rotated,
		RotationPeriod: schedule.MustSpan("180d"),
		Policy:         "default",
	}
}

// with returns c changed by edit.
func with(c domain.Credential, edit func(*domain.Credential)) domain.Credential {
	edit(&c)
	return c
}

func pending(stage string, seq int, channel string, due time.Time) domain.Delivery {
	return domain.Delivery{Stage: stage, Seq: seq, Channel: channel, Status: domain.StatusPending, Due: due}
}

func skipped(stage string, seq int, channel string, due time.Time, why string) domain.Delivery {
	return domain.Delivery{Stage: stage, Seq: seq, Channel: channel, Status: domain.StatusSkipped, Due: due, LastError: why}
}

// env is one subtest's database and its first handle.
type env struct {
	t    *testing.T
	ctx  context.Context
	open Opener
	path string
	Store
}

func newEnv(t *testing.T, open Opener) *env {
	t.Helper()
	e := &env{t: t, ctx: t.Context(), open: open, path: filepath.Join(t.TempDir(), "notifier.db")}
	e.Store = e.handle()
	return e
}

// handle opens another handle on the subtest's database: another process.
func (e *env) handle() Store {
	e.t.Helper()
	s := e.open(e.t, e.path)
	e.t.Cleanup(func() {
		if err := s.Close(); err != nil {
			e.t.Errorf("Close: %v", err)
		}
	})
	return s
}

func configFile(path string, now time.Time) domain.ConfigFile {
	return domain.ConfigFile{Path: path, Size: 512, ModTime: now, Hash: "sha256-of-" + path + "-at-" + ts(now)}
}

// sync syncs path with creds at now, nothing movable.
func (e *env) sync(path string, now time.Time, creds ...domain.Credential) []domain.Change {
	e.t.Helper()
	changes, err := e.SyncFile(e.ctx, configFile(path, now), creds, domain.SyncOptions{}, now)
	if err != nil {
		e.t.Fatalf("SyncFile(%s) at %s: %v", path, ts(now), err)
	}
	return changes
}

func (e *env) cycle(id string) domain.Cycle {
	e.t.Helper()
	c, err := e.Cycle(e.ctx, id)
	if err != nil {
		e.t.Fatalf("Cycle(%s): %v", id, err)
	}
	return c
}

func (e *env) due(now time.Time, limit int) []domain.Cycle {
	e.t.Helper()
	cs, err := e.DueCycles(e.ctx, now, limit)
	if err != nil {
		e.t.Fatalf("DueCycles(%s, %d): %v", ts(now), limit, err)
	}
	return cs
}

// dueIDs are the credentials due at now, earliest first.
func (e *env) dueIDs(now time.Time) []string {
	e.t.Helper()
	return cycleIDs(e.due(now, 100))
}

func (e *env) openCycles() []domain.Cycle {
	e.t.Helper()
	cs, err := e.OpenCycles(e.ctx)
	if err != nil {
		e.t.Fatalf("OpenCycles: %v", err)
	}
	return cs
}

// record records one plan of the cycle c as read, at now: PlannedFrom is
// the NextAction c was read with.
func (e *env) record(c domain.Cycle, now, next time.Time, ds ...domain.Delivery) []domain.Delivery {
	e.t.Helper()
	added, err := e.RecordPlans(e.ctx, []domain.Plan{planOf(c, next, ds...)}, now)
	if err != nil {
		e.t.Fatalf("RecordPlans(%s) at %s: %v", c.ID, ts(now), err)
	}
	return added
}

func planOf(c domain.Cycle, next time.Time, ds ...domain.Delivery) domain.Plan {
	return domain.Plan{CredentialID: c.ID, RotationID: c.RotationID, PlannedFrom: c.NextAction, Deliveries: ds, NextAction: next}
}

// enqueue adds deliveries to the current cycle of id at now, its next
// action unchanged, and returns them as added.
func (e *env) enqueue(id string, now time.Time, ds ...domain.Delivery) []domain.Delivery {
	e.t.Helper()
	c := e.cycle(id)
	added := e.record(c, now, c.NextAction, ds...)
	if len(added) != len(ds) {
		e.t.Fatalf("RecordPlans(%s) added %d deliveries, want %d", id, len(added), len(ds))
	}
	return added
}

// settle plans the current cycle of id so that it is next due at next
// (zero: never): it is no longer due now.
func (e *env) settle(id string, now, next time.Time) {
	e.t.Helper()
	e.record(e.cycle(id), now, next)
	if got := e.cycle(id).NextAction; !got.Equal(next) {
		e.t.Fatalf("after planning %s to %s its NextAction = %s", id, ts(next), ts(got))
	}
}

func (e *env) rotate(id string, at, now time.Time) domain.Cycle {
	e.t.Helper()
	if err := e.RecordRotation(e.ctx, domain.Rotation{CredentialID: id, RotatedAt: at, Source: "cli", Actor: "operator"}, now); err != nil {
		e.t.Fatalf("RecordRotation(%s at %s): %v", id, ts(at), err)
	}
	return e.cycle(id)
}

func (e *env) ack(id string, at time.Time, by string) domain.Ack {
	e.t.Helper()
	a, err := e.RecordAck(e.ctx, domain.Ack{CredentialID: id, At: at, Actor: by, Source: "cli"})
	if err != nil {
		e.t.Fatalf("RecordAck(%s by %s): %v", id, by, err)
	}
	return a
}

func (e *env) history(f domain.HistoryFilter) []domain.Event {
	e.t.Helper()
	evs, err := e.History(e.ctx, f)
	if err != nil {
		e.t.Fatalf("History(%+v): %v", f, err)
	}
	return evs
}

// historySince is the history of one credential from since on.
func (e *env) historySince(id string, since time.Time) []domain.Event {
	e.t.Helper()
	return e.history(domain.HistoryFilter{CredentialID: id, Since: since})
}

func (e *env) deliveries(id string) []domain.Delivery {
	e.t.Helper()
	ds, err := e.Deliveries(e.ctx, id)
	if err != nil {
		e.t.Fatalf("Deliveries(%s): %v", id, err)
	}
	return ds
}

// delivery reads one outbox row back.
func (e *env) delivery(id int64) domain.Delivery {
	e.t.Helper()
	for _, d := range e.deliveries("") {
		if d.ID == id {
			return d
		}
	}
	e.t.Fatalf("delivery %d not found", id)
	return domain.Delivery{}
}

func claim(t *testing.T, s Store, claimant, channel string, now, until time.Time, limit int) []domain.Claimed {
	t.Helper()
	cl, err := s.ClaimDeliveries(t.Context(), claimant, channel, now, until, limit)
	if err != nil {
		t.Fatalf("ClaimDeliveries(%s, %s, %s): %v", claimant, channel, ts(now), err)
	}
	return cl
}

// outcome is the outcome of an attempt of d at `at`, with its event.
func outcome(d domain.Delivery, status string, attempts int, at time.Time) domain.Outcome {
	return domain.Outcome{
		DeliveryID: d.ID,
		Status:     status,
		Attempts:   attempts,
		Event: domain.Event{Time: at, Type: domain.EventReminder, CredentialID: d.CredentialID, RotationID: d.RotationID,
			DeliveryID: d.ID, Stage: d.Stage, Channel: d.Channel, Status: status, Detail: status + " via " + d.Channel},
	}
}

func (e *env) outcomes(s Store, claimant string, os ...domain.Outcome) {
	e.t.Helper()
	if err := s.RecordOutcomes(e.ctx, claimant, os); err != nil {
		e.t.Fatalf("RecordOutcomes(%s): %v", claimant, err)
	}
}

// ts renders a time for messages and comparisons; zero is "never".
func ts(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func cycleIDs(cs []domain.Cycle) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func deliveryIDs(ds []domain.Delivery) []int64 {
	out := []int64{}
	for _, d := range ds {
		out = append(out, d.ID)
	}
	return out
}

func claimedIDs(cs []domain.Claimed) []int64 {
	out := []int64{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// changeText is a sync change as compared: who, what, whether it warns.
func changeText(cs []domain.Change) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s %s warn=%v", c.CredentialID, c.Status, c.Warn))
	}
	return out
}

// credText is every field of a credential the store keeps.
func credText(c domain.Credential) string {
	return fmt.Sprintf("id=%s name=%q owner=%q rotated_at=%s period=%s expires_at=%s policy=%s file=%s lwa_client_id=%s",
		c.ID, c.Name, c.Owner, ts(c.RotatedAt), c.RotationPeriod, ts(c.ExpiresAt), c.Policy, c.File, c.LWAClientID)
}

// eventText is an event as compared in order: type, status, credential
// and time.
func eventText(evs []domain.Event) []string {
	out := []string{}
	for _, e := range evs {
		out = append(out, fmt.Sprintf("%s/%s %s @%s", e.Type, e.Status, e.CredentialID, ts(e.Time)))
	}
	return out
}

// deliveryText is the state of an outbox row that outcomes change.
func deliveryText(d domain.Delivery) string {
	return fmt.Sprintf("%s/%d %s %s attempts=%d next=%s sent=%s error=%q",
		d.Stage, d.Seq, d.Channel, d.Status, d.Attempts, ts(d.NextAttemptAt), ts(d.SentAt), d.LastError)
}

func eventsOf(evs []domain.Event, match func(domain.Event) bool) []domain.Event {
	var out []domain.Event
	for _, e := range evs {
		if match(e) {
			out = append(out, e)
		}
	}
	return out
}

func ofType(typ, status string) func(domain.Event) bool {
	return func(e domain.Event) bool { return e.Type == typ && e.Status == status }
}

// equal reports got != want; empty and nil slices and maps are equal.
func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	if (g.Kind() == reflect.Slice || g.Kind() == reflect.Map) && g.Len() == 0 && w.Len() == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

func equalTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %s, want %s", what, ts(got), ts(want))
	}
}

// dueBy checks that c is due for planning at now: a next action, not
// after now.
func dueBy(t *testing.T, what string, c domain.Cycle, now time.Time) {
	t.Helper()
	if c.NextAction.IsZero() || c.NextAction.After(now) {
		t.Errorf("%s: NextAction = %s, want due by %s", what, ts(c.NextAction), ts(now))
	}
}

func keys[V any](m map[string]V) []string {
	out := []string{}
	for k := range m {
		out = append(out, k)
	}
	return out
}

func sortedIDs(ids ...int64) []int64 {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// configFiles returns the files the store remembers.
func (e *env) configFiles() map[string]domain.ConfigFile {
	e.t.Helper()
	fs, err := e.ConfigFiles(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return fs
}
