package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlstore"
)

// reportCycles lists every cycle (a rotation and the next rotation of the
// same credential, which closed it) that overlaps the window, by
// credential and start. $1 the credential (empty for all), $2 until and $3
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

// reportQueries are the report's queries (sqlstore.ReportCyclesQuery, …).
var reportQueries = [...]string{reportCycles, reportReminders, reportAcks}

// reportBound is a window bound as reportCycles takes it: NULL for none.
func reportBound(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return storedTime(t)
}

// ReportCycles calls fn with every cycle that overlaps the filter's window
// (see sqlstore.ReportCycles). The three streams (cycles, reminders,
// acknowledgments) are read side by side, each on a connection of its own
// (one connection cannot interleave the rows of several queries), in
// REPEATABLE READ transactions that share one exported snapshot: a report
// taken while replicas write is consistent.
func (s *Store) ReportCycles(ctx context.Context, f domain.ReportFilter, fn func(domain.CycleRecord) error) error {
	txs, err := s.snapshots(ctx, len(reportQueries))
	if err != nil {
		return err
	}
	defer func() {
		for _, tx := range txs {
			tx.Rollback()
		}
	}()
	return sqlstore.ReportCycles(sqlstore.Report{
		Open: func(query int, args ...any) (*sql.Rows, error) {
			return txs[query].QueryContext(ctx, reportQueries[query], args...)
		},
		Bound: reportBound, Dialect: dialect{}}, f, fn)
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
