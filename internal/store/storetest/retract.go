package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// retract retracts a record of id as x says (targetID 0: the current
// cycle's), by carol for a reason unless x names others.
func (e *env) retract(kind, id string, targetID int64, x domain.Retraction) domain.Retraction {
	e.t.Helper()
	x.Kind, x.CredentialID, x.TargetID = kind, id, targetID
	if x.Actor == "" {
		x.Actor = "carol"
	}
	if x.Reason == "" {
		x.Reason = "wrong credential rotated"
	}
	x, err := e.Retract(e.ctx, x)
	if err != nil {
		e.t.Fatalf("Retract(%s %s %d): %v", kind, id, targetID, err)
	}
	return x
}

func testRetract(t *testing.T, open Opener) {
	t.Run("a retracted rotation gives back the earlier cycle: deadline, sent stages, acknowledgment, superseded deliveries", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"))
		old := e.cycle("alpha")
		d := e.enqueue("alpha", hours(1), pending("30d", 0, "slack", t0), pending("7d", 0, "email", t0))
		claim(t, e.Store, "test", "slack", hours(1), hours(2), 10)
		e.outcomes(e.Store, "test", outcome(d[0], domain.StatusSent, 1, hours(1)))
		e.settle("alpha", hours(1), days(20))
		e.ack("alpha", hours(2), "alice")

		mistaken := e.rotate("alpha", hours(3), hours(3))
		stale := e.enqueue("alpha", hours(4), pending("180d", 0, "slack", hours(4)))[0]
		equal(t, "the old cycle's pending reminder before the retraction", e.delivery(d[1].ID).Status, domain.StatusSuperseded)

		x := e.retract(domain.RetractRotation, "alpha", 0, domain.Retraction{At: hours(5)})
		equal(t, "retracted", []int64{x.TargetID, x.RotationID}, []int64{mistaken.RotationID, old.RotationID})
		equalTime(t, "retracted rotation's time", x.TargetTime, hours(3))
		if x.ID == 0 || x.RecordedAt.IsZero() || x.RecordedAt.Equal(x.At) {
			t.Errorf("retraction id %d recorded at %s: want an id and the wall clock, not the retraction's time %s", x.ID, ts(x.RecordedAt), ts(x.At))
		}

		cy := e.cycle("alpha")
		equal(t, "current cycle", cy.RotationID, old.RotationID)
		equalTime(t, "its start (the deadline's base)", cy.Start, rotated)
		equal(t, "its acknowledgment", cy.AckBy, "alice")
		equalTime(t, "acknowledged at", cy.AckAt, hours(2))
		dueBy(t, "resumed cycle", cy, hours(5))
		due := e.due(hours(5), 10)
		if len(due) != 1 {
			t.Fatalf("due = %v, want alpha", cycleIDs(due))
		}
		if !due[0].Sent[schedule.Key{Stage: "30d"}] || !due[0].Sent[schedule.Key{Stage: "7d"}] {
			t.Errorf("sent keys of the resumed cycle = %v, want 30d#0 and 7d#0", due[0].Sent)
		}
		equal(t, "deliveries", []string{deliveryText(e.delivery(d[0].ID)), deliveryText(e.delivery(d[1].ID)), e.delivery(stale.ID).Status},
			[]string{
				deliveryText(domain.Delivery{Stage: "30d", Channel: "slack", Status: domain.StatusSent, Attempts: 1, SentAt: hours(1)}),
				deliveryText(domain.Delivery{Stage: "7d", Channel: "email", Status: domain.StatusPending, NextAttemptAt: hours(5)}),
				domain.StatusSuperseded,
			})
		evs := e.historySince("alpha", hours(5))
		equal(t, "events", eventText(evs), []string{
			"retraction/rotation alpha @" + ts(hours(5)),
			"reminder/superseded alpha @" + ts(hours(5)),
			"reminder/pending alpha @" + ts(hours(5)),
		})
		if len(evs) == 3 {
			equal(t, "retraction event", []any{evs[0].RotationID, evs[0].Actor, evs[0].Detail}, []any{mistaken.RotationID, "carol",
				"rotation at " + ts(hours(3)) + " (source cli) retracted: wrong credential rotated; the cycle of " + ts(rotated) + " resumes"})
			equal(t, "delivery events", []int64{evs[1].DeliveryID, evs[2].DeliveryID}, []int64{stale.ID, d[1].ID})
		}

		// Rotating again compares with the latest live rotation, not the
		// retracted one: a rotation before the mistaken one is newer.
		next := e.rotate("alpha", hours(2), hours(6))
		equalTime(t, "new cycle after the retraction", next.Start, hours(2))
		equal(t, "the resumed cycle's pending reminder", e.delivery(d[1].ID).Status, domain.StatusSuperseded)
	})

	t.Run("an earlier rotation retracted by id or time: the current cycle stays", func(t *testing.T) {
		for _, byTime := range []bool{false, true} {
			e := newEnv(t, open)
			e.sync(file, t0, cred("alpha"))
			mid := e.rotate("alpha", hours(1), hours(1))
			cur := e.rotate("alpha", hours(2), hours(2))
			x := domain.Retraction{At: hours(3)}
			var id int64
			if byTime {
				x.TargetAt = hours(1)
			} else {
				id = mid.RotationID
			}
			got := e.retract(domain.RetractRotation, "alpha", id, x)
			equal(t, "retracted, current", []int64{got.TargetID, got.RotationID}, []int64{mid.RotationID, cur.RotationID})
			equal(t, "current cycle", e.cycle("alpha").RotationID, cur.RotationID)
		}
	})

	t.Run("refused, recording nothing", func(t *testing.T) {
		cases := []struct {
			name string
			x    func(e *env, betaAck int64) domain.Retraction
			want error
		}{
			{"the only rotation", func(e *env, betaAck int64) domain.Retraction {
				return domain.Retraction{CredentialID: "beta", Kind: domain.RetractRotation}
			}, domain.ErrOnlyRotation},
			{"an unknown rotation id", func(e *env, betaAck int64) domain.Retraction {
				return domain.Retraction{CredentialID: "alpha", Kind: domain.RetractRotation, TargetID: 9999}
			}, domain.ErrNotFound},
			{"no rotation at that time", func(e *env, betaAck int64) domain.Retraction {
				return domain.Retraction{CredentialID: "alpha", Kind: domain.RetractRotation, TargetAt: hours(7)}
			}, domain.ErrNotFound},
			{"a rotation of another credential", func(e *env, betaAck int64) domain.Retraction {
				return domain.Retraction{CredentialID: "alpha", Kind: domain.RetractRotation, TargetID: e.cycle("beta").RotationID}
			}, domain.ErrNotFound},
			{"a rotation already retracted", func(e *env, betaAck int64) domain.Retraction {
				return domain.Retraction{CredentialID: "alpha", Kind: domain.RetractRotation, TargetAt: hours(3)}
			}, domain.ErrRetracted},
			{"an unknown credential", func(e *env, betaAck int64) domain.Retraction {
				return domain.Retraction{CredentialID: "nope", Kind: domain.RetractRotation}
			}, domain.ErrUnknownCredential},
			{"an acknowledgment of a cycle without one", func(e *env, betaAck int64) domain.Retraction {
				return domain.Retraction{CredentialID: "alpha", Kind: domain.RetractAck}
			}, domain.ErrNotFound},
			{"an acknowledgment of another credential", func(e *env, betaAck int64) domain.Retraction {
				return domain.Retraction{CredentialID: "alpha", Kind: domain.RetractAck, TargetID: betaAck}
			}, domain.ErrNotFound},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := newEnv(t, open)
				e.sync(file, t0, cred("alpha"), cred("beta"))
				e.rotate("alpha", hours(2), hours(2))
				e.rotate("alpha", hours(3), hours(3))
				e.retract(domain.RetractRotation, "alpha", 0, domain.Retraction{At: hours(4)})
				betaAck := e.ack("beta", hours(4), "alice").ID
				before := e.cycle("alpha")
				events := e.history(domain.HistoryFilter{})

				x := tc.x(e, betaAck)
				x.At, x.Actor, x.Reason = hours(5), "carol", "mistake"
				_, err := e.Retract(e.ctx, x)
				if !errors.Is(err, tc.want) {
					t.Fatalf("Retract = %v, want %v", err, tc.want)
				}
				equal(t, "events", eventText(e.history(domain.HistoryFilter{})), eventText(events))
				equal(t, "alpha's cycle", e.cycle("alpha"), before)
			})
		}
		t.Run("an empty reason", func(t *testing.T) {
			e := newEnv(t, open)
			e.sync(file, t0, cred("alpha"))
			e.rotate("alpha", hours(2), hours(2))
			_, err := e.Retract(e.ctx, domain.Retraction{CredentialID: "alpha", Kind: domain.RetractRotation, At: hours(3), Reason: " "})
			if err == nil {
				t.Fatal("Retract with an empty reason succeeded")
			}
			equal(t, "cycle start", ts(e.cycle("alpha").Start), ts(hours(2)))
		})
	})

	t.Run("a retracted acknowledgment leaves the cycle unacknowledged and due; it can be acknowledged again", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"))
		e.settle("alpha", hours(1), days(20))
		a := e.ack("alpha", hours(2), "alice")
		e.settle("alpha", hours(2), days(20))

		x := e.retract(domain.RetractAck, "alpha", 0, domain.Retraction{At: hours(3), Reason: "clicked by mistake"})
		equal(t, "retracted ack", x.TargetID, a.ID)
		cy := e.cycle("alpha")
		equal(t, "acknowledged by", cy.AckBy, "")
		dueBy(t, "unacknowledged cycle", cy, hours(3))
		evs := e.historySince("alpha", hours(3))
		equal(t, "events", eventText(evs), []string{"retraction/acknowledgment alpha @" + ts(hours(3))})
		if len(evs) == 1 {
			equal(t, "detail", evs[0].Detail, "acknowledgment at "+ts(hours(2))+" by alice retracted: clicked by mistake")
		}
		if _, err := e.Retract(e.ctx, domain.Retraction{CredentialID: "alpha", Kind: domain.RetractAck, TargetID: a.ID, At: hours(4), Reason: "again"}); !errors.Is(err, domain.ErrRetracted) {
			t.Errorf("retracting it twice = %v, want %v", err, domain.ErrRetracted)
		}
		e.ack("alpha", hours(4), "bob")
		equal(t, "acknowledged again by", e.cycle("alpha").AckBy, "bob")
	})

	t.Run("the report: retracted records are no cycles and no acknowledgments; each retraction is shown with its cycle", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"), cred("beta"))
		first := e.cycle("alpha")
		a := e.ack("alpha", hours(1), "alice")
		mistaken := e.rotate("alpha", hours(2), hours(2))
		e.retract(domain.RetractRotation, "alpha", 0, domain.Retraction{At: hours(3), Actor: "carol", Reason: "wrong one"})
		e.retract(domain.RetractAck, "alpha", 0, domain.Retraction{At: hours(4), Actor: "dave", Reason: "misclick"})
		later := e.rotate("alpha", hours(5), hours(5))

		cycles := e.report(domain.ReportFilter{CredentialID: "alpha"})
		if len(cycles) != 2 {
			t.Fatalf("%d cycles, want 2 (the retracted rotation is none): %+v", len(cycles), cycles)
		}
		equal(t, "cycles", []int64{cycles[0].RotationID, cycles[1].RotationID}, []int64{first.RotationID, later.RotationID})
		equal(t, "the first cycle closed by", cycles[0].Closed.ID, later.RotationID)
		equal(t, "its acknowledgments", len(cycles[0].Acks), 0)
		if len(cycles[0].Retractions) != 2 {
			t.Fatalf("retractions of the first cycle: %+v, want the rotation's and the acknowledgment's", cycles[0].Retractions)
		}
		equal(t, "its retractions", cycles[0].Retractions, []domain.RetractionRecord{
			{Kind: domain.RetractRotation, TargetID: mistaken.RotationID, TargetTime: hours(2), At: hours(3), Actor: "carol", Reason: "wrong one",
				RecordedAt: cycles[0].Retractions[0].RecordedAt},
			{Kind: domain.RetractAck, TargetID: a.ID, TargetTime: hours(1), At: hours(4), Actor: "dave", Reason: "misclick",
				RecordedAt: cycles[0].Retractions[1].RecordedAt},
		})
		if rec := cycles[0].Retractions[0].RecordedAt; rec.IsZero() || rec.Equal(hours(3)) {
			t.Errorf("recorded at %s: want the wall clock", ts(rec))
		}
		equal(t, "the later cycle's retractions", len(cycles[1].Retractions), 0)
	})

	t.Run("the config moving backward before a credential's only rotation warns without a command that would be refused", func(t *testing.T) {
		// A newcomer's typo: the date corrected to an earlier one after
		// the first sync. The first rotation cannot be retracted
		// (ErrOnlyRotation): the warning must not send them to a
		// command that refuses.
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"))
		first := e.cycle("alpha")
		earlier := with(cred("alpha"), func(c *domain.Credential) { c.RotatedAt = rotated.AddDate(0, 0, -10) })
		changes := e.sync(file, hours(1), earlier)
		equal(t, "changes", changeText(changes), []string{"alpha ignored warn=true"})
		if len(changes) == 1 {
			d := changes[0].Detail
			if strings.Contains(d, "notifier retract") || !strings.Contains(d, "first rotation") || !strings.Contains(d, "cannot be retracted") {
				t.Errorf("warning %q: want it to say the first rotation cannot be retracted, and no retract command", d)
			}
		}
		equal(t, "the cycle stands", e.cycle("alpha").RotationID, first.RotationID)
		if _, err := e.Retract(e.ctx, domain.Retraction{Kind: domain.RetractRotation, CredentialID: "alpha", TargetID: first.RotationID,
			At: hours(2), Actor: "ops", Reason: "typo"}); !errors.Is(err, domain.ErrOnlyRotation) {
			t.Errorf("retracting the only rotation: %v, want ErrOnlyRotation", err)
		}
	})

	t.Run("the config moving backward warns with the command that retracts; after a retraction it does not", func(t *testing.T) {
		forward := with(cred("alpha"), func(c *domain.Credential) { c.RotatedAt = hours(1) })
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"))
		e.sync(file, hours(2), forward)
		mistaken := e.cycle("alpha")
		changes := e.sync(file, hours(3), cred("alpha"))
		equal(t, "changes", changeText(changes), []string{"alpha ignored warn=true"})
		wantDetail := "rotated_at moved backward in the config (" + ts(hours(1)) + " -> " + ts(rotated) + "); ignored, the recorded rotations stand; " +
			"if the rotation at " + ts(hours(1)) + " (source config) was a mistake, undo it with: notifier retract rotation alpha --rotation " +
			fmt.Sprint(mistaken.RotationID) + ` --reason "..."`
		if len(changes) == 1 {
			equal(t, "warning", changes[0].Detail, wantDetail)
		}
		equal(t, "the cycle stands", e.cycle("alpha").RotationID, mistaken.RotationID)

		// Retracted first, then the config moved back: no warning.
		e = newEnv(t, open)
		e.sync(file, t0, cred("alpha"))
		e.sync(file, hours(2), forward)
		e.retract(domain.RetractRotation, "alpha", 0, domain.Retraction{At: hours(3)})
		before := len(e.history(domain.HistoryFilter{}))
		equal(t, "changes after the retraction", changeText(e.sync(file, hours(4), cred("alpha"))), []string{})
		equal(t, "events after the retraction", len(e.history(domain.HistoryFilter{})), before)
	})

	t.Run("a rotation at a retracted one's time: refused from the CLI, ignored with a warning from the config", func(t *testing.T) {
		forward := with(cred("alpha"), func(c *domain.Credential) { c.RotatedAt = hours(1) })
		e := newEnv(t, open)
		e.sync(file, t0, cred("alpha"))
		e.sync(file, hours(2), forward)
		e.retract(domain.RetractRotation, "alpha", 0, domain.Retraction{At: hours(3)})
		resumed := e.cycle("alpha")
		err := e.RecordRotation(e.ctx, domain.Rotation{CredentialID: "alpha", RotatedAt: hours(1), Source: "cli"}, hours(4))
		if !errors.Is(err, domain.ErrRetracted) {
			t.Errorf("RecordRotation at the retracted rotation's time = %v, want %v", err, domain.ErrRetracted)
		}
		e.sync(file, hours(4), cred("alpha"))
		equal(t, "changes", changeText(e.sync(file, hours(5), forward)), []string{"alpha ignored warn=true"})
		equal(t, "the resumed cycle stands", e.cycle("alpha").RotationID, resumed.RotationID)
	})
}
