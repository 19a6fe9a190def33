package engine

import (
	"context"
	"time"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/db"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// cycleView is an open cycle joined with its credential's config.
type cycleView struct {
	db.OpenCycle
	cred     config.Credential
	policy   *config.Policy
	deadline time.Time
}

// openCycles joins the store's open cycles with the config. A credential the
// store has but the config lacks (a sync is pending) is left out.
func (e *Engine) openCycles(ctx context.Context) ([]cycleView, error) {
	cfg := e.cfg
	cycles, err := e.store.OpenCycles(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]cycleView, 0, len(cycles))
	for _, oc := range cycles {
		c, ok := cfg.Credential(oc.CredentialID)
		if !ok {
			continue
		}
		out = append(out, cycleView{
			OpenCycle: oc,
			cred:      c,
			policy:    cfg.Policies[c.Policy],
			deadline:  c.Deadline(oc.RotatedAt, cfg.Location),
		})
	}
	return out, nil
}

func (v cycleView) schedule() schedule.Cycle {
	return schedule.Cycle{Start: v.RotatedAt, Deadline: v.deadline}
}

func (v cycleView) ack() schedule.Ack { return schedule.Ack{At: v.AckAt, By: v.AckBy} }

func (v cycleView) sent(k schedule.Key) bool { return v.Sent[db.SentKey{Stage: k.Stage, Seq: k.Seq}] }

type planned struct {
	view   *cycleView
	action schedule.Action
}

// enqueue plans every open cycle at now and writes what is due into the
// outbox: a pending delivery per channel of a stage to send, a skipped one
// per channel of a stage that will never be sent. Unique keys make a second
// run at the same now a no-op.
func (e *Engine) enqueue(ctx context.Context, now time.Time, rep *Report) error {
	cfg := e.cfg
	views, err := e.openCycles(ctx)
	if err != nil {
		return err
	}
	policies := make(map[string]schedule.Policy, len(cfg.Policies))
	for name, p := range cfg.Policies {
		policies[name] = p.Schedule()
	}
	var todo []planned
	for i := range views {
		v := &views[i]
		for _, a := range schedule.Plan(policies[v.cred.Policy], v.schedule(), v.ack(), v.sent, now, cfg.Location) {
			todo = append(todo, planned{v, a})
		}
	}
	if len(todo) == 0 {
		return nil
	}
	return e.store.Update(ctx, func(tx *db.Tx) error {
		for _, p := range todo {
			if err := e.enqueueAction(tx, p, now, rep); err != nil {
				return err
			}
		}
		return nil
	})
}

func (e *Engine) enqueueAction(tx *db.Tx, p planned, now time.Time, rep *Report) error {
	a, v := p.action, p.view
	for _, ch := range a.Stage.Channels {
		d := db.Delivery{RotationID: v.RotationID, CredentialID: v.CredentialID, Stage: a.Stage.Name, Seq: a.Seq,
			Channel: ch, Due: a.Due}
		if a.Kind == schedule.Skip {
			d.Status, d.LastError = db.StatusSkipped, a.Reason
		} else {
			d.Status, d.NextAttemptAt = db.StatusPending, now
		}
		id, inserted, err := tx.InsertDelivery(d, now)
		if err != nil || !inserted {
			return err
		}
		if a.Kind == schedule.Skip {
			rep.Outcomes = append(rep.Outcomes, Outcome{Credential: v.CredentialID, Stage: a.Stage.Name, Channel: ch, Status: db.StatusSkipped, Detail: a.Reason})
			if err := tx.InsertEvent(db.Event{Time: now, Type: db.EventReminder, CredentialID: v.CredentialID, RotationID: v.RotationID,
				DeliveryID: id, Stage: a.Stage.Name, Channel: ch, Status: db.StatusSkipped, Detail: a.Reason}); err != nil {
				return err
			}
			continue
		}
		if err := tx.SupersedeLessUrgent(v.RotationID, ch, id, now); err != nil {
			return err
		}
	}
	return nil
}
