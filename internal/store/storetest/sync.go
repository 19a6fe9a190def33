package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

func testConfigFiles(t *testing.T, open Opener) {
	files := func(e *env, s Store) map[string]domain.ConfigFile {
		e.t.Helper()
		fs, err := s.ConfigFiles(e.ctx)
		if err != nil {
			e.t.Fatalf("ConfigFiles: %v", err)
		}
		return fs
	}
	same := func(t *testing.T, got, want domain.ConfigFile) {
		t.Helper()
		if got.Path != want.Path || got.Size != want.Size || got.Hash != want.Hash || !got.ModTime.Equal(want.ModTime) {
			t.Errorf("config file = %+v (mod time %s), want %+v (mod time %s)", got, ts(got.ModTime), want, ts(want.ModTime))
		}
		if !got.Unchanged(want) {
			t.Errorf("%s read back is not Unchanged from what was recorded", want.Path)
		}
	}

	t.Run("a new store has none", func(t *testing.T) {
		e := newEnv(t, open)
		equal(t, "ConfigFiles", files(e, e.Store), map[string]domain.ConfigFile{})
	})

	t.Run("RecordFile round-trips size, hash and a modification time with nanoseconds", func(t *testing.T) {
		e := newEnv(t, open)
		want := domain.ConfigFile{
			Path:    "teams/payments.yaml",
			Size:    4321,
			ModTime: time.Date(2026, 5, 31, 14, 30, 15, 123456789, time.FixedZone("CEST", 2*60*60)),
			Hash:    strings.Repeat("ab", 32),
		}
		if err := e.RecordFile(e.ctx, want, t0); err != nil {
			t.Fatal(err)
		}
		got := files(e, e.Store)
		if len(got) != 1 {
			t.Fatalf("ConfigFiles = %v, want only %s", got, want.Path)
		}
		same(t, got[want.Path], want)
	})

	t.Run("RecordFile replaces the record of its path and keeps the others", func(t *testing.T) {
		e := newEnv(t, open)
		a := configFile("a.yaml", t0)
		b := configFile("b.yaml", t0)
		a2 := domain.ConfigFile{Path: "a.yaml", Size: 999, ModTime: hours(1).Add(time.Nanosecond), Hash: "other"}
		for _, f := range []domain.ConfigFile{a, b, a2} {
			if err := e.RecordFile(e.ctx, f, t0); err != nil {
				t.Fatal(err)
			}
		}
		got := files(e, e.Store)
		if len(got) != 2 {
			t.Fatalf("ConfigFiles = %v, want a.yaml and b.yaml", got)
		}
		same(t, got["a.yaml"], a2)
		same(t, got["b.yaml"], b)
	})

	t.Run("another handle reads what one recorded", func(t *testing.T) {
		e := newEnv(t, open)
		other := e.handle()
		f := configFile("a.yaml", t0.Add(7*time.Nanosecond))
		if err := e.RecordFile(e.ctx, f, t0); err != nil {
			t.Fatal(err)
		}
		same(t, files(e, other)["a.yaml"], f)
	})

	t.Run("SyncFile records the file it synced", func(t *testing.T) {
		e := newEnv(t, open)
		f := domain.ConfigFile{Path: file, Size: 77, ModTime: t0.Add(-time.Minute + 42*time.Nanosecond), Hash: "h1"}
		if _, err := e.SyncFile(e.ctx, f, []domain.Credential{cred("alpha")}, domain.SyncOptions{}, t0); err != nil {
			t.Fatal(err)
		}
		same(t, files(e, e.Store)[file], f)
	})
}

func testSyncFile(t *testing.T, open Opener) {
	t.Run("adds a new credential with its first rotation from the config, due at once", func(t *testing.T) {
		e := newEnv(t, open)
		c := with(cred("alpha"), func(c *domain.Credential) { c.ExpiresAt = days(20) })
		changes := e.sync(file, t0, c)
		equal(t, "changes", changeText(changes), []string{"alpha added warn=false"})
		if len(changes) == 1 && changes[0].Detail == "" {
			t.Error("the added change has no detail")
		}

		cy := e.cycle("alpha")
		c.File = file
		equal(t, "credential", credText(cy.Credential), credText(c))
		if !cy.Active || cy.RotationID == 0 || cy.Source != "config" {
			t.Errorf("cycle: Active=%v RotationID=%d Source=%q, want active, a rotation, source config", cy.Active, cy.RotationID, cy.Source)
		}
		equalTime(t, "cycle start", cy.Start, rotated)
		equalTime(t, "ack", cy.AckAt, time.Time{})
		dueBy(t, "new cycle", cy, t0)
		equal(t, "due at the sync", e.dueIDs(t0), []string{"alpha"})

		evs := e.history(domain.HistoryFilter{CredentialID: "alpha"})
		equal(t, "history", eventText(evs), []string{
			"rotation/config alpha @" + ts(rotated),
			"credential/added alpha @" + ts(t0),
		})
		if len(evs) == 2 && evs[0].RotationID != cy.RotationID {
			t.Errorf("rotation event names rotation %d, want the cycle's %d", evs[0].RotationID, cy.RotationID)
		}
		equal(t, "deliveries", deliveryIDs(e.deliveries("alpha")), nil)
	})

	t.Run("SyncFiles syncs several files in one transaction, each file's changes apart", func(t *testing.T) {
		e := newEnv(t, open)
		all, err := e.SyncFiles(e.ctx, []domain.FileSync{
			{File: configFile("a.yaml", t0), Credentials: []domain.Credential{cred("alpha")}},
			{File: configFile("b.yaml", t0), Credentials: []domain.Credential{cred("beta"), cred("gamma")}},
		}, domain.SyncOptions{}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 2 {
			t.Fatalf("%d change lists for 2 files", len(all))
		}
		equal(t, "a.yaml's changes", changeText(all[0]), []string{"alpha added warn=false"})
		equal(t, "b.yaml's changes", sorted(changeText(all[1])), []string{"beta added warn=false", "gamma added warn=false"})
		equal(t, "b.yaml's credentials", e.cycle("gamma").File, "b.yaml")
		equal(t, "files recorded", sorted(keys(e.configFiles())), []string{"a.yaml", "b.yaml"})
	})

	t.Run("SyncFiles: a file of the batch owns what it lists, and a conflict writes no file", func(t *testing.T) {
		e := newEnv(t, open)
		anyFile := domain.SyncOptions{Movable: func(string) bool { return true }}
		_, err := e.SyncFiles(e.ctx, []domain.FileSync{
			{File: configFile("a.yaml", t0), Credentials: []domain.Credential{cred("alpha")}},
			{File: configFile("b.yaml", t0), Credentials: []domain.Credential{cred("beta"), cred("alpha")}},
		}, anyFile, t0)
		var conflict *domain.FileConflict
		if !errors.As(err, &conflict) {
			t.Fatalf("SyncFiles = %v, want a *domain.FileConflict", err)
		}
		equal(t, "conflict", *conflict, domain.FileConflict{CredentialID: "alpha", File: "a.yaml", In: "b.yaml"})
		equal(t, "open cycles", cycleIDs(e.openCycles()), nil)
		equal(t, "files recorded", keys(e.configFiles()), nil)
	})

	t.Run("a new credential's first action is the planner's answer", func(t *testing.T) {
		e := newEnv(t, open)
		first := map[string]time.Time{"alpha": days(120), "beta": {}} // beta: nothing will ever be due
		opts := domain.SyncOptions{FirstAction: func(c domain.Credential) time.Time { return first[c.ID] }}
		if _, err := e.SyncFile(e.ctx, configFile(file, t0), []domain.Credential{cred("alpha"), cred("beta")}, opts, t0); err != nil {
			t.Fatal(err)
		}
		equalTime(t, "alpha's next action", e.cycle("alpha").NextAction, days(120))
		equalTime(t, "beta's next action", e.cycle("beta").NextAction, time.Time{})
		equal(t, "due at the sync", e.dueIDs(t0), nil)
		equal(t, "due the day before", e.dueIDs(days(119)), nil)
		equal(t, "due at the first action", e.dueIDs(days(120)), []string{"alpha"})
		equal(t, "due years later", e.dueIDs(days(3000)), []string{"alpha"})
	})

	t.Run("adds every credential of a file", func(t *testing.T) {
		e := newEnv(t, open)
		changes := e.sync(file, t0, cred("beta"), cred("alpha"))
		equal(t, "changes", sorted(changeText(changes)), []string{"alpha added warn=false", "beta added warn=false"})
		equal(t, "open cycles", cycleIDs(e.openCycles()), []string{"alpha", "beta"})
	})

	t.Run("an unchanged re-sync writes nothing and leaves the cycle as planned", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"), cred("beta"))
		e.settle("alpha", t0, days(30))
		e.settle("beta", t0, days(40))
		before := e.history(domain.HistoryFilter{})

		equal(t, "changes", changeText(e.sync(file, hours(1), cred("alpha"), cred("beta"))), nil)
		equal(t, "history", eventText(e.history(domain.HistoryFilter{})), eventText(before))
		equalTime(t, "alpha's next action", e.cycle("alpha").NextAction, days(30))
		equal(t, "due", e.dueIDs(hours(1)), nil)
	})

	t.Run("a changed field writes an updated event and makes the cycle due", func(t *testing.T) {
		cases := []struct {
			name     string
			field    string // named in the event's detail
			from, to func(*domain.Credential)
			// terms: the change moves the open cycle's terms, which is a
			// second event and change: "deadline A → B, … (config)".
			terms bool
		}{
			{"name", "name", nil, func(c *domain.Credential) { c.Name = "Payments SP-API" }, false},
			{"owner", "owner", nil, func(c *domain.Credential) { c.Owner = "payments-oncall" }, false},
			{"rotation period", "rotation_period", nil, func(c *domain.Credential) { c.RotationPeriod = schedule.MustSpan("90d") }, true},
			{"policy", "policy", nil, func(c *domain.Credential) { c.Policy = "urgent" }, true},
			{"expires_at set", "expires_at", nil, func(c *domain.Credential) { c.ExpiresAt = days(10) }, true},
			{"expires_at moved", "expires_at",
				func(c *domain.Credential) { c.ExpiresAt = days(10) }, func(c *domain.Credential) { c.ExpiresAt = days(12) }, true},
			{"expires_at removed", "expires_at",
				func(c *domain.Credential) { c.ExpiresAt = days(10) }, func(c *domain.Credential) { c.ExpiresAt = time.Time{} }, true},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := newEnv(t, open)
				before := cred("alpha")
				if tc.from != nil {
					before = with(before, tc.from)
				}
				after := with(before, tc.to)
				e.sync(file, t0, before)
				e.settle("alpha", t0, days(30))
				rotation := e.cycle("alpha").RotationID

				changes := e.sync(file, hours(1), after)
				wantChanges, wantEvents := []string{"alpha updated warn=false"}, []string{"credential/updated alpha @" + ts(hours(1))}
				if tc.terms {
					wantChanges = append(wantChanges, "alpha deadline warn=false")
					wantEvents = append(wantEvents, "deadline/config alpha @"+ts(hours(1)))
				}
				equal(t, "changes", changeText(changes), wantChanges)
				if len(changes) >= 1 && !strings.Contains(changes[0].Detail, tc.field) {
					t.Errorf("change detail %q does not name %s", changes[0].Detail, tc.field)
				}
				cy := e.cycle("alpha")
				after.File = file
				equal(t, "credential", credText(cy.Credential), credText(after))
				equal(t, "rotation", cy.RotationID, rotation)
				equal(t, "events", eventText(e.historySince("alpha", hours(1))), wantEvents)
				dueBy(t, "updated cycle", cy, hours(1))
				equal(t, "due", e.dueIDs(hours(1)), []string{"alpha"})
			})
		}
	})

	t.Run("rotated_at moving forward records a rotation and supersedes the old cycle's pending deliveries", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"))
		old := e.cycle("alpha")
		ds := e.enqueue("alpha", hours(1),
			skipped("60d", 0, "slack", days(-30), "missed"),
			pending("30d", 0, "slack", t0),
			pending("30d", 0, "email", t0))
		e.settle("alpha", hours(1), days(20))

		rot := hours(40)
		changes := e.sync(file, hours(48), with(cred("alpha"), func(c *domain.Credential) { c.RotatedAt = rot }))
		equal(t, "changes", changeText(changes), []string{"alpha rotated warn=false"})

		cy := e.cycle("alpha")
		if cy.RotationID == old.RotationID || cy.Source != "config" {
			t.Errorf("cycle: rotation %d source %q, want a new rotation (old %d) from the config", cy.RotationID, cy.Source, old.RotationID)
		}
		equalTime(t, "cycle start", cy.Start, rot)
		equalTime(t, "config rotated_at", cy.RotatedAt, rot)
		dueBy(t, "new cycle", cy, hours(48))
		equal(t, "due", e.dueIDs(hours(48)), []string{"alpha"})

		got := e.deliveries("alpha")
		equal(t, "statuses", []string{got[0].Status, got[1].Status, got[2].Status},
			[]string{domain.StatusSkipped, domain.StatusSuperseded, domain.StatusSuperseded})
		for _, d := range got[1:] {
			equalTime(t, "superseded delivery's next attempt", d.NextAttemptAt, time.Time{})
		}

		evs := e.history(domain.HistoryFilter{CredentialID: "alpha", Since: rot})
		equal(t, "events", eventText(evs), []string{
			"rotation/config alpha @" + ts(rot),
			"reminder/superseded alpha @" + ts(hours(48)),
			"reminder/superseded alpha @" + ts(hours(48)),
		})
		if len(evs) == 3 {
			equal(t, "rotation event's rotation", evs[0].RotationID, cy.RotationID)
			equal(t, "superseded events' deliveries", sortedIDs(evs[1].DeliveryID, evs[2].DeliveryID), sortedIDs(ds[1].ID, ds[2].ID))
		}
	})

	t.Run("rotated_at moving forward with another edit records both", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"))
		old := e.cycle("alpha")
		e.settle("alpha", t0, days(20))
		changes := e.sync(file, hours(48), with(cred("alpha"), func(c *domain.Credential) { c.RotatedAt = hours(40); c.Owner = "new-team" }))
		equal(t, "changes", sorted(changeText(changes)), []string{"alpha rotated warn=false", "alpha updated warn=false"})
		cy := e.cycle("alpha")
		if cy.RotationID == old.RotationID || cy.Owner != "new-team" {
			t.Errorf("cycle: rotation %d owner %q, want a new rotation and owner new-team", cy.RotationID, cy.Owner)
		}
		equalTime(t, "start", cy.Start, hours(40))
		dueBy(t, "new cycle", cy, hours(48))
	})

	t.Run("rotated_at moving backward is ignored with a warning, once", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"))
		old := e.cycle("alpha")
		d := e.enqueue("alpha", t0, pending("30d", 0, "slack", t0))[0]
		back := with(cred("alpha"), func(c *domain.Credential) { c.RotatedAt = rotated.AddDate(0, 0, -30) })

		changes := e.sync(file, hours(1), back)
		equal(t, "changes", changeText(changes), []string{"alpha ignored warn=true"})
		cy := e.cycle("alpha")
		equal(t, "rotation", cy.RotationID, old.RotationID)
		equalTime(t, "cycle start", cy.Start, rotated)
		equal(t, "events", eventText(e.historySince("alpha", hours(1))), []string{"config/ignored alpha @" + ts(hours(1))})
		equal(t, "delivery", e.delivery(d.ID).Status, domain.StatusPending)

		equal(t, "changes of the same edit synced again", changeText(e.sync(file, hours(2), back)), nil)
		equal(t, "events of the same edit synced again", eventText(e.historySince("alpha", hours(2))), nil)
	})

	t.Run("rotated_at moving forward to a time not after a recorded rotation", func(t *testing.T) {
		cases := []struct {
			name    string
			config  time.Time
			changes []string
			events  []string
		}{
			{"older than it is ignored with a warning", hours(10), []string{"alpha ignored warn=true"}, []string{"config/ignored alpha @" + ts(hours(30))}},
			{"equal to it records nothing", hours(20), nil, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := newEnv(t, open)
				e.sync(file, t0, cred("alpha"))
				cli := e.rotate("alpha", hours(20), hours(24))

				changes := e.sync(file, hours(30), with(cred("alpha"), func(c *domain.Credential) { c.RotatedAt = tc.config }))
				equal(t, "changes", changeText(changes), tc.changes)
				equal(t, "events", eventText(e.historySince("alpha", hours(30))), tc.events)
				cy := e.cycle("alpha")
				equal(t, "rotation", cy.RotationID, cli.RotationID)
				equal(t, "source", cy.Source, "cli")
			})
		}
	})

	t.Run("a rotated_at with a fraction of a second re-syncs as unchanged", func(t *testing.T) {
		e := newEnv(t, open)
		c := with(cred("alpha"), func(c *domain.Credential) { c.RotatedAt = rotated.Add(500 * time.Millisecond) })
		e.sync(file, t0, c)
		first := e.cycle("alpha")
		for _, now := range []time.Time{hours(1), hours(2)} {
			changes, err := e.SyncFile(e.ctx, configFile(file, now), []domain.Credential{c}, domain.SyncOptions{}, now)
			if err != nil {
				t.Fatalf("re-sync at %s: %v", ts(now), err)
			}
			equal(t, "changes", changeText(changes), nil)
		}
		equal(t, "rotation", e.cycle("alpha").RotationID, first.RotationID)
		equal(t, "rotation events", len(e.history(domain.HistoryFilter{Type: domain.EventRotation})), 1)

		later := with(c, func(c *domain.Credential) { c.RotatedAt = hours(3).Add(250 * time.Millisecond) })
		equal(t, "changes of a later rotated_at", changeText(e.sync(file, hours(4), later)), []string{"alpha rotated warn=false"})
	})

	t.Run("a credential that leaves its file becomes inactive, never deleted", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"), cred("beta"))
		old := e.cycle("beta")
		d := e.enqueue("beta", t0, pending("30d", 0, "slack", t0))[0]

		changes := e.sync(file, hours(1), cred("alpha"))
		equal(t, "changes", changeText(changes), []string{"beta inactive warn=false"})
		cy := e.cycle("beta")
		if cy.Active {
			t.Error("beta is still active")
		}
		equal(t, "rotation", cy.RotationID, old.RotationID)
		equalTime(t, "next action", cy.NextAction, time.Time{})
		got := e.delivery(d.ID)
		equal(t, "delivery", got.Status, domain.StatusSuperseded)
		equalTime(t, "superseded delivery's next attempt", got.NextAttemptAt, time.Time{})
		evs := e.historySince("beta", hours(1))
		equal(t, "events", sorted(eventText(evs)), []string{
			"credential/inactive beta @" + ts(hours(1)),
			"reminder/superseded beta @" + ts(hours(1)),
		})
		equal(t, "due", e.dueIDs(days(1000)), []string{"alpha"})
		equal(t, "open cycles", cycleIDs(e.openCycles()), []string{"alpha"})
		equal(t, "history kept", len(e.history(domain.HistoryFilter{CredentialID: "beta"})), 4)
	})

	t.Run("a credential that comes back is reactivated and due", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"), cred("beta"))
		old := e.cycle("beta")
		e.sync(file, hours(1), cred("alpha"))

		changes := e.sync(file, hours(2), cred("alpha"), cred("beta"))
		equal(t, "changes", changeText(changes), []string{"beta reactivated warn=false"})
		cy := e.cycle("beta")
		if !cy.Active {
			t.Error("beta is inactive")
		}
		equal(t, "rotation", cy.RotationID, old.RotationID)
		dueBy(t, "reactivated cycle", cy, hours(2))
		equal(t, "due", e.dueIDs(hours(2)), []string{"alpha", "beta"})
		equal(t, "events", eventText(e.historySince("beta", hours(2))), []string{"credential/reactivated beta @" + ts(hours(2))})
	})

	t.Run("an inactive credential may come back in another file", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync("a.yaml", t0, cred("alpha"), cred("beta"))
		e.sync("a.yaml", hours(1), cred("alpha"))

		changes := e.sync("b.yaml", hours(2), cred("beta"))
		equal(t, "changes", changeText(changes), []string{"beta reactivated warn=false"})
		cy := e.cycle("beta")
		if !cy.Active || cy.File != "b.yaml" {
			t.Errorf("beta: active %v in %q, want active in b.yaml", cy.Active, cy.File)
		}
	})

	t.Run("a credential another active file defines is a conflict and nothing of the sync is written", func(t *testing.T) {
		cases := []struct {
			name    string
			movable func(string) bool
		}{
			{"no file is movable", nil},
			{"the other file is not movable", func(string) bool { return false }},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := newEnv(t, open)
				e.sync("a.yaml", t0, cred("alpha"))
				e.sync("b.yaml", t0, cred("gamma"))
				var asked []string
				movable := tc.movable
				if movable != nil {
					movable = func(f string) bool { asked = append(asked, f); return tc.movable(f) }
				}

				// beta (new) comes before the conflicting alpha; gamma
				// would leave b.yaml.
				changes, err := e.SyncFile(e.ctx, configFile("b.yaml", hours(1)), []domain.Credential{cred("beta"), cred("alpha")}, domain.SyncOptions{Movable: movable}, hours(1))
				var conflict *domain.FileConflict
				if !errors.As(err, &conflict) {
					t.Fatalf("SyncFile = %v, want a *domain.FileConflict", err)
				}
				equal(t, "conflict", *conflict, domain.FileConflict{CredentialID: "alpha", File: "a.yaml", In: "b.yaml"})
				if movable != nil {
					equal(t, "files asked about", asked, []string{"a.yaml"})
				}
				equal(t, "changes returned with the conflict", changeText(changes), nil)

				if _, err := e.Cycle(e.ctx, "beta"); !errors.Is(err, domain.ErrUnknownCredential) {
					t.Errorf("Cycle(beta) = %v, want ErrUnknownCredential: beta must not have been added", err)
				}
				if g := e.cycle("gamma"); !g.Active || g.File != "b.yaml" {
					t.Errorf("gamma: active %v in %q, want still active in b.yaml", g.Active, g.File)
				}
				equal(t, "alpha's file", e.cycle("alpha").File, "a.yaml")
				fs, err := e.ConfigFiles(e.ctx)
				if err != nil {
					t.Fatal(err)
				}
				equalTime(t, "b.yaml's recorded mod time", fs["b.yaml"].ModTime, t0)
				equal(t, "events", eventText(e.history(domain.HistoryFilter{Since: hours(1)})), nil)
			})
		}
	})

	t.Run("a credential moves to another file when that file is movable", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync("a.yaml", t0, cred("alpha"))
		old := e.cycle("alpha")
		d := e.enqueue("alpha", t0, pending("30d", 0, "slack", t0))[0]

		var asked []string
		movable := func(f string) bool { asked = append(asked, f); return f == "a.yaml" }
		changes, err := e.SyncFile(e.ctx, configFile("b.yaml", hours(1)), []domain.Credential{cred("alpha")}, domain.SyncOptions{Movable: movable}, hours(1))
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "changes", changeText(changes), nil)
		equal(t, "files asked about", asked, []string{"a.yaml"})
		cy := e.cycle("alpha")
		if !cy.Active || cy.File != "b.yaml" || cy.RotationID != old.RotationID {
			t.Errorf("alpha: active %v in %q, rotation %d; want active in b.yaml, rotation %d", cy.Active, cy.File, cy.RotationID, old.RotationID)
		}
		equal(t, "delivery", e.delivery(d.ID).Status, domain.StatusPending)

		// a.yaml, synced next without alpha, no longer owns it.
		equal(t, "changes of a.yaml", changeText(e.sync("a.yaml", hours(2))), nil)
		if cy := e.cycle("alpha"); !cy.Active || cy.File != "b.yaml" {
			t.Errorf("after a.yaml's sync alpha: active %v in %q, want active in b.yaml", cy.Active, cy.File)
		}
	})
}

func testRetireFile(t *testing.T, open Opener) {
	t.Run("makes the file's credentials inactive and forgets the file", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync("a.yaml", t0, cred("beta"), cred("alpha"))
		e.sync("b.yaml", t0, cred("gamma"))
		d := e.enqueue("alpha", t0, pending("30d", 0, "slack", t0))[0]

		changes, err := e.RetireFile(e.ctx, "a.yaml", hours(1))
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "changes", sorted(changeText(changes)), []string{"alpha inactive warn=false", "beta inactive warn=false"})
		for id, active := range map[string]bool{"alpha": false, "beta": false, "gamma": true} {
			if got := e.cycle(id).Active; got != active {
				t.Errorf("%s active = %v, want %v", id, got, active)
			}
		}
		equal(t, "alpha's delivery", e.delivery(d.ID).Status, domain.StatusSuperseded)
		equal(t, "alpha's events", sorted(eventText(e.historySince("alpha", hours(1)))), []string{
			"credential/inactive alpha @" + ts(hours(1)),
			"reminder/superseded alpha @" + ts(hours(1)),
		})
		fs, err := e.ConfigFiles(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "config files", sorted(keys(fs)), []string{"b.yaml"})
		equal(t, "open cycles", cycleIDs(e.openCycles()), []string{"gamma"})
	})

	t.Run("an unknown file changes nothing", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync("a.yaml", t0, cred("alpha"))
		changes, err := e.RetireFile(e.ctx, "missing.yaml", hours(1))
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "changes", changeText(changes), nil)
		if !e.cycle("alpha").Active {
			t.Error("alpha became inactive")
		}
		equal(t, "events", eventText(e.history(domain.HistoryFilter{Since: hours(1)})), nil)
	})
}

func testSyncSettings(t *testing.T, open Opener) {
	settings := map[string]string{"timezone": "Europe/Paris", "policy:default": "fp-default-1", "policy:urgent": "fp-urgent-1"}
	changed := func(edit map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range settings {
			out[k] = v
		}
		for k, v := range edit {
			out[k] = v
		}
		return out
	}
	// setup: alpha (default) and beta (urgent) planned for later, gamma
	// inactive.
	setup := func(t *testing.T) *env {
		e := newEnv(t, open)
		e.sync("a.yaml", t0, cred("alpha"), with(cred("beta"), func(c *domain.Credential) { c.Policy = "urgent" }))
		e.sync("b.yaml", t0, with(cred("gamma"), func(c *domain.Credential) { c.Policy = "urgent" }))
		e.sync("b.yaml", t0)
		return e
	}
	settleAll := func(e *env) {
		e.settle("alpha", t0, days(30))
		e.settle("beta", t0, days(40))
	}
	syncSettings := func(e *env, values map[string]string, now time.Time) []string {
		e.t.Helper()
		keys, err := e.SyncSettings(e.ctx, values, now)
		if err != nil {
			e.t.Fatalf("SyncSettings: %v", err)
		}
		return sorted(keys)
	}

	t.Run("the first call reports every key and makes every active cycle due", func(t *testing.T) {
		e := setup(t)
		settleAll(e)
		equal(t, "changed keys", syncSettings(e, settings, hours(1)), []string{"policy:default", "policy:urgent", "timezone"})
		equal(t, "due", e.dueIDs(hours(1)), []string{"alpha", "beta"})
		equalTime(t, "inactive gamma's next action", e.cycle("gamma").NextAction, time.Time{})
	})

	t.Run("unchanged values report nothing and touch nothing", func(t *testing.T) {
		e := setup(t)
		syncSettings(e, settings, t0)
		settleAll(e)
		equal(t, "changed keys", syncSettings(e, changed(nil), hours(1)), nil)
		equal(t, "due", e.dueIDs(days(29)), nil)
		equalTime(t, "alpha's next action", e.cycle("alpha").NextAction, days(30))
		equalTime(t, "beta's next action", e.cycle("beta").NextAction, days(40))
	})

	cases := []struct {
		name string
		edit map[string]string
		keys []string
		due  []string
	}{
		{"a changed policy fingerprint makes due only that policy's credentials",
			map[string]string{"policy:urgent": "fp-urgent-2"}, []string{"policy:urgent"}, []string{"beta"}},
		{"a new policy reports its key and makes nothing due",
			map[string]string{"policy:relaxed": "fp-relaxed-1"}, []string{"policy:relaxed"}, nil},
		{"a changed time zone makes every active cycle due",
			map[string]string{"timezone": "America/New_York"}, []string{"timezone"}, []string{"alpha", "beta"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			syncSettings(e, settings, t0)
			settleAll(e)
			equal(t, "changed keys", syncSettings(e, changed(tc.edit), hours(1)), tc.keys)
			equal(t, "due", e.dueIDs(hours(1)), tc.due)
			for _, id := range []string{"alpha", "beta"} {
				if !slices.Contains(tc.due, id) && !e.cycle(id).NextAction.After(days(29)) {
					t.Errorf("%s's next action moved to %s", id, ts(e.cycle(id).NextAction))
				}
			}
			equalTime(t, "inactive gamma's next action", e.cycle("gamma").NextAction, time.Time{})
			equal(t, "changed keys synced again", syncSettings(e, changed(tc.edit), hours(2)), nil)
		})
	}
}
