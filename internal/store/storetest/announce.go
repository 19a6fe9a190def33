package storetest

import (
	"errors"
	"testing"

	"github.com/notifier-dev/notifier/internal/domain"
)

// announcements are the outbox rows of id's rotation announcements, as
// text.
func (e *env) announcements(id string) []string {
	e.t.Helper()
	var out []string
	for _, d := range e.deliveries(id) {
		if d.Stage == domain.StageAnnounce {
			out = append(out, deliveryText(d))
		}
	}
	return out
}

func testAnnounce(t *testing.T, open Opener) {
	t.Run("a recorded rotation adds one announcement per channel, in its transaction; a first sync none", func(t *testing.T) {
		e := newEnv(t, open)
		if _, err := e.SyncSettings(e.ctx, map[string]string{domain.AnnounceKey("default"): "news,pager"}, t0); err != nil {
			t.Fatal(err)
		}
		e.sync(file, t0, cred("alpha"), cred("beta"))
		equal(t, "after the first sync", e.announcements("alpha"), []string(nil))

		moved := with(cred("alpha"), func(c *domain.Credential) { c.RotatedAt = hours(1) })
		e.sync(file, hours(2), moved, cred("beta"))
		want := []string{
			deliveryText(domain.Delivery{Stage: domain.StageAnnounce, Channel: "news", Status: domain.StatusPending, NextAttemptAt: hours(2)}),
			deliveryText(domain.Delivery{Stage: domain.StageAnnounce, Channel: "pager", Status: domain.StatusPending, NextAttemptAt: hours(2)}),
		}
		equal(t, "after the config rotation", e.announcements("alpha"), want)
		equal(t, "beta, not rotated", e.announcements("beta"), []string(nil))
		// A resync from another handle (another process) adds nothing.
		other := e.handle()
		if _, err := other.SyncFile(e.ctx, configFile(file, hours(3)), []domain.Credential{moved, cred("beta")}, domain.SyncOptions{}, hours(3)); err != nil {
			t.Fatal(err)
		}
		equal(t, "after a resync", e.announcements("alpha"), want)
		// A reminder planned on the channel does not supersede it.
		e.record(e.cycle("alpha"), hours(3), days(30), pending("180d", 0, "news", hours(3)))
		equal(t, "after a reminder on news", e.announcements("alpha"), want)

		got := claim(t, e.Store, "test", "pager", hours(3), hours(4), 10)
		if len(got) != 1 || got[0].Stage != domain.StageAnnounce || got[0].Cycle.Source != "config" || got[0].RotationRecordedAt.IsZero() {
			t.Fatalf("claimed %+v, want pager's announcement of the config rotation with its record time", got)
		}
		equalTime(t, "its due (the rotation's time)", got[0].Due, hours(1))
		// An announcement is not a reminder to acknowledge: an ack through
		// it (a forged Slack click or ack link) is refused, and records
		// nothing.
		if _, err := e.RecordAck(e.ctx, domain.Ack{CredentialID: "alpha", At: hours(3), Actor: "mallory", Source: "slack", DeliveryID: got[0].ID}); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("an ack through the announcement: %v, want domain.ErrNotFound", err)
		}
		if c := e.cycle("alpha"); c.Ack().Acknowledged(hours(3)) {
			t.Errorf("the cycle is acknowledged through its announcement: %+v", c.Ack())
		}
		e.outcomes(e.Store, "test", outcome(got[0].Delivery, domain.StatusSent, 1, hours(3)))
		// Sent, it is still no reminder: the cycle's last reminder is none.
		states, err := e.States(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range states {
			if st.ID == "alpha" && (st.LastStage != "" || !st.LastSentAt.IsZero()) {
				t.Errorf("alpha's last reminder is %q at %v, want none: its only sent delivery is the announcement", st.LastStage, st.LastSentAt)
			}
		}
	})

	t.Run("a retracted rotation's unsent announcement is superseded; another rotation's stays", func(t *testing.T) {
		e := newEnv(t, open)
		if _, err := e.SyncSettings(e.ctx, map[string]string{domain.AnnounceKey("default"): "news"}, t0); err != nil {
			t.Fatal(err)
		}
		e.sync(file, t0, cred("alpha"))
		e.rotate("alpha", hours(1), hours(1))
		if got := claim(t, e.Store, "test", "news", hours(1), hours(2), 10); len(got) != 1 || got[0].RotatedBy != "operator" {
			t.Fatalf("claimed %+v, want the announcement of operator's rotation", got)
		} else {
			e.outcomes(e.Store, "test", outcome(got[0].Delivery, domain.StatusSent, 1, hours(1)))
		}
		e.rotate("alpha", hours(2), hours(2))
		e.retract(domain.RetractRotation, "alpha", 0, domain.Retraction{At: hours(3)})
		got := e.announcements("alpha")
		if len(got) != 2 || got[0] != deliveryText(domain.Delivery{Stage: domain.StageAnnounce, Channel: "news", Status: domain.StatusSent, Attempts: 1, SentAt: hours(1)}) {
			t.Fatalf("announcements %q: want the first sent", got)
		}
		if d := e.deliveries("alpha"); d[len(d)-1].Status != domain.StatusSuperseded {
			t.Errorf("the retracted rotation's announcement is %s, want superseded", d[len(d)-1].Status)
		}
		if got := claim(t, e.Store, "test", "news", hours(4), hours(5), 10); len(got) != 0 {
			t.Errorf("claimed %+v after the retraction, want nothing", got)
		}
	})
}
