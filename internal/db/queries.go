package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// SentKey names a delivery of a cycle that exists in any state.
type SentKey struct {
	Stage string
	Seq   int
}

// OpenCycle is the current cycle of an active credential with what the
// planner needs: its first acknowledgment and the deliveries it already has.
type OpenCycle struct {
	CredentialID string
	RotationID   int64
	RotatedAt    time.Time
	AckAt        time.Time // zero: not acknowledged
	AckBy        string
	Sent         map[SentKey]bool
}

// currentRotations selects each credential's latest rotation. SQLite returns
// the bare columns of the row that holds the MAX.
const currentRotations = `SELECT credential_id, id, MAX(rotated_at) AS rotated_at FROM rotations GROUP BY credential_id`

// firstAck selects a cycle's first acknowledgment as "time<US>actor", NULL
// when there is none; parseAck reads it.
func firstAck(rotationID string) string {
	return `(SELECT acked_at || char(31) || actor FROM acknowledgments a WHERE a.rotation_id = ` + rotationID + ` ORDER BY acked_at, id LIMIT 1)`
}

func parseAck(s sql.NullString) (time.Time, string, error) {
	if !s.Valid {
		return time.Time{}, "", nil
	}
	when, by, _ := strings.Cut(s.String, "\x1f")
	at, err := ParseTime(when)
	return at, by, err
}

// OpenCycles returns the current cycle of every active credential.
func (d *DB) OpenCycles(ctx context.Context) ([]OpenCycle, error) {
	rows, err := d.db.QueryContext(ctx, `WITH cur AS (`+currentRotations+`)
		SELECT cur.credential_id, cur.id, cur.rotated_at,
			`+firstAck("cur.id")+`
		FROM cur JOIN credentials c ON c.id = cur.credential_id WHERE c.active = 1 ORDER BY cur.credential_id`)
	if err != nil {
		return nil, fmt.Errorf("db: open cycles: %w", err)
	}
	defer rows.Close()
	var out []OpenCycle
	index := map[int64]int{}
	for rows.Next() {
		var c OpenCycle
		var at string
		var ack sql.NullString
		if err := rows.Scan(&c.CredentialID, &c.RotationID, &at, &ack); err != nil {
			return nil, fmt.Errorf("db: open cycles: %w", err)
		}
		if c.RotatedAt, err = ParseTime(at); err != nil {
			return nil, fmt.Errorf("db: open cycles: %w", err)
		}
		if c.AckAt, c.AckBy, err = parseAck(ack); err != nil {
			return nil, fmt.Errorf("db: open cycles: %w", err)
		}
		index[c.RotationID] = len(out)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: open cycles: %w", err)
	}
	rows.Close()
	sent, err := d.db.QueryContext(ctx, `WITH cur AS (`+currentRotations+`)
		SELECT DISTINCT d.rotation_id, d.stage, d.seq FROM deliveries d JOIN cur ON cur.id = d.rotation_id`)
	if err != nil {
		return nil, fmt.Errorf("db: open cycles: %w", err)
	}
	defer sent.Close()
	for sent.Next() {
		var rid int64
		var k SentKey
		if err := sent.Scan(&rid, &k.Stage, &k.Seq); err != nil {
			return nil, fmt.Errorf("db: open cycles: %w", err)
		}
		if i, ok := index[rid]; ok {
			if out[i].Sent == nil {
				out[i].Sent = map[SentKey]bool{}
			}
			out[i].Sent[k] = true
		}
	}
	return out, sent.Err()
}

// DueDelivery is a pending delivery whose next attempt is due, with its
// cycle's start and first acknowledgment for rendering.
type DueDelivery struct {
	Delivery
	RotatedAt time.Time
	AckAt     time.Time
	AckBy     string
}

// Due returns up to limit pending deliveries due at now, oldest first.
func (d *DB) Due(ctx context.Context, now time.Time, limit int) ([]DueDelivery, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT d.id, d.rotation_id, d.credential_id, d.stage, d.seq, d.channel, d.due_at, d.attempts, r.rotated_at,
			`+firstAck("d.rotation_id")+`
		FROM deliveries d JOIN rotations r ON r.id = d.rotation_id
		WHERE d.status = 'pending' AND d.next_attempt_at <= ?
		ORDER BY d.next_attempt_at, d.id LIMIT ?`, FormatTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("db: due deliveries: %w", err)
	}
	defer rows.Close()
	var out []DueDelivery
	for rows.Next() {
		var x DueDelivery
		var due, rot string
		var ack sql.NullString
		if err := rows.Scan(&x.ID, &x.RotationID, &x.CredentialID, &x.Stage, &x.Seq, &x.Channel, &due, &x.Attempts, &rot, &ack); err != nil {
			return nil, fmt.Errorf("db: due deliveries: %w", err)
		}
		x.Status = StatusPending
		if x.Due, err = ParseTime(due); err != nil {
			return nil, err
		}
		if x.RotatedAt, err = ParseTime(rot); err != nil {
			return nil, err
		}
		if x.AckAt, x.AckBy, err = parseAck(ack); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// NextAttempt returns when the earliest pending delivery is due, or the
// zero time when none is pending.
func (d *DB) NextAttempt(ctx context.Context) (time.Time, error) {
	var s sql.NullString
	if err := d.db.QueryRowContext(ctx, `SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'pending'`).Scan(&s); err != nil {
		return time.Time{}, fmt.Errorf("db: next attempt: %w", err)
	}
	return parseNullTime(s)
}

// CredentialState is a credential with its current cycle, for status.
type CredentialState struct {
	Credential
	RotationID int64
	RotatedAt  time.Time
	Source     string
	AckAt      time.Time
	AckBy      string
	LastStage  string    // the stage of the last reminder sent in this cycle
	LastSentAt time.Time // when the last reminder of this cycle went out
	Failed     int       // deliveries of this cycle that finally failed
	Pending    int       // deliveries of this cycle still being tried
}

// States returns every credential, active or not, with its current cycle.
func (d *DB) States(ctx context.Context) ([]CredentialState, error) {
	rows, err := d.db.QueryContext(ctx, `WITH cur AS (`+currentRotations+`)
		SELECT c.id, c.name, c.owner, c.rotation_period, c.expires_at, c.policy, c.config_rotated_at, c.active,
			cur.id, cur.rotated_at, r.source,
			`+firstAck("cur.id")+`,
			(SELECT stage || char(31) || sent_at FROM deliveries x WHERE x.rotation_id = cur.id AND x.status = 'sent' ORDER BY sent_at DESC, due_at DESC LIMIT 1),
			(SELECT COUNT(*) FROM deliveries x WHERE x.rotation_id = cur.id AND x.status = 'failed'),
			(SELECT COUNT(*) FROM deliveries x WHERE x.rotation_id = cur.id AND x.status = 'pending')
		FROM credentials c JOIN cur ON cur.credential_id = c.id JOIN rotations r ON r.id = cur.id
		ORDER BY c.id`)
	if err != nil {
		return nil, fmt.Errorf("db: states: %w", err)
	}
	defer rows.Close()
	var out []CredentialState
	for rows.Next() {
		var s CredentialState
		var expires, ack, last sql.NullString
		var cfgRot, rot string
		if err := rows.Scan(&s.ID, &s.Name, &s.Owner, &s.RotationPeriod, &expires, &s.Policy, &cfgRot, &s.Active,
			&s.RotationID, &rot, &s.Source, &ack, &last, &s.Failed, &s.Pending); err != nil {
			return nil, fmt.Errorf("db: states: %w", err)
		}
		if s.ExpiresAt, err = parseNullTime(expires); err != nil {
			return nil, err
		}
		if s.ConfigRotatedAt, err = ParseTime(cfgRot); err != nil {
			return nil, err
		}
		if s.RotatedAt, err = ParseTime(rot); err != nil {
			return nil, err
		}
		if s.AckAt, s.AckBy, err = parseAck(ack); err != nil {
			return nil, err
		}
		if last.Valid {
			stage, when, _ := strings.Cut(last.String, "\x1f")
			s.LastStage = stage
			if s.LastSentAt, err = ParseTime(when); err != nil {
				return nil, err
			}
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// HistoryFilter narrows History; zero fields match everything.
type HistoryFilter struct {
	CredentialID string
	Type         string
	Since        time.Time // inclusive
	Until        time.Time // exclusive
	Limit        int
}

// History returns events in time order.
func (d *DB) History(ctx context.Context, f HistoryFilter) ([]Event, error) {
	q := `SELECT id, time, type, COALESCE(credential_id, ''), COALESCE(rotation_id, 0), COALESCE(delivery_id, 0), stage, channel, status, actor, detail FROM events WHERE 1=1`
	var args []any
	if f.CredentialID != "" {
		q += ` AND credential_id = ?`
		args = append(args, f.CredentialID)
	}
	if f.Type != "" {
		q += ` AND type = ?`
		args = append(args, f.Type)
	}
	// Stored times are whole seconds: a bound with a fraction is rounded up,
	// not down, so that an event just before Since or Until is not counted
	// in (Since) or dropped (Until).
	if !f.Since.IsZero() {
		q += ` AND time >= ?`
		args = append(args, FormatTime(ceilSecond(f.Since)))
	}
	if !f.Until.IsZero() {
		q += ` AND time < ?`
		args = append(args, FormatTime(ceilSecond(f.Until)))
	}
	q += ` ORDER BY time, id`
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("db: history: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at string
		if err := rows.Scan(&e.ID, &at, &e.Type, &e.CredentialID, &e.RotationID, &e.DeliveryID, &e.Stage, &e.Channel, &e.Status, &e.Actor, &e.Detail); err != nil {
			return nil, fmt.Errorf("db: history: %w", err)
		}
		if e.Time, err = ParseTime(at); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func ceilSecond(t time.Time) time.Time {
	if r := t.Truncate(time.Second); !r.Equal(t) {
		return r.Add(time.Second)
	}
	return t
}

// Deliveries returns the outbox rows of a credential (all when empty), for
// tests and reports.
func (d *DB) Deliveries(ctx context.Context, credentialID string) ([]Delivery, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, rotation_id, credential_id, stage, seq, channel, status, due_at, attempts,
		COALESCE(next_attempt_at, ''), COALESCE(sent_at, ''), last_error FROM deliveries
		WHERE ? = '' OR credential_id = ? ORDER BY id`, credentialID, credentialID)
	if err != nil {
		return nil, fmt.Errorf("db: deliveries: %w", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var x Delivery
		var due, next, sent string
		if err := rows.Scan(&x.ID, &x.RotationID, &x.CredentialID, &x.Stage, &x.Seq, &x.Channel, &x.Status, &due, &x.Attempts, &next, &sent, &x.LastError); err != nil {
			return nil, fmt.Errorf("db: deliveries: %w", err)
		}
		x.Due, _ = ParseTime(due)
		x.NextAttemptAt, _ = parseNullTime(sql.NullString{String: next, Valid: next != ""})
		x.SentAt, _ = parseNullTime(sql.NullString{String: sent, Valid: sent != ""})
		out = append(out, x)
	}
	return out, rows.Err()
}
