package db

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Credential is a credentials row.
type Credential struct {
	ID              string
	Name            string
	Owner           string
	RotationPeriod  string
	ExpiresAt       time.Time // zero: none
	Policy          string
	ConfigRotatedAt time.Time
	Active          bool
}

// Rotation is a rotations row: the start of a cycle.
type Rotation struct {
	ID           int64
	CredentialID string
	RotatedAt    time.Time
	Source       string // config, cli, http, slack
	Actor        string
	Note         string
}

// Ack is an acknowledgments row.
type Ack struct {
	ID           int64
	CredentialID string
	RotationID   int64
	At           time.Time
	Actor        string
	Note         string
	Source       string // cli, http, slack, email
	DeliveryID   *int64 // the reminder acknowledged, when known
}

// Delivery statuses.
const (
	StatusPending    = "pending"
	StatusSent       = "sent"
	StatusFailed     = "failed"
	StatusSkipped    = "skipped"
	StatusSuperseded = "superseded"
	// StatusRetry is an event's status, never a delivery's: an attempt
	// failed and the delivery stays pending until its next attempt.
	StatusRetry = "retry"
)

// Delivery is an outbox row.
type Delivery struct {
	ID            int64
	RotationID    int64
	CredentialID  string
	Stage         string
	Seq           int
	Channel       string
	Status        string
	Due           time.Time
	Attempts      int
	NextAttemptAt time.Time
	SentAt        time.Time
	LastError     string
}

// Event types in the history.
const (
	EventRotation   = "rotation"
	EventReminder   = "reminder"
	EventAck        = "ack"
	EventCredential = "credential"
	EventConfig     = "config"
)

// Event is one line of the append-only history.
type Event struct {
	ID           int64     `json:"-"`
	Time         time.Time `json:"time"`
	Type         string    `json:"type"`
	CredentialID string    `json:"credential"`
	RotationID   int64     `json:"-"`
	DeliveryID   int64     `json:"-"`
	Stage        string    `json:"stage"`
	Channel      string    `json:"channel"`
	Status       string    `json:"status"`
	Actor        string    `json:"actor"`
	Detail       string    `json:"detail"`
}

// Credentials returns every credential row, active or not, by id.
func (tx *Tx) Credentials() (map[string]Credential, error) {
	rows, err := tx.tx.QueryContext(tx.ctx, `SELECT id, name, owner, rotation_period, expires_at, policy, config_rotated_at, active FROM credentials`)
	if err != nil {
		return nil, fmt.Errorf("db: credentials: %w", err)
	}
	defer rows.Close()
	out := map[string]Credential{}
	for rows.Next() {
		c, err := scanCredential(rows)
		if err != nil {
			return nil, err
		}
		out[c.ID] = c
	}
	return out, rows.Err()
}

type scanner interface{ Scan(...any) error }

func scanCredential(s scanner) (Credential, error) {
	var c Credential
	var expires sql.NullString
	var cfgRot string
	if err := s.Scan(&c.ID, &c.Name, &c.Owner, &c.RotationPeriod, &expires, &c.Policy, &cfgRot, &c.Active); err != nil {
		return c, fmt.Errorf("db: credential: %w", err)
	}
	var err error
	if c.ExpiresAt, err = parseNullTime(expires); err != nil {
		return c, fmt.Errorf("db: credential %s: %w", c.ID, err)
	}
	if c.ConfigRotatedAt, err = ParseTime(cfgRot); err != nil {
		return c, fmt.Errorf("db: credential %s: %w", c.ID, err)
	}
	return c, nil
}

// PutCredential inserts or updates a credential row.
func (tx *Tx) PutCredential(c Credential, now time.Time) error {
	_, err := tx.exec(`INSERT INTO credentials (id, name, owner, rotation_period, expires_at, policy, config_rotated_at, active, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, owner = excluded.owner, rotation_period = excluded.rotation_period,
			expires_at = excluded.expires_at, policy = excluded.policy, config_rotated_at = excluded.config_rotated_at,
			active = excluded.active, updated_at = excluded.updated_at`,
		c.ID, c.Name, c.Owner, c.RotationPeriod, nullTime(c.ExpiresAt), c.Policy, FormatTime(c.ConfigRotatedAt), c.Active, FormatTime(now), FormatTime(now))
	if err != nil {
		return fmt.Errorf("db: put credential %s: %w", c.ID, err)
	}
	return nil
}

// Credential returns one credential row.
func (tx *Tx) Credential(id string) (Credential, error) {
	c, err := scanCredential(tx.queryRow(`SELECT id, name, owner, rotation_period, expires_at, policy, config_rotated_at, active FROM credentials WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	return c, err
}

// LatestRotation returns the credential's current cycle.
func (tx *Tx) LatestRotation(credentialID string) (Rotation, error) {
	var r Rotation
	var at string
	err := tx.queryRow(`SELECT id, credential_id, rotated_at, source, actor, note FROM rotations
		WHERE credential_id = ? ORDER BY rotated_at DESC LIMIT 1`, credentialID).
		Scan(&r.ID, &r.CredentialID, &at, &r.Source, &r.Actor, &r.Note)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("db: latest rotation of %s: %w", credentialID, err)
	}
	r.RotatedAt, err = ParseTime(at)
	return r, err
}

// InsertRotation records a rotation and its event. The caller supersedes the
// older cycles' pending deliveries (SupersedePending) when there were any.
func (tx *Tx) InsertRotation(r Rotation, now time.Time) (int64, error) {
	res, err := tx.exec(`INSERT INTO rotations (credential_id, rotated_at, source, actor, note, recorded_at) VALUES (?, ?, ?, ?, ?, ?)`,
		r.CredentialID, FormatTime(r.RotatedAt), r.Source, r.Actor, r.Note, FormatTime(now))
	if err != nil {
		return 0, fmt.Errorf("db: rotation of %s: %w", r.CredentialID, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("db: rotation of %s: %w", r.CredentialID, err)
	}
	detail := "rotated at " + FormatTime(r.RotatedAt) + " (source " + r.Source + ")"
	if r.Note != "" {
		detail += ": " + r.Note
	}
	if err := tx.InsertEvent(Event{Time: r.RotatedAt, Type: EventRotation, CredentialID: r.CredentialID, RotationID: id,
		Status: r.Source, Actor: r.Actor, Detail: detail}); err != nil {
		return 0, err
	}
	return id, nil
}

// SupersedePending marks the credential's pending deliveries of cycles other
// than keepRotation as superseded, with an event each. keepRotation 0
// supersedes them all (a credential removed from the config).
func (tx *Tx) SupersedePending(credentialID string, keepRotation int64, now time.Time, why string) error {
	if _, err := tx.exec(`INSERT INTO events (time, type, credential_id, rotation_id, delivery_id, stage, channel, status, detail)
		SELECT ?, 'reminder', credential_id, rotation_id, id, stage, channel, 'superseded', ?
		FROM deliveries WHERE credential_id = ? AND status = 'pending' AND rotation_id != ?`,
		FormatTime(now), why, credentialID, keepRotation); err != nil {
		return fmt.Errorf("db: supersede %s: %w", credentialID, err)
	}
	if _, err := tx.exec(`UPDATE deliveries SET status = 'superseded', next_attempt_at = NULL, last_error = ?
		WHERE credential_id = ? AND status = 'pending' AND rotation_id != ?`, why, credentialID, keepRotation); err != nil {
		return fmt.Errorf("db: supersede %s: %w", credentialID, err)
	}
	return nil
}

// SupersedeLessUrgent marks pending deliveries of the cycle on a channel,
// other than the given one, as superseded: a newer reminder replaces an
// older one still retrying, so a recovered service does not get a burst of
// stale messages.
func (tx *Tx) SupersedeLessUrgent(rotationID int64, channel string, keepDelivery int64, now time.Time) error {
	why := "superseded by a more recent reminder"
	if _, err := tx.exec(`INSERT INTO events (time, type, credential_id, rotation_id, delivery_id, stage, channel, status, detail)
		SELECT ?, 'reminder', credential_id, rotation_id, id, stage, channel, 'superseded', ?
		FROM deliveries WHERE rotation_id = ? AND channel = ? AND status = 'pending' AND id != ?`,
		FormatTime(now), why, rotationID, channel, keepDelivery); err != nil {
		return fmt.Errorf("db: supersede: %w", err)
	}
	if _, err := tx.exec(`UPDATE deliveries SET status = 'superseded', next_attempt_at = NULL, last_error = ?
		WHERE rotation_id = ? AND channel = ? AND status = 'pending' AND id != ?`, why, rotationID, channel, keepDelivery); err != nil {
		return fmt.Errorf("db: supersede: %w", err)
	}
	return nil
}

// InsertDelivery adds an outbox row unless one exists for the same cycle,
// stage, channel and repeat; inserted says whether it was new. A pending row
// is due at once.
func (tx *Tx) InsertDelivery(d Delivery, now time.Time) (id int64, inserted bool, err error) {
	res, err := tx.exec(`INSERT INTO deliveries (rotation_id, credential_id, stage, seq, channel, status, due_at, created_at, next_attempt_at, last_error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		d.RotationID, d.CredentialID, d.Stage, d.Seq, d.Channel, d.Status, FormatTime(d.Due), FormatTime(now),
		nullTime(d.NextAttemptAt), d.LastError)
	if err != nil {
		return 0, false, fmt.Errorf("db: delivery %s/%s/%s: %w", d.CredentialID, d.Stage, d.Channel, err)
	}
	n, _ := res.RowsAffected()
	if n == 0 {
		return 0, false, nil
	}
	id, err = res.LastInsertId()
	return id, true, err
}

// InsertEvent appends to the history.
func (tx *Tx) InsertEvent(e Event) error {
	_, err := tx.exec(`INSERT INTO events (time, type, credential_id, rotation_id, delivery_id, stage, channel, status, actor, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		FormatTime(e.Time), e.Type, nullString(e.CredentialID), nullID(e.RotationID), nullID(e.DeliveryID),
		e.Stage, e.Channel, e.Status, e.Actor, e.Detail)
	if err != nil {
		return fmt.Errorf("db: event: %w", err)
	}
	return nil
}

// InsertAck records an acknowledgment and its event.
func (tx *Tx) InsertAck(a Ack) (int64, error) {
	res, err := tx.exec(`INSERT INTO acknowledgments (credential_id, rotation_id, acked_at, actor, note, source, delivery_id) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		a.CredentialID, a.RotationID, FormatTime(a.At), a.Actor, a.Note, a.Source, a.DeliveryID)
	if err != nil {
		return 0, fmt.Errorf("db: acknowledgment of %s: %w", a.CredentialID, err)
	}
	id, _ := res.LastInsertId()
	detail := "acknowledged via " + a.Source
	if a.Note != "" {
		detail += ": " + a.Note
	}
	var delivery int64
	if a.DeliveryID != nil {
		delivery = *a.DeliveryID
	}
	return id, tx.InsertEvent(Event{Time: a.At, Type: EventAck, CredentialID: a.CredentialID, RotationID: a.RotationID,
		DeliveryID: delivery, Status: a.Source, Actor: a.Actor, Detail: detail})
}

// FirstAck returns the first acknowledgment of a cycle, or ErrNotFound.
func (tx *Tx) FirstAck(rotationID int64) (Ack, error) {
	var a Ack
	var at string
	err := tx.queryRow(`SELECT id, credential_id, rotation_id, acked_at, actor, note, source FROM acknowledgments
		WHERE rotation_id = ? ORDER BY acked_at, id LIMIT 1`, rotationID).
		Scan(&a.ID, &a.CredentialID, &a.RotationID, &at, &a.Actor, &a.Note, &a.Source)
	if errors.Is(err, sql.ErrNoRows) {
		return a, ErrNotFound
	}
	if err != nil {
		return a, fmt.Errorf("db: acknowledgment: %w", err)
	}
	a.At, err = ParseTime(at)
	return a, err
}

// MarkSent records a successful send.
func (tx *Tx) MarkSent(id int64, attempts int, now time.Time) error {
	_, err := tx.exec(`UPDATE deliveries SET status = 'sent', attempts = ?, sent_at = ?, next_attempt_at = NULL, last_error = '' WHERE id = ?`,
		attempts, FormatTime(now), id)
	if err != nil {
		return fmt.Errorf("db: delivery %d: %w", id, err)
	}
	return nil
}

// MarkRetry records a failed attempt that will be retried at next.
func (tx *Tx) MarkRetry(id int64, attempts int, next time.Time, lastErr string) error {
	_, err := tx.exec(`UPDATE deliveries SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?`,
		attempts, FormatTime(next), lastErr, id)
	if err != nil {
		return fmt.Errorf("db: delivery %d: %w", id, err)
	}
	return nil
}

// MarkFailed records a delivery that will not be tried again.
func (tx *Tx) MarkFailed(id int64, attempts int, lastErr string) error {
	_, err := tx.exec(`UPDATE deliveries SET status = 'failed', attempts = ?, next_attempt_at = NULL, last_error = ? WHERE id = ?`,
		attempts, lastErr, id)
	if err != nil {
		return fmt.Errorf("db: delivery %d: %w", id, err)
	}
	return nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
