package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// The report's three queries, read side by side on one snapshot
// (Driver.Snapshot), each ordered by credential id. Their first parameter
// is the credential id (empty for all), given twice.
const (
	// reportCyclesQuery: every cycle (a rotation and the rotation that
	// closed it, ClosingRotation) that overlaps the window (until and
	// since, each given twice, NULL for none), by credential and start:
	// the credential columns, then the cycle's rotation id, time and
	// recorded time, the closing rotation's id, time, source, actor, note
	// and recorded time (NULLs when none closed it), then the deadline and
	// zone of its terms in force at until (termsAt, until given twice for
	// each).
	reportCyclesQuery = iota
	// reportRemindersQuery: credential id, rotation id, time, stage,
	// channel, status of every reminder event before until (given twice
	// after the id), by credential and time.
	reportRemindersQuery
	// reportAcksQuery: credential id, rotation id, time, actor, source,
	// recorded time (NULL before migration 0009) and a snooze's end (NULL:
	// for the cycle) of every acknowledgment
	// before until, by credential and AckOrder.
	reportAcksQuery
	// reportRetractionsQuery: credential id, the live cycle the retracted
	// record belongs to (a rotation: the live one before it, which it
	// had closed; an acknowledgment: its own), kind, target id, target
	// time, time, actor, reason and recorded_at of every retraction, by
	// credential and id.
	reportRetractionsQuery
)

// reportQueries are the report's queries in the dialect d.
func reportQueries(d Dialect) [4]string {
	id, at := d.Param("text"), d.Param("timestamptz")
	return [...]string{
		reportCyclesQuery: `WITH cyc AS (
				SELECT r.id, r.credential_id, r.rotated_at, r.recorded_at, ` + ClosingRotation + ` AS next_id
				FROM rotations r WHERE (` + id + ` = '' OR r.credential_id = ` + id + `) AND ` + LiveRotation + `
			)
			SELECT ` + CredColumns + `, cyc.id, cyc.rotated_at, cyc.recorded_at, n.id, n.rotated_at, n.source, n.actor, n.note, n.recorded_at,
				(SELECT t.deadline ` + termsAt(at) + `), (SELECT t.zone ` + termsAt(at) + `)
			FROM cyc JOIN credentials c ON c.id = cyc.credential_id LEFT JOIN rotations n ON n.id = cyc.next_id
			WHERE (` + at + ` IS NULL OR cyc.rotated_at < ` + at + `) AND (` + at + ` IS NULL OR n.rotated_at IS NULL OR n.rotated_at > ` + at + `)
			ORDER BY cyc.credential_id, cyc.rotated_at, cyc.id`,
		// A rotation's announcement (domain.StageAnnounce) is a delivery
		// of the new cycle, not a reminder to it.
		reportRemindersQuery: `SELECT credential_id, rotation_id, time, stage, channel, status FROM events
			WHERE type = 'reminder' AND stage <> 'announce' AND rotation_id IS NOT NULL AND (` + id + ` = '' OR credential_id = ` + id + `)
				AND (` + at + ` IS NULL OR time < ` + at + `) ORDER BY credential_id, time, id`,
		reportAcksQuery: `SELECT a.credential_id, a.rotation_id, a.acked_at, a.actor, a.source, a.recorded_at, a.snoozed_until FROM acknowledgments a
			WHERE (` + id + ` = '' OR a.credential_id = ` + id + `) AND (` + at + ` IS NULL OR a.acked_at < ` + at + `) AND ` + LiveAck + `
			ORDER BY a.credential_id, ` + AckOrder,
		reportRetractionsQuery: `SELECT x.credential_id,
				CASE WHEN x.kind = 'rotation' THEN ` + liveCycleOf("tr") + `
					WHEN NOT EXISTS (SELECT 1 FROM retractions rx WHERE rx.kind = 'rotation' AND rx.target_id = ta.rotation_id) THEN ta.rotation_id
					ELSE ` + liveCycleOf("ar") + ` END,
				x.kind, x.target_id, COALESCE(tr.rotated_at, ta.acked_at), x.retracted_at, x.actor, x.reason, x.recorded_at
			FROM retractions x LEFT JOIN rotations tr ON x.kind = 'rotation' AND tr.id = x.target_id
				LEFT JOIN acknowledgments ta ON x.kind = 'acknowledgment' AND ta.id = x.target_id
				LEFT JOIN rotations ar ON ar.id = ta.rotation_id
			WHERE ` + id + ` = '' OR x.credential_id = ` + id + ` ORDER BY x.credential_id, x.id`,
	}
}

// liveCycleOf is the live cycle a retraction of (or in) the rotation
// alias rot is shown with: the live rotation before it, or, for a
// credential's earliest, the live one after it, so that no retraction is
// left out of the report.
func liveCycleOf(rot string) string {
	live := `FROM rotations r WHERE r.credential_id = x.credential_id AND ` + LiveRotation
	return `COALESCE((SELECT r.id ` + live + ` AND (r.rotated_at < ` + rot + `.rotated_at OR (r.rotated_at = ` + rot + `.rotated_at AND r.id < ` + rot + `.id))
			ORDER BY r.rotated_at DESC, r.id DESC LIMIT 1),
		(SELECT r.id ` + live + ` AND (r.rotated_at > ` + rot + `.rotated_at OR (r.rotated_at = ` + rot + `.rotated_at AND r.id > ` + rot + `.id))
			ORDER BY r.rotated_at, r.id LIMIT 1))`
}

// termsAt completes "SELECT t.column " into the terms of the cycle cyc in
// force at the parameter at (given twice; NULL: now): the latest row
// recorded at or before it, else (terms recorded later, as a back-dated
// rotation's) the cycle's first.
func termsAt(at string) string {
	return `FROM cycle_terms t WHERE t.rotation_id = cyc.id
		ORDER BY CASE WHEN ` + at + ` IS NULL OR t.recorded_at <= ` + at + ` THEN t.id ELSE -t.id END DESC LIMIT 1`
}

// ReportCycles calls fn with every cycle that overlaps the filter's window
// (one of f.CredentialID's when set), by credential id then start, each
// with every reminder event of the cycle (in time order), every live
// acknowledgment and every retraction of a record of the cycle (a
// retracted rotation belongs to the cycle it had closed by mistake). It holds one credential's cycles in memory at a time,
// not the fleet, and reads one snapshot: a report taken while the daemon
// (or replicas) write is consistent. An error from fn stops the walk and
// is returned. Stored times are whole seconds: Until is rounded up and
// Since down, so that a bound with a fraction neither drops a cycle that
// overlaps nor takes in one that does not.
func (s *Store) ReportCycles(ctx context.Context, f domain.ReportFilter, fn func(domain.CycleRecord) error) error {
	queries := reportQueries(s.db)
	readers, done, err := s.db.Snapshot(ctx, len(queries))
	if err != nil {
		return err
	}
	defer done()
	until, since := nullTime(s.db, CeilSecond(f.Until)), nullTime(s.db, StoredTime(f.Since))
	terms := until // the terms in force at the period's end, or at f.At when earlier
	if !f.At.IsZero() && (f.Until.IsZero() || f.At.Before(f.Until)) {
		terms = s.db.Time(f.At)
	}
	cycles, err := readers[reportCyclesQuery].Query(ctx, queries[reportCyclesQuery], f.CredentialID, f.CredentialID,
		terms, terms, terms, terms, until, until, since, since)
	if err != nil {
		return fmt.Errorf("store: report: %w", err)
	}
	defer cycles.Close()
	open := func(query int) (*sql.Rows, error) {
		args := []any{f.CredentialID, f.CredentialID, until, until}
		if query == reportRetractionsQuery {
			// Every retraction, whenever made: a rotation retracted after
			// until is left out of the cycles too (LiveRotation), and its
			// retraction says why.
			args = args[:2]
		}
		rows, err := readers[query].Query(ctx, queries[query], args...)
		if err != nil {
			return nil, fmt.Errorf("store: report: %w", err)
		}
		return rows, nil
	}
	reminders, err := newMerged(open, reportRemindersQuery, func(r Scanner) (int64, domain.ReminderAttempt, error) {
		var a domain.ReminderAttempt
		var rot int64
		err := r.Scan(&rot, TimeOf(&a.Time), &a.Stage, &a.Channel, &a.Status)
		return rot, a, err
	})
	if err != nil {
		return err
	}
	defer reminders.close()
	acks, err := newMerged(open, reportAcksQuery, func(r Scanner) (int64, domain.AckRecord, error) {
		var a domain.AckRecord
		var rot int64
		err := r.Scan(&rot, TimeOf(&a.Time), &a.Actor, &a.Source, NullTimeOf(&a.Recorded), NullTimeOf(&a.Until))
		return rot, a, err
	})
	if err != nil {
		return err
	}
	defer acks.close()
	retractions, err := newMerged(open, reportRetractionsQuery, func(r Scanner) (int64, domain.RetractionRecord, error) {
		var x domain.RetractionRecord
		var rot sql.NullInt64
		err := r.Scan(&rot, &x.Kind, &x.TargetID, TimeOf(&x.TargetTime), TimeOf(&x.At), &x.Actor, &x.Reason, TimeOf(&x.RecordedAt))
		return rot.Int64, x, err
	})
	if err != nil {
		return err
	}
	defer retractions.close()
	var group []domain.CycleRecord // one credential's cycles
	flush := func() error {
		if len(group) == 0 {
			return nil
		}
		byCycle, err := reminders.take(group[0].ID)
		if err != nil {
			return err
		}
		acksByCycle, err := acks.take(group[0].ID)
		if err != nil {
			return err
		}
		retractionsByCycle, err := retractions.take(group[0].ID)
		if err != nil {
			return err
		}
		for _, c := range group {
			c.Reminders, c.Acks, c.Retractions = byCycle[c.RotationID], acksByCycle[c.RotationID], retractionsByCycle[c.RotationID]
			if err := fn(c); err != nil {
				return err
			}
		}
		group = group[:0]
		return nil
	}
	for cycles.Next() {
		c, err := scanCycleRecord(cycles)
		if err != nil {
			return fmt.Errorf("store: report: %w", err)
		}
		if len(group) > 0 && group[0].ID != c.ID {
			if err := flush(); err != nil {
				return err
			}
		}
		group = append(group, c)
	}
	if err := cycles.Err(); err != nil {
		return fmt.Errorf("store: report: %w", err)
	}
	return flush()
}

// merged walks rows ordered by credential id, beside the cycles: take
// returns one credential's rows by cycle, skipping those of credentials
// before it (no cycle of theirs in the window).
type merged[T any] struct {
	rows *sql.Rows
	scan func(Scanner) (int64, T, error)
	// the row read ahead: its credential, cycle and value; ok is false at
	// the end.
	cred string
	rot  int64
	val  T
	ok   bool
}

func newMerged[T any](open func(int) (*sql.Rows, error), query int, scan func(Scanner) (int64, T, error)) (*merged[T], error) {
	rows, err := open(query)
	if err != nil {
		return nil, err
	}
	m := &merged[T]{rows: rows, scan: scan}
	return m, m.next()
}

// next reads the row ahead; the credential id is the first column.
func (m *merged[T]) next() error {
	if m.ok = m.rows.Next(); !m.ok {
		if err := m.rows.Err(); err != nil {
			return fmt.Errorf("store: report: %w", err)
		}
		return nil
	}
	var err error
	m.rot, m.val, err = m.scan(PrefixScanner{m.rows, []any{&m.cred}})
	if err != nil {
		return fmt.Errorf("store: report: %w", err)
	}
	return nil
}

func (m *merged[T]) close() { m.rows.Close() }

func (m *merged[T]) take(credentialID string) (map[int64][]T, error) {
	out := map[int64][]T{}
	for m.ok && m.cred <= credentialID {
		if m.cred == credentialID {
			out[m.rot] = append(out[m.rot], m.val)
		}
		if err := m.next(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func scanCycleRecord(s Scanner) (domain.CycleRecord, error) {
	var c domain.CycleRecord
	var nextID sql.NullInt64
	var nextAt, nextRecorded time.Time
	var nextSource, nextActor, nextNote sql.NullString
	var zone sql.NullString
	row, err := ScanCredential(s, &c.RotationID, TimeOf(&c.Start), TimeOf(&c.StartRecorded), &nextID, NullTimeOf(&nextAt), &nextSource, &nextActor,
		&nextNote, NullTimeOf(&nextRecorded), NullTimeOf(&c.Deadline), &zone)
	if err != nil {
		return c, err
	}
	c.Credential, c.Active, c.Zone = row.Credential, row.Active, zone.String
	if nextID.Valid {
		c.Closed = &domain.Rotation{ID: nextID.Int64, CredentialID: c.ID, RotatedAt: nextAt, Source: nextSource.String,
			Actor: nextActor.String, Note: nextNote.String, RecordedAt: nextRecorded}
	}
	return c, nil
}
