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

// ReportCycles calls fn with every cycle that overlaps the filter's window
// (one of f.CredentialID's when set), by credential id then start, each
// with every reminder event of the cycle (in time order) and every
// acknowledgment. The cycles are read in one read transaction, so a report
// taken while the daemon writes is consistent, and one at a time, so a
// report of a large fleet holds one cycle in memory, not the fleet. An
// error from fn stops the walk and is returned.
func (s *Store) ReportCycles(ctx context.Context, f domain.ReportFilter, fn func(domain.CycleRecord) error) error {
	var until, since string
	if !f.Until.IsZero() {
		until = FormatTime(ceilSecond(f.Until))
	}
	if !f.Since.IsZero() {
		since = FormatTime(storedTime(f.Since))
	}
	return s.snapshot(ctx, func(conn *sql.Conn) error {
		reminders, err := conn.PrepareContext(ctx, `SELECT time, stage, channel, status FROM events
			WHERE credential_id = ? AND rotation_id = ? AND type = 'reminder' ORDER BY time, id`)
		if err != nil {
			return fmt.Errorf("store: report: %w", err)
		}
		defer reminders.Close()
		acks, err := conn.PrepareContext(ctx, `SELECT acked_at, actor, source FROM acknowledgments
			WHERE rotation_id = ? ORDER BY acked_at, id`)
		if err != nil {
			return fmt.Errorf("store: report: %w", err)
		}
		defer acks.Close()
		rows, err := conn.QueryContext(ctx, reportCycles, f.CredentialID, until, since)
		if err != nil {
			return fmt.Errorf("store: report: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanCycleRecord(rows)
			if err != nil {
				return fmt.Errorf("store: report: %w", err)
			}
			if c.Reminders, err = readReminders(ctx, reminders, c); err != nil {
				return fmt.Errorf("store: report: cycle %d of %s: %w", c.RotationID, c.ID, err)
			}
			if c.Acks, err = readAcks(ctx, acks, c.RotationID); err != nil {
				return fmt.Errorf("store: report: cycle %d of %s: %w", c.RotationID, c.ID, err)
			}
			if err := fn(c); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: report: %w", err)
		}
		return nil
	})
}

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

func readReminders(ctx context.Context, st *sql.Stmt, c domain.CycleRecord) ([]domain.ReminderAttempt, error) {
	rows, err := st.QueryContext(ctx, c.ID, c.RotationID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.ReminderAttempt
	for rows.Next() {
		var a domain.ReminderAttempt
		var at string
		if err := rows.Scan(&at, &a.Stage, &a.Channel, &a.Status); err != nil {
			return nil, err
		}
		if a.Time, err = ParseTime(at); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func readAcks(ctx context.Context, st *sql.Stmt, rotationID int64) ([]domain.AckRecord, error) {
	rows, err := st.QueryContext(ctx, rotationID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.AckRecord
	for rows.Next() {
		var a domain.AckRecord
		var at string
		if err := rows.Scan(&at, &a.Actor, &a.Source); err != nil {
			return nil, err
		}
		if a.Time, err = ParseTime(at); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
