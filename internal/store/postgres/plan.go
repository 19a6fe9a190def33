package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// DueCycles returns up to limit current cycles of active credentials whose
// next action has come at now, earliest first, with the keys of the
// deliveries each already has (the partial index on next_action_at makes
// it proportional to what is due).
func (s *Store) DueCycles(ctx context.Context, now time.Time, limit int) ([]domain.Cycle, error) {
	rows, err := s.query(ctx, `SELECT `+cycleColumns+`
		FROM credentials c JOIN rotations r ON r.id = c.rotation_id
		WHERE c.active AND c.next_action_at IS NOT NULL AND c.next_action_at <= ?
		ORDER BY c.next_action_at, c.id LIMIT ?`, storedTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: due cycles: %w", err)
	}
	cycles, err := collectCycles(rows)
	if err != nil {
		return nil, fmt.Errorf("store: due cycles: %w", err)
	}
	if err := s.loadSent(ctx, cycles); err != nil {
		return nil, err
	}
	return cycles, nil
}

// OpenCycles returns the current cycle of every active credential, by id,
// with the keys of the deliveries each already has.
func (s *Store) OpenCycles(ctx context.Context) ([]domain.Cycle, error) {
	rows, err := s.query(ctx, `SELECT `+cycleColumns+`
		FROM credentials c JOIN rotations r ON r.id = c.rotation_id WHERE c.active ORDER BY c.id`)
	if err != nil {
		return nil, fmt.Errorf("store: open cycles: %w", err)
	}
	cycles, err := collectCycles(rows)
	if err != nil {
		return nil, fmt.Errorf("store: open cycles: %w", err)
	}
	if err := s.loadSent(ctx, cycles); err != nil {
		return nil, err
	}
	return cycles, nil
}

func collectCycles(rows *sql.Rows) ([]domain.Cycle, error) {
	defer rows.Close()
	var out []domain.Cycle
	for rows.Next() {
		c, err := scanCycle(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// idBatch bounds the ids in one array parameter.
const idBatch = 5000

// loadSent fills each cycle's Sent with the keys of its deliveries.
func (s *Store) loadSent(ctx context.Context, cycles []domain.Cycle) error {
	index := make(map[int64]int, len(cycles))
	for i := range cycles {
		index[cycles[i].RotationID] = i
		cycles[i].Sent = map[schedule.Key]bool{}
	}
	for lo := 0; lo < len(cycles); lo += idBatch {
		hi := min(lo+idBatch, len(cycles))
		ids := make([]int64, 0, hi-lo)
		for _, c := range cycles[lo:hi] {
			ids = append(ids, c.RotationID)
		}
		rows, err := s.query(ctx, `SELECT rotation_id, stage, seq FROM deliveries WHERE rotation_id = ANY(?)`, ids)
		if err != nil {
			return fmt.Errorf("store: deliveries of cycles: %w", err)
		}
		for rows.Next() {
			var rid int64
			var k schedule.Key
			if err := rows.Scan(&rid, &k.Stage, &k.Seq); err != nil {
				rows.Close()
				return fmt.Errorf("store: deliveries of cycles: %w", err)
			}
			if i, ok := index[rid]; ok {
				cycles[i].Sent[k] = true
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: deliveries of cycles: %w", err)
		}
	}
	return nil
}

// RecordPlans writes what planning decided, in one transaction (see the
// SQLite store's doc: the same contract). It returns the deliveries it
// added.
func (s *Store) RecordPlans(ctx context.Context, plans []domain.Plan, now time.Time) ([]domain.Delivery, error) {
	var added []domain.Delivery
	err := s.update(ctx, func(t *tx) error {
		added = added[:0]
		var moves []domain.Plan
		for _, p := range plans {
			if len(p.Deliveries) == 0 {
				moves = append(moves, p)
				continue
			}
			var rid sql.NullInt64
			var active bool
			if err := t.queryRow(`SELECT rotation_id, active FROM credentials WHERE id = ?`, p.CredentialID).Scan(&rid, &active); err != nil {
				return fmt.Errorf("store: plan of %s: %w", p.CredentialID, err)
			}
			if !active || rid.Int64 != p.RotationID {
				continue
			}
			for _, d := range p.Deliveries {
				d.RotationID, d.CredentialID = p.RotationID, p.CredentialID
				id, inserted, err := t.insertDelivery(d, now)
				if err != nil {
					return err
				}
				if !inserted {
					continue
				}
				d.ID = id
				if d.Status == domain.StatusPending {
					d.NextAttemptAt = storedTime(now)
				}
				added = append(added, d)
				if d.Status == domain.StatusSkipped {
					if err := t.insertEvent(domain.Event{Time: now, Type: domain.EventReminder, CredentialID: d.CredentialID, RotationID: d.RotationID,
						DeliveryID: id, Stage: d.Stage, Channel: d.Channel, Status: domain.StatusSkipped, Detail: d.LastError}); err != nil {
						return err
					}
					continue
				}
				if err := t.supersedeLessUrgent(d.RotationID, d.Channel, id, now); err != nil {
					return err
				}
			}
			if _, err := t.exec(`UPDATE credentials SET next_action_at = ? WHERE id = ? AND rotation_id = ? AND next_action_at IS NOT DISTINCT FROM ?::timestamptz`,
				nullTime(p.NextAction), p.CredentialID, p.RotationID, nullTime(p.PlannedFrom)); err != nil {
				return fmt.Errorf("store: plan of %s: %w", p.CredentialID, err)
			}
		}
		return t.moveNextActions(moves)
	})
	if err != nil {
		return nil, err
	}
	return added, nil
}

// moveBatch is how many cycles one statement moves (4 parameters each).
const moveBatch = 1000

// moveNextActions writes the plans' next actions, each only where the
// cycle is still the plan's, active, and its next action still the one
// the planner read (see dueSet).
func (t *tx) moveNextActions(plans []domain.Plan) error {
	for lo := 0; lo < len(plans); lo += moveBatch {
		batch := plans[lo:min(lo+moveBatch, len(plans))]
		args := make([]any, 0, 4*len(batch))
		for _, p := range batch {
			args = append(args, p.CredentialID, p.RotationID, nullTime(p.NextAction), nullTime(p.PlannedFrom))
		}
		values := strings.TrimSuffix(strings.Repeat("(?::text,?::bigint,?::timestamptz,?::timestamptz),", len(batch)), ",")
		if _, err := t.exec(`WITH v(id, rid, next, prev) AS (VALUES `+values+`)
			UPDATE credentials SET next_action_at = v.next FROM v
			WHERE credentials.id = v.id AND credentials.rotation_id = v.rid AND credentials.active
				AND credentials.next_action_at IS NOT DISTINCT FROM v.prev`, args...); err != nil {
			return fmt.Errorf("store: next actions: %w", err)
		}
	}
	return nil
}

// insertDelivery adds an outbox row unless one exists for the same cycle,
// stage, channel and repeat; inserted says whether it was new. A pending
// row is due at once.
func (t *tx) insertDelivery(d domain.Delivery, now time.Time) (id int64, inserted bool, err error) {
	var next any
	if d.Status == domain.StatusPending {
		next = storedTime(now)
	}
	err = t.queryRow(`INSERT INTO deliveries (rotation_id, credential_id, stage, seq, channel, status, due_at, created_at, next_attempt_at, last_error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		d.RotationID, d.CredentialID, d.Stage, d.Seq, d.Channel, d.Status, storedTime(d.Due), storedTime(now), next, d.LastError).Scan(&id)
	switch {
	case err == sql.ErrNoRows:
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("store: delivery %s/%s/%s: %w", d.CredentialID, d.Stage, d.Channel, err)
	}
	return id, true, nil
}

// supersedeLessUrgent marks pending deliveries of the cycle on a channel,
// other than the given one, as superseded.
func (t *tx) supersedeLessUrgent(rotationID int64, channel string, keep int64, now time.Time) error {
	const why = "superseded by a more recent reminder"
	rows, err := t.query(`UPDATE deliveries SET status = 'superseded', next_attempt_at = NULL, last_error = ?, claimed_by = NULL, claim_expires_at = NULL
		WHERE rotation_id = ? AND channel = ? AND status = 'pending' AND id != ?
		RETURNING id, credential_id, rotation_id, stage, channel`, why, rotationID, channel, keep)
	if err != nil {
		return fmt.Errorf("store: supersede: %w", err)
	}
	return t.supersededEvents(rows, now, why)
}
