package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlstore"
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

// reportQueries are the report's queries (sqlstore.ReportCyclesQuery, …).
var reportQueries = [...]string{reportCycles, reportReminders, reportAcks}

// reportBound is a window bound as reportCycles takes it: empty text for
// none.
func reportBound(t time.Time) any {
	if t.IsZero() {
		return ""
	}
	return FormatTime(t)
}

// ReportCycles calls fn with every cycle that overlaps the filter's window
// (see sqlstore.ReportCycles). The cycles are read in one read
// transaction, so a report taken while the daemon writes is consistent.
func (s *Store) ReportCycles(ctx context.Context, f domain.ReportFilter, fn func(domain.CycleRecord) error) error {
	return s.snapshot(ctx, func(conn *sql.Conn) error {
		return sqlstore.ReportCycles(sqlstore.Report{
			Open: func(query int, args ...any) (*sql.Rows, error) {
				return conn.QueryContext(ctx, reportQueries[query], args...)
			},
			Bound: reportBound, Dialect: dialect{}}, f, fn)
	})
}
