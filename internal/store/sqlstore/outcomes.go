package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// RecordOutcomes records the outcomes of a claimant's attempts in one
// transaction (a group commit): sent, retry (with the next attempt's time),
// failed, or released (the claim given back, untried). A delivery whose
// claim was lost meanwhile (it expired and another sender took it, or a
// rotation superseded it) keeps its row as the other party left it; the
// attempt's event is recorded all the same, for the history must say what
// went out.
func (s *Store) RecordOutcomes(ctx context.Context, claimant string, outcomes []domain.Outcome) error {
	return s.update(ctx, func(t *Tx) error {
		for _, o := range outcomes {
			var res sql.Result
			var err error
			switch o.Status {
			case domain.StatusSent:
				res, err = t.Exec(`UPDATE deliveries SET status = 'sent', attempts = ?, sent_at = ?, next_attempt_at = NULL, last_error = '',
					claimed_by = NULL, claim_expires_at = NULL, recorded_at = ? WHERE id = ? AND claimed_by = ? AND status = 'pending'`,
					o.Attempts, t.Time(o.Event.Time), t.Time(t.Recorded()), o.DeliveryID, claimant)
			case domain.StatusRetry:
				res, err = t.Exec(`UPDATE deliveries SET attempts = ?, next_attempt_at = ?, last_error = ?,
					claimed_by = NULL, claim_expires_at = NULL WHERE id = ? AND claimed_by = ? AND status = 'pending'`,
					o.Attempts, t.Time(o.NextAttemptAt), o.Error, o.DeliveryID, claimant)
			case domain.StatusFailed:
				res, err = t.Exec(`UPDATE deliveries SET status = 'failed', attempts = ?, next_attempt_at = NULL, last_error = ?,
					claimed_by = NULL, claim_expires_at = NULL, recorded_at = ? WHERE id = ? AND claimed_by = ? AND status = 'pending'`,
					o.Attempts, o.Error, t.Time(t.Recorded()), o.DeliveryID, claimant)
			case domain.StatusReleased:
				res, err = t.Exec(`UPDATE deliveries SET claimed_by = NULL, claim_expires_at = NULL
					WHERE id = ? AND claimed_by = ? AND status = 'pending'`, o.DeliveryID, claimant)
			default:
				return fmt.Errorf("store: delivery %d: unknown outcome %q", o.DeliveryID, o.Status)
			}
			if err != nil {
				return fmt.Errorf("store: delivery %d: %w", o.DeliveryID, err)
			}
			if o.Status == domain.StatusSent && !o.WakeAt.IsZero() {
				if err := wakeAt(t, o.DeliveryID, o.WakeAt); err != nil {
					return err
				}
			}
			ev := o.Event
			if n, _ := res.RowsAffected(); n == 0 {
				ev.Detail += " (its claim had been lost: the delivery was superseded or taken over meanwhile)"
			}
			if err := t.InsertEvent(ev); err != nil {
				return err
			}
		}
		return nil
	})
}

// wakeAt moves the next action of the cycle of a delivery to at, if that is
// earlier (or it has none): an escalation becomes due then. Only the
// cycle still current and active moves.
func wakeAt(t *Tx, deliveryID int64, at time.Time) error {
	if _, err := t.Exec(`UPDATE credentials SET next_action_at = ?
		WHERE (next_action_at IS NULL OR next_action_at > ?) AND `+t.IsTrue("active")+`
			AND (id, rotation_id) IN (SELECT credential_id, rotation_id FROM deliveries WHERE id = ?)`,
		t.Time(at), t.Time(at), deliveryID); err != nil {
		return fmt.Errorf("store: escalation of delivery %d: %w", deliveryID, err)
	}
	return nil
}
