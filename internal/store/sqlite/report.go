package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/notifier-dev/notifier/internal/domain"
)

// reportCycles lists every cycle (a rotation and the next rotation of the
// same credential, which closed it) that overlaps the window, by
// credential and start. Stored times are whole seconds: Until is rounded
// up and Since down, so that a bound with a fraction neither drops a cycle
// that overlaps nor takes in one that does not.
const reportCycles = `WITH cyc AS (
		SELECT r.id, r.credential_id, r.rotated_at, LEAD(r.id) OVER (PARTITION BY r.credential_id ORDER BY r.rotated_at, r.id) AS next_id
		FROM rotations r WHERE ?1 = '' OR r.credential_id = ?1
	)
	SELECT ` + credColumns + `, cyc.id, cyc.rotated_at, n.id, n.rotated_at, n.source, n.actor, n.note
	FROM cyc JOIN credentials c ON c.id = cyc.credential_id LEFT JOIN rotations n ON n.id = cyc.next_id
	WHERE (?2 = '' OR cyc.rotated_at < ?2) AND (?3 = '' OR n.rotated_at IS NULL OR n.rotated_at > ?3)
	ORDER BY cyc.credential_id, cyc.rotated_at, cyc.id`

// reportReminders and reportAcks are every reminder event and every
// acknowledgment, in the cycles' order (by credential), so that a report
// reads each table once, beside the cycles, rather than querying per cycle.
const (
	reportReminders = `SELECT credential_id, rotation_id, time, stage, channel, status FROM events
		WHERE type = 'reminder' AND rotation_id IS NOT NULL AND (?1 = '' OR credential_id = ?1) ORDER BY credential_id, time, id`
	reportAcks = `SELECT credential_id, rotation_id, acked_at, actor, source FROM acknowledgments
		WHERE ?1 = '' OR credential_id = ?1 ORDER BY credential_id, acked_at, id`
)

// ReportCycles calls fn with every cycle that overlaps the filter's window
// (one of f.CredentialID's when set), by credential id then start, each
// with every reminder event of the cycle (in time order) and every
// acknowledgment. The cycles are read in one read transaction, so a report
// taken while the daemon writes is consistent, and a credential at a time,
// so a report of a large fleet holds one credential's cycles in memory,
// not the fleet. An error from fn stops the walk and is returned.
func (s *Store) ReportCycles(ctx context.Context, f domain.ReportFilter, fn func(domain.CycleRecord) error) error {
	var until, since string
	if !f.Until.IsZero() {
		until = FormatTime(ceilSecond(f.Until))
	}
	if !f.Since.IsZero() {
		since = FormatTime(storedTime(f.Since))
	}
	return s.snapshot(ctx, func(conn *sql.Conn) error {
		cycles, err := conn.QueryContext(ctx, reportCycles, f.CredentialID, until, since)
		if err != nil {
			return fmt.Errorf("store: report: %w", err)
		}
		defer cycles.Close()
		reminders, err := newMerged(ctx, conn, reportReminders, f.CredentialID, func(r scanner) (int64, domain.ReminderAttempt, error) {
			var a domain.ReminderAttempt
			var rot int64
			var at string
			err := r.Scan(&rot, &at, &a.Stage, &a.Channel, &a.Status)
			if err == nil {
				a.Time, err = ParseTime(at)
			}
			return rot, a, err
		})
		if err != nil {
			return err
		}
		defer reminders.close()
		acks, err := newMerged(ctx, conn, reportAcks, f.CredentialID, func(r scanner) (int64, domain.AckRecord, error) {
			var a domain.AckRecord
			var rot int64
			var at string
			err := r.Scan(&rot, &at, &a.Actor, &a.Source)
			if err == nil {
				a.Time, err = ParseTime(at)
			}
			return rot, a, err
		})
		if err != nil {
			return err
		}
		defer acks.close()

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
			for _, c := range group {
				c.Reminders, c.Acks = byCycle[c.RotationID], acksByCycle[c.RotationID]
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
	})
}

// merged walks rows ordered by credential id, beside the cycles: take
// returns one credential's rows by cycle, skipping those of credentials
// before it (no cycle of theirs in the window).
type merged[T any] struct {
	rows *sql.Rows
	scan func(scanner) (int64, T, error)
	// the row read ahead: its credential, cycle and value; ok is false at
	// the end.
	cred string
	rot  int64
	val  T
	ok   bool
}

func newMerged[T any](ctx context.Context, conn *sql.Conn, query, credentialID string, scan func(scanner) (int64, T, error)) (*merged[T], error) {
	rows, err := conn.QueryContext(ctx, query, credentialID)
	if err != nil {
		return nil, fmt.Errorf("store: report: %w", err)
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
	m.rot, m.val, err = m.scan(prefixScanner{m.rows, []any{&m.cred}})
	if err != nil {
		return fmt.Errorf("store: report: %w", err)
	}
	return nil
}

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

func (m *merged[T]) close() { m.rows.Close() }

func scanCycleRecord(rows *sql.Rows) (domain.CycleRecord, error) {
	var c domain.CycleRecord
	var start string
	var nextID sql.NullInt64
	var nextAt, nextSource, nextActor, nextNote sql.NullString
	row, err := scanCred(rows, &c.RotationID, &start, &nextID, &nextAt, &nextSource, &nextActor, &nextNote)
	if err != nil {
		return c, err
	}
	c.Credential, c.Active = row.Credential, row.Active
	if c.Start, err = ParseTime(start); err != nil {
		return c, err
	}
	if nextID.Valid {
		r := domain.Rotation{ID: nextID.Int64, CredentialID: c.ID, Source: nextSource.String, Actor: nextActor.String, Note: nextNote.String}
		if r.RotatedAt, err = ParseTime(nextAt.String); err != nil {
			return c, err
		}
		c.Closed = &r
	}
	return c, nil
}
