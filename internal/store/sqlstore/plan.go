package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// DueCycles returns up to limit current cycles of active credentials whose
// next action has come at now, earliest first, with the keys of the
// deliveries each already has. The index on next_action_at makes this
// proportional to what is due, not to the fleet.
func (s *Store) DueCycles(ctx context.Context, now time.Time, limit int) ([]domain.Cycle, error) {
	rows, err := s.db.Query(ctx, `SELECT `+CycleColumns+`
		FROM `+CurrentCycle+`
		WHERE `+s.db.IsTrue("c.active")+` AND c.next_action_at IS NOT NULL AND c.next_action_at <= ?
		ORDER BY c.next_action_at, c.id LIMIT ?`, s.db.Time(now), limit)
	cycles, err := s.collectCycles(rows, err)
	if err != nil {
		return nil, fmt.Errorf("store: due cycles: %w", err)
	}
	if err := s.loadSent(ctx, cycles); err != nil {
		return nil, err
	}
	return cycles, nil
}

// OpenCycles returns the current cycle of every active credential, by id,
// with the keys of the deliveries each already has: what `notifier plan`
// looks ahead from.
func (s *Store) OpenCycles(ctx context.Context) ([]domain.Cycle, error) {
	rows, err := s.db.Query(ctx, `SELECT `+CycleColumns+`
		FROM `+CurrentCycle+` WHERE `+s.db.IsTrue("c.active")+` ORDER BY c.id`)
	cycles, err := s.collectCycles(rows, err)
	if err != nil {
		return nil, fmt.Errorf("store: open cycles: %w", err)
	}
	if err := s.loadSent(ctx, cycles); err != nil {
		return nil, err
	}
	return cycles, nil
}

// CyclesOf returns the current cycles of the credentials ids (active or
// not; an unknown id is left out), by id, with the keys of the
// deliveries each already has: a page of the console asks what plan
// would show first for its few rows, one query by key, not the fleet.
func (s *Store) CyclesOf(ctx context.Context, ids []string) ([]domain.Cycle, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	in, args := In(s.db, "c.id", ids)
	rows, err := s.db.Query(ctx, `SELECT `+CycleColumns+` FROM `+CurrentCycle+` WHERE `+in+` ORDER BY c.id`, args...)
	cycles, err := s.collectCycles(rows, err)
	if err != nil {
		return nil, fmt.Errorf("store: cycles of a page: %w", err)
	}
	if err := s.loadSent(ctx, cycles); err != nil {
		return nil, err
	}
	return cycles, nil
}

func (s *Store) collectCycles(rows *sql.Rows, err error) ([]domain.Cycle, error) {
	x := newCycleScan()
	return Collect(rows, err, func(r Scanner) (domain.Cycle, error) { return x.scan(r) })
}

// loadSent fills each cycle's Sent with the keys of its deliveries, and
// FirstSent with each stage's first successful delivery.
func (s *Store) loadSent(ctx context.Context, cycles []domain.Cycle) error {
	return s.loadSentBy(ctx, s.db, cycles)
}

// loadSentBy is loadSent read by r (one of a snapshot's readers).
func (s *Store) loadSentBy(ctx context.Context, r Reader, cycles []domain.Cycle) error {
	index := make(map[int64]int, len(cycles))
	for i := range cycles {
		index[cycles[i].RotationID] = i
		// Made on a cycle's first delivery: most cycles of a plan of the
		// fleet have none, and a million empty maps were garbage.
		cycles[i].Sent, cycles[i].FirstSent = nil, nil
	}
	batch := s.db.IDBatch()
	for lo := 0; lo < len(cycles); lo += batch {
		hi := min(lo+batch, len(cycles))
		ids := make([]int64, 0, hi-lo)
		for _, c := range cycles[lo:hi] {
			ids = append(ids, c.RotationID)
		}
		q, args := s.sentQuery(ids)
		rows, err := r.Query(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("store: deliveries of cycles: %w", err)
		}
		for rows.Next() {
			var rid int64
			var k schedule.Key
			var sentAt time.Time
			if err := rows.Scan(&rid, &k.Stage, &k.Seq, NullTimeOf(&sentAt)); err != nil {
				rows.Close()
				return fmt.Errorf("store: deliveries of cycles: %w", err)
			}
			if i, ok := index[rid]; ok {
				c := &cycles[i]
				if c.Sent == nil {
					c.Sent, c.FirstSent = map[schedule.Key]bool{}, map[string]time.Time{}
				}
				c.Sent[k] = true
				if first, seen := c.FirstSent[k.Stage]; !sentAt.IsZero() && (!seen || sentAt.Before(first)) {
					c.FirstSent[k.Stage] = sentAt
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: deliveries of cycles: %w", err)
		}
	}
	return nil
}

// sentQuery is loadSent's query of a batch: the keys of the deliveries
// of the rotations ids, by the index of their unique key, and when each
// went out (NULL: it did not, or not yet).
func (s *Store) sentQuery(ids []int64) (string, []any) {
	in, args := In(s.db, "rotation_id", ids)
	return `SELECT rotation_id, stage, seq, sent_at FROM deliveries WHERE ` + in, args
}

// RecordPlans writes what planning decided, in one transaction: each plan's
// deliveries are added to the outbox unless they exist (the unique key makes
// a plan recorded twice, by two ticks at once, a no-op), a skipped one with
// its history event, a pending one superseding the cycle's older pending
// delivery on the same channel; then the cycle's next action, only if it is
// still the plan's PlannedFrom: an acknowledgment or a sync that changed
// the cycle since the planner read it moved it (see Tx.MarkDue),
// and wins. A plan for a cycle that is no longer current (rotated
// meanwhile) or no longer active is dropped whole. It returns the
// deliveries it added.
func (s *Store) RecordPlans(ctx context.Context, plans []domain.Plan, now time.Time) ([]domain.Delivery, error) {
	var added []domain.Delivery
	err := s.update(ctx, func(t *Tx) error {
		added = added[:0]
		setNext := `UPDATE credentials SET next_action_at = ? WHERE id = ? AND rotation_id = ? AND ` +
			t.IsNotDistinct("next_action_at", t.Param("timestamptz"))
		// Most plans only move a cycle's next action (nothing is due yet):
		// those are written many to a statement.
		var moves []domain.Plan
		for _, p := range plans {
			if len(p.Deliveries) == 0 {
				moves = append(moves, p)
				continue
			}
			var rid sql.NullInt64
			var active bool
			if err := t.QueryRow(`SELECT rotation_id, active FROM credentials WHERE id = ?`, p.CredentialID).Scan(&rid, &active); err != nil {
				return fmt.Errorf("store: plan of %s: %w", p.CredentialID, err)
			}
			if !active || rid.Int64 != p.RotationID {
				continue
			}
			for _, d := range p.Deliveries {
				d.RotationID, d.CredentialID = p.RotationID, p.CredentialID
				id, inserted, err := insertDelivery(t, d, now)
				if err != nil {
					return err
				}
				if !inserted {
					continue
				}
				d.ID = id
				if d.Status == domain.StatusPending {
					d.NextAttemptAt = StoredTime(notBefore(d, now)) // as insertDelivery stored it
				}
				added = append(added, d)
				if d.Status == domain.StatusSkipped {
					if err := t.InsertEvent(domain.Event{Time: now, Type: domain.EventReminder, CredentialID: d.CredentialID, RotationID: d.RotationID,
						DeliveryID: id, Stage: d.Stage, Channel: d.Channel, Status: domain.StatusSkipped, Detail: d.LastError}); err != nil {
						return err
					}
					continue
				}
				// A newer reminder replaces an older one still retrying on
				// the channel, so a recovered service does not get a burst
				// of stale messages.
				// An announcement is no reminder: it stays.
				if err := Supersede(t, `rotation_id = ? AND channel = ? AND status = 'pending' AND id != ? AND stage != ?`, now,
					"superseded by a more recent reminder", d.RotationID, d.Channel, id, domain.StageAnnounce); err != nil {
					return fmt.Errorf("store: supersede: %w", err)
				}
			}
			if _, err := t.Exec(setNext, nullTime(t, p.NextAction), p.CredentialID, p.RotationID, nullTime(t, p.PlannedFrom)); err != nil {
				return fmt.Errorf("store: plan of %s: %w", p.CredentialID, err)
			}
		}
		return moveNextActions(t, moves)
	})
	if err != nil {
		return nil, err
	}
	return added, nil
}

// nullTime is a time parameter, NULL for the zero time.
func nullTime(d Dialect, t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return d.Time(t)
}

// moveNextActions writes the plans' next actions, each only where the
// cycle is still the plan's, active, and its next action still the one
// the planner read.
func moveNextActions(t *Tx, plans []domain.Plan) error {
	row := `(` + t.Param("text") + `,` + t.Param("bigint") + `,` + t.Param("timestamptz") + `,` + t.Param("timestamptz") + `),`
	for lo := 0; lo < len(plans); lo += t.MoveBatch() {
		batch := plans[lo:min(lo+t.MoveBatch(), len(plans))]
		args := make([]any, 0, 4*len(batch))
		for _, p := range batch {
			args = append(args, p.CredentialID, p.RotationID, nullTime(t, p.NextAction), nullTime(t, p.PlannedFrom))
		}
		values := strings.TrimSuffix(strings.Repeat(row, len(batch)), ",")
		if _, err := t.Exec(`WITH v(id, rid, next, prev) AS (VALUES `+values+`)
			UPDATE credentials SET next_action_at = v.next FROM v
			WHERE credentials.id = v.id AND credentials.rotation_id = v.rid AND `+t.IsTrue("credentials.active")+`
				AND `+t.IsNotDistinct("credentials.next_action_at", "v.prev"), args...); err != nil {
			return fmt.Errorf("store: next actions: %w", err)
		}
	}
	return nil
}

// insertDelivery adds an outbox row unless one exists for the same cycle,
// stage, channel and repeat; inserted says whether it was new. A pending row
// is due at once, or at its delivery window's opening. Its created_at is a record time, the wall clock
// (Tx.Recorded), never now: a tick at a past moment does not back-date it.
func insertDelivery(t *Tx, d domain.Delivery, now time.Time) (id int64, inserted bool, err error) {
	// A pending row is due at once; another (skipped) has its outcome,
	// recorded now.
	var next, recorded any
	if d.Status == domain.StatusPending {
		next = t.Time(notBefore(d, now))
	} else {
		recorded = t.Time(t.Recorded())
	}
	id, inserted, err = t.Insert(`INSERT INTO deliveries (rotation_id, credential_id, stage, seq, channel, status, due_at, created_at, next_attempt_at, last_error, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		d.RotationID, d.CredentialID, d.Stage, d.Seq, d.Channel, d.Status, t.Time(d.Due), t.Time(t.Recorded()), next, d.LastError, recorded)
	if err != nil {
		return 0, false, fmt.Errorf("store: delivery %s/%s/%s: %w", d.CredentialID, d.Stage, d.Channel, err)
	}
	return id, inserted, nil
}

// notBefore is a pending row's first attempt: now, or later when the
// planner deferred it to its channel's delivery window (NextAttemptAt).
func notBefore(d domain.Delivery, now time.Time) time.Time {
	if d.NextAttemptAt.After(now) {
		return d.NextAttemptAt
	}
	return now
}

// Supersede marks the pending deliveries that where selects as superseded
// for the reason why, with a history event each, in delivery order.
func Supersede(t *Tx, where string, now time.Time, why string, args ...any) error {
	rows, err := t.Query(`UPDATE deliveries SET status = 'superseded', next_attempt_at = NULL, last_error = ?, claimed_by = NULL, claim_expires_at = NULL,
		recorded_at = ? WHERE `+where+` RETURNING id, credential_id, rotation_id, stage, channel`, append([]any{why, t.Time(t.Recorded())}, args...)...)
	evs, err := Collect(rows, err, func(r Scanner) (domain.Event, error) {
		e := domain.Event{Time: now, Type: domain.EventReminder, Status: domain.StatusSuperseded, Detail: why}
		err := r.Scan(&e.DeliveryID, &e.CredentialID, &e.RotationID, &e.Stage, &e.Channel)
		return e, err
	})
	if err != nil {
		return err
	}
	sortEventsByDelivery(evs)
	for _, e := range evs {
		if err := t.InsertEvent(e); err != nil {
			return err
		}
	}
	return nil
}

// sortEventsByDelivery orders a statement's delivery events by delivery.
func sortEventsByDelivery(evs []domain.Event) {
	slices.SortFunc(evs, func(a, b domain.Event) int { return cmp.Compare(a.DeliveryID, b.DeliveryID) })
}

// planBatch is how many cycles PlanCycles reads at a time.
const planBatch = 1000

// PlanCycles streams the current cycles of active credentials whose next
// action is at or before until, in the order of their next action (then
// id), in batches each with the keys of its deliveries: what a streamed
// `notifier plan` merges. Owner, policy and the literal prefix of the
// credential glob cut the query; the rest of f is the engine's. A cycle
// with no next action has nothing to send and is not read.
//
// The pages are read on a goroutine of their own, one page ahead of fn:
// reading in next-action order is SQLite's slow part (random in the
// file), and the caller's merging and printing go on beside it, on the
// other core.
func (s *Store) PlanCycles(ctx context.Context, f domain.CredentialFilter, until time.Time, fn func([]domain.Cycle) error) error {
	return pipeBy(1, func(emit func([]domain.Cycle) error) error { return s.planCycles(ctx, f, until, emit) }, fn)
}

// planCycles is PlanCycles on the caller's goroutine.
func (s *Store) planCycles(ctx context.Context, f domain.CredentialFilter, until time.Time, fn func([]domain.Cycle) error) error {
	var lastAt time.Time
	var lastID string
	for first := true; ; first = false {
		q, args := s.planPageQuery(f, until, first, lastAt, lastID)
		rows, err := s.db.Query(ctx, q, args...)
		cycles, err := s.collectCycles(rows, err)
		if err != nil {
			return fmt.Errorf("store: cycles to plan: %w", err)
		}
		if len(cycles) == 0 {
			return nil
		}
		if err := s.loadSent(ctx, cycles); err != nil {
			return err
		}
		if err := fn(cycles); err != nil {
			return err
		}
		if len(cycles) < planBatch {
			return nil
		}
		lastAt, lastID = cycles[len(cycles)-1].NextAction, cycles[len(cycles)-1].ID
	}
}

// planPageQuery is PlanCycles' query of a page, as f selects, and its
// parameters: the first page, or the one after the cycle whose next
// action and id were lastAt and lastID.
func (s *Store) planPageQuery(f domain.CredentialFilter, until time.Time, first bool, lastAt time.Time, lastID string) (string, []any) {
	where, args := s.planWhere(f, until, "c.next_action_at")
	if !first {
		// A row value: the index is searched from the page's start, not
		// from its moment's first credential.
		where += ` AND (c.next_action_at, c.id) > (?, ?)`
		args = append(args, s.db.Time(lastAt), lastID)
	}
	return `SELECT ` + joinedCycleColumns + ` FROM ` + CurrentCycle + cycleJoins + ` WHERE ` + where + `
		ORDER BY c.next_action_at, c.id LIMIT ?`, append(args, planBatch)
}

// planWhere is the condition on the cycles to plan, as f selects, and
// its parameters; next is the next action's column as the query names it.
func (s *Store) planWhere(f domain.CredentialFilter, until time.Time, next string) (string, []any) {
	where := s.db.IsTrue("c.active") + ` AND c.next_action_at IS NOT NULL AND ` + next + ` <= ?`
	args := []any{s.db.Time(until)}
	if f.Owner != "" {
		// Not by credentials_owner (the `|| ''` keeps SQLite off it):
		// plan pages come in next action order, by its index.
		where += ` AND c.owner || '' = ?`
		args = append(args, f.Owner)
	}
	if f.Policy != "" {
		where += ` AND COALESCE(t.policy, c.policy) = ?`
		args = append(args, f.Policy)
	}
	if p := domain.GlobPrefix(f.Credential); p != "" {
		where += ` AND c.id >= ? AND c.id < ?`
		args = append(args, p, p+"\U0010FFFF")
	}
	return where, args
}

// PlanFleet streams the cycles PlanCycles does, in the order they are
// stored: one sequential read of the file on one snapshot, where the
// order of the next action reads a few pages at random for every cycle.
// A cycle's delivery keys are read on the same snapshot. The batches are
// read on a goroutine of their own, one ahead of fn.
//
// The fleet is read in pages of planBatch credentials in that order, each
// page (its cycles, then their delivery keys) on one of parallelReaders
// readers of one committed state (Parallel), side by side: each cycle's
// lookups (its terms, its acknowledgment) are most of the read's time,
// and one connection does them on one core.
func (s *Store) PlanFleet(ctx context.Context, f domain.CredentialFilter, until time.Time, fn func([]domain.Cycle) error) error {
	readers, done, err := s.db.Parallel(ctx, parallelReaders)
	if err != nil {
		return fmt.Errorf("store: cycles to plan: %w", err)
	}
	defer done()
	next, key := s.db.StoredOrder("c.next_action_at")
	if key == "" {
		key = "c.id" // no order of its own: pages by the key
	}
	where, args := s.planWhere(f, until, next)
	query := `SELECT ` + joinedCycleColumns + ` FROM ` + CurrentCycle + cycleJoins + ` WHERE ` + where
	// The page's end is the key planBatch credentials on, any or not
	// planned: a plan of a few reads the fleet's keys only.
	cut := func(ctx context.Context, r Reader, after any, first bool) (any, bool, error) {
		var to any
		var err error
		if first {
			err = r.QueryRow(ctx, `SELECT `+key+` FROM credentials c ORDER BY `+key+` LIMIT 1 OFFSET ?`, planBatch-1).Scan(&to)
		} else {
			err = r.QueryRow(ctx, `SELECT `+key+` FROM credentials c WHERE `+key+` > ? ORDER BY `+key+` LIMIT 1 OFFSET ?`, after, planBatch-1).Scan(&to)
		}
		if errors.Is(err, sql.ErrNoRows) {
			return nil, true, nil
		}
		return to, false, err
	}
	read := func(ctx context.Context, r Reader, after, to any, first, last bool, pages [][]domain.Cycle) ([][]domain.Cycle, error) {
		q, a := query, args
		if !first {
			q, a = q+` AND `+key+` > ?`, append(a[:len(a):len(a)], after)
		}
		if !last {
			q, a = q+` AND `+key+` <= ?`, append(a[:len(a):len(a)], to)
		}
		rows, err := r.Query(ctx, q+` ORDER BY `+key, a...)
		if err != nil {
			return pages, err
		}
		batch := make([]domain.Cycle, 0, planBatch) // fn's batch is its own
		x := newCycleScan()
		for rows.Next() {
			c, err := x.scan(rows)
			if err != nil {
				rows.Close()
				return pages, err
			}
			batch = append(batch, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(batch) == 0 {
			return pages, err
		}
		if err := s.loadSentBy(ctx, r, batch); err != nil {
			return pages, err
		}
		return append(pages, batch), nil
	}
	if err := readPages(ctx, readers, cut, read, fn); err != nil {
		return fmt.Errorf("store: cycles to plan: %w", err)
	}
	return nil
}
