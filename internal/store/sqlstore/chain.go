package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/chain"
)

// VerifyChain walks the history's hash chain in id order, streaming, on
// one snapshot (replicas appending meanwhile do not move the chain under
// it), and reports the first row that does not match (chain.Result.Problem),
// or the number of rows and the head; then, the chain intact, the tables'
// rows that have no event in it (tableChecks). A database whose chain is
// keyed needs opts.Key.
func (s *Store) VerifyChain(ctx context.Context, opts chain.Options) (chain.Report, error) {
	readers, done, err := s.db.Snapshot(ctx, 1)
	if err != nil {
		return chain.Report{}, err
	}
	defer done()
	return verifyChain(ctx, readers[0], s.db, opts)
}

func verifyChain(ctx context.Context, db Reader, d Driver, opts chain.Options) (chain.Report, error) {
	var rep chain.Report
	var keyID []byte
	if err := db.QueryRow(ctx, `SELECT start_id, started_at, key_id FROM event_chain`).Scan(&rep.Start, timeText{&rep.StartedAt}, &keyID); err != nil {
		if err := d.NoChain(err); err != nil {
			return rep, err
		}
		return rep, fmt.Errorf("store: event chain: %w", err)
	}
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM events WHERE id < ?`, rep.Start).Scan(&rep.Before); err != nil {
		return rep, fmt.Errorf("store: event chain: %w", err)
	}
	rep.Keyed = keyID != nil
	switch {
	case keyID != nil && len(opts.Key) == 0:
		rep.Problem = &chain.Problem{Kind: chain.KindKey, Detail: "the history is hashed with an audit key: verifying it needs the config's audit.key"}
		return rep, nil
	case keyID != nil && !bytes.Equal(keyID, chain.KeyID(opts.Key)):
		rep.Problem = &chain.Problem{Kind: chain.KindKey, Detail: "audit.key is not the key the history is hashed with (or the chain's key record was changed)"}
		return rep, nil
	}
	rows, err := db.Query(ctx, `SELECT `+EventColumns+` FROM events WHERE id >= ? ORDER BY id`, rep.Start)
	if err != nil {
		return rep, fmt.Errorf("store: event chain: %w", err)
	}
	defer rows.Close()
	opts.Start = rep.Start
	next := func() (chain.Row, bool, error) {
		if !rows.Next() {
			return chain.Row{}, false, rows.Err()
		}
		r, err := ScanEvent(rows)
		return r, err == nil, err
	}
	if rep.Result, err = chain.Verify(next, opts); err != nil || rep.Problem != nil {
		return rep, err
	}
	rows.Close() // one connection may be all the snapshot has
	rep.Problem, err = checkTables(ctx, db, d, rep.Start)
	return rep, err
}

// ChainHead is the last event of the history and its hash, as a read
// sees it now; a history with no chained event has none (zero Head). It
// reads one row: it does not verify the chain (VerifyChain does).
func (s *Store) ChainHead(ctx context.Context) (chain.Head, error) {
	return s.chainHead(s.db.QueryRow(ctx, `SELECT id, hash FROM events WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1`))
}

// ChainHeadBefore is ChainHead among the events dated before until (a
// back-dated record entered later moves it: the period's record changed).
func (s *Store) ChainHeadBefore(ctx context.Context, until time.Time) (chain.Head, error) {
	return s.chainHead(s.db.QueryRow(ctx, `SELECT id, hash FROM events WHERE hash IS NOT NULL AND time < `+s.db.Param("timestamptz")+`
		ORDER BY id DESC LIMIT 1`, s.db.Time(CeilSecond(until))))
}

func (s *Store) chainHead(row *sql.Row) (chain.Head, error) {
	var h chain.Head
	err := row.Scan(&h.ID, &h.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return chain.Head{}, nil
	}
	if err != nil {
		return chain.Head{}, fmt.Errorf("store: chain head: %w", err)
	}
	return h, nil
}

// tableChecks find a row of the tables that auditors read (rotations,
// acknowledgments, retractions, deliveries' final statuses) made since the
// chain started and without its event in the chain: the table was edited where
// the chain cannot see it. A rotation's or acknowledgment's recorded_at
// is its event's (one transaction writes both), which the chain covers
// from migration 0009 on; retractions came later (0011), so every row has
// its event, with its recorded_at. Each names the first such row. The events of a
// credential are found through its index, so each check costs a lookup a
// row. %s is where the row's time is written as text (Dialect.TimeText).
var tableChecks = []struct{ what, table, query, at string }{
	{"rotation", "rotations", `SELECT r.id, r.credential_id || ' at ' || %s || ' (source ' || r.source || ', by ' || r.actor || ')'
		FROM rotations r, event_chain c WHERE r.id >= c.first_rotation_id AND NOT EXISTS (SELECT 1 FROM events e
			WHERE e.credential_id = r.credential_id AND e.time = r.rotated_at AND e.id >= ? AND e.type = 'rotation'
				AND e.rotation_id = r.id AND e.status = r.source AND e.actor = r.actor
				AND (e.recorded_at IS NULL OR e.recorded_at = r.recorded_at))
		ORDER BY r.id LIMIT 1`, "r.rotated_at"},
	{"acknowledgment", "acknowledgments", `SELECT a.id, a.credential_id || ' at ' || %s || ' by ' || a.actor || ' (source ' || a.source || ')'
		FROM acknowledgments a, event_chain c WHERE a.id >= c.first_ack_id AND NOT EXISTS (SELECT 1 FROM events e
			WHERE e.credential_id = a.credential_id AND e.time = a.acked_at AND e.id >= ? AND e.type = 'ack'
				AND e.rotation_id = a.rotation_id AND e.actor = a.actor AND e.status = a.source
				AND (e.recorded_at IS NULL AND a.recorded_at IS NULL OR e.recorded_at = a.recorded_at))
		ORDER BY a.id LIMIT 1`, "a.acked_at"},
	{"retraction", "retractions", `SELECT x.id, x.credential_id || ' ' || x.kind || ' ' || x.target_id || ' at ' || %s || ' by ' || x.actor
		FROM retractions x WHERE NOT EXISTS (SELECT 1 FROM events e
			WHERE e.credential_id = x.credential_id AND e.time = x.retracted_at AND e.id >= ? AND e.type = 'retraction'
				AND e.status = x.kind AND e.actor = x.actor AND e.recorded_at = x.recorded_at)
		ORDER BY x.id LIMIT 1`, "x.retracted_at"},
	{"delivery", "deliveries", `SELECT d.id, d.credential_id || ' ' || d.stage || ' to ' || d.channel || ', ' || d.status
		FROM deliveries d, event_chain c WHERE d.id >= c.first_delivery_id AND d.status IN ('sent', 'failed', 'skipped', 'superseded')
			AND NOT EXISTS (SELECT 1 FROM events e WHERE e.credential_id = d.credential_id AND e.id >= ? AND e.type = 'reminder'
				AND e.delivery_id = d.id AND e.status = d.status)
		ORDER BY d.id LIMIT 1`, ""},
}

func checkTables(ctx context.Context, db Reader, d Dialect, start int64) (*chain.Problem, error) {
	for _, c := range tableChecks {
		query := c.query
		if c.at != "" {
			query = fmt.Sprintf(query, d.TimeText(c.at))
		}
		var id int64
		var what string
		err := db.QueryRow(ctx, query, start).Scan(&id, &what)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			continue
		case err != nil:
			return nil, fmt.Errorf("store: %s check: %w", c.what, err)
		}
		return &chain.Problem{Kind: chain.KindTable, Detail: fmt.Sprintf(
			"the chain is intact, but %s %d (%s) has no matching event in it: the %s table was changed", c.what, id, what, c.table)}, nil
	}
	return nil, nil
}

// EventColumns are an events row as chain.Row holds it.
const EventColumns = `id, time, type, credential_id, rotation_id, delivery_id, stage, channel, status, actor, detail, hash, recorded_at`

// ScanEvent reads EventColumns. The time is the text that was hashed: as
// SQLite stores it, a timestamptz as UTC RFC 3339.
func ScanEvent(rows *sql.Rows) (chain.Row, error) {
	var r chain.Row
	var cred sql.NullString
	var rot, del sql.NullInt64
	if err := rows.Scan(&r.ID, timeText{&r.Time}, &r.Type, &cred, &rot, &del, &r.Stage, &r.Channel, &r.Status, &r.Actor, &r.Detail, &r.Hash, nullTimeText{&r.RecordedAt}); err != nil {
		return r, fmt.Errorf("store: event chain: %w", err)
	}
	r.CredentialID, r.NullCredential = cred.String, !cred.Valid
	r.RotationID, r.NullRotation = rot.Int64, !rot.Valid
	r.DeliveryID, r.NullDelivery = del.Int64, !del.Valid
	return r, nil
}

// timeText is a Scan destination for a time kept as text: stored text as
// it is (the chain hashes it to the letter), a timestamptz as UTC RFC
// 3339.
type timeText struct{ s *string }

func (d timeText) Scan(src any) error {
	switch v := src.(type) {
	case string:
		*d.s = v
	case []byte:
		*d.s = string(v)
	case time.Time:
		*d.s = FormatTime(v)
	default:
		return fmt.Errorf("a time is a %T", src)
	}
	return nil
}

// nullTimeText is timeText for a nullable time: NULL is "".
type nullTimeText struct{ s *string }

func (d nullTimeText) Scan(src any) error {
	if src == nil {
		*d.s = ""
		return nil
	}
	return timeText(d).Scan(src)
}
