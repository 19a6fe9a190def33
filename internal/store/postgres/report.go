package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// reportCycles lists every cycle (a rotation and the next rotation of the
// same credential, which closed it) that overlaps the window, by
// credential and start. $1 the credential (” for all), $2 until and $3
// since (NULL for none).
const reportCycles = `WITH cyc AS (
		SELECT r.id, r.credential_id, r.rotated_at, LEAD(r.id) OVER (PARTITION BY r.credential_id ORDER BY r.rotated_at, r.id) AS next_id
		FROM rotations r WHERE $1::text = '' OR r.credential_id = $1::text
	)
	SELECT ` + credColumns + `, cyc.id, cyc.rotated_at, n.id, n.rotated_at, n.source, n.actor, n.note
	FROM cyc JOIN credentials c ON c.id = cyc.credential_id LEFT JOIN rotations n ON n.id = cyc.next_id
	WHERE ($2::timestamptz IS NULL OR cyc.rotated_at < $2::timestamptz) AND ($3::timestamptz IS NULL OR n.rotated_at IS NULL OR n.rotated_at > $3::timestamptz)
	ORDER BY cyc.credential_id, cyc.rotated_at, cyc.id`

// reportReminders and reportAcks are every reminder event and every
// acknowledgment, in the cycles' order (by credential).
const (
	reportReminders = `SELECT credential_id, rotation_id, time, stage, channel, status FROM events
		WHERE type = 'reminder' AND rotation_id IS NOT NULL AND ($1::text = '' OR credential_id = $1::text) ORDER BY credential_id, time, id`
	reportAcks = `SELECT credential_id, rotation_id, acked_at, actor, source FROM acknowledgments
		WHERE $1::text = '' OR credential_id = $1::text ORDER BY credential_id, acked_at, id`
)

// ReportCycles calls fn with every cycle that overlaps the filter's window
// (see the SQLite store's doc: the same contract). The three streams
// (cycles, reminders, acknowledgments) are read side by side, each on a
// connection of its own (one connection cannot interleave the rows of
// several queries), in REPEATABLE READ transactions that share one
// exported snapshot: a report taken while replicas write is consistent,
// and holds one credential's cycles in memory, not the fleet.
func (s *Store) ReportCycles(ctx context.Context, f domain.ReportFilter, fn func(domain.CycleRecord) error) error {
	var until, since any
	if !f.Until.IsZero() {
		until = ceilSecond(f.Until)
	}
	if !f.Since.IsZero() {
		since = storedTime(f.Since)
	}
	txs, err := s.snapshots(ctx, 3)
	if err != nil {
		return err
	}
	defer func() {
		for _, tx := range txs {
			tx.Rollback()
		}
	}()
	cycles, err := txs[0].QueryContext(ctx, reportCycles, f.CredentialID, until, since)
	if err != nil {
		return fmt.Errorf("store: report: %w", err)
	}
	defer cycles.Close()
	reminders, err := newMerged(ctx, txs[1], reportReminders, f.CredentialID, func(r scanner) (int64, domain.ReminderAttempt, error) {
		var a domain.ReminderAttempt
		var rot int64
		err := r.Scan(&rot, &a.Time, &a.Stage, &a.Channel, &a.Status)
		a.Time = a.Time.UTC()
		return rot, a, err
	})
	if err != nil {
		return err
	}
	defer reminders.close()
	acks, err := newMerged(ctx, txs[2], reportAcks, f.CredentialID, func(r scanner) (int64, domain.AckRecord, error) {
		var a domain.AckRecord
		var rot int64
		err := r.Scan(&rot, &a.Time, &a.Actor, &a.Source)
		a.Time = a.Time.UTC()
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
}

// snapshots opens n read-only REPEATABLE READ transactions that see the
// same committed state: the first exports its snapshot, the others adopt
// it.
func (s *Store) snapshots(ctx context.Context, n int) ([]*sql.Tx, error) {
	opts := &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	var txs []*sql.Tx
	fail := func(err error) ([]*sql.Tx, error) {
		for _, tx := range txs {
			tx.Rollback()
		}
		return nil, fmt.Errorf("store: read: %w", err)
	}
	first, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return fail(err)
	}
	txs = append(txs, first)
	var snapshot string
	if err := first.QueryRowContext(ctx, `SELECT pg_export_snapshot()`).Scan(&snapshot); err != nil {
		return fail(err)
	}
	for len(txs) < n {
		tx, err := s.db.BeginTx(ctx, opts)
		if err != nil {
			return fail(err)
		}
		txs = append(txs, tx)
		// The id is the server's own ("00000003-0000001B-1"): quoted as
		// a literal, for SET takes no parameter.
		if _, err := tx.ExecContext(ctx, `SET TRANSACTION SNAPSHOT '`+strings.ReplaceAll(snapshot, "'", "")+`'`); err != nil {
			return fail(err)
		}
	}
	return txs, nil
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

func newMerged[T any](ctx context.Context, tx *sql.Tx, query, credentialID string, scan func(scanner) (int64, T, error)) (*merged[T], error) {
	rows, err := tx.QueryContext(ctx, query, credentialID)
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

func scanCycleRecord(s scanner) (domain.CycleRecord, error) {
	var c domain.CycleRecord
	var start time.Time
	var nextID sql.NullInt64
	var nextAt sql.NullTime
	var nextSource, nextActor, nextNote sql.NullString
	row, err := scanCred(s, &c.RotationID, &start, &nextID, &nextAt, &nextSource, &nextActor, &nextNote)
	if err != nil {
		return c, err
	}
	c.Credential, c.Active, c.Start = row.Credential, row.Active, start.UTC()
	if nextID.Valid {
		c.Closed = &domain.Rotation{ID: nextID.Int64, CredentialID: c.ID, RotatedAt: timeOf(nextAt), Source: nextSource.String,
			Actor: nextActor.String, Note: nextNote.String}
	}
	return c, nil
}
