package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
	"github.com/notifier-dev/notifier/internal/store/sqlstore"
)

// credRow is a credentials row: the credential as last synced, whether it
// is active, and its current cycle.
type credRow struct {
	domain.Credential
	Active     bool
	RotationID int64
	NextAction time.Time
}

const credColumns = `c.id, c.name, c.owner, c.rotation_period, c.expires_at, c.policy, c.config_rotated_at, c.file, c.active,
	COALESCE(c.rotation_id, 0), c.next_action_at, COALESCE(c.lwa_client_id, ''),
	COALESCE(c.source_kind, ''), c.source_name, c.source_region, c.source_endpoint`

type scanner interface{ Scan(...any) error }

// scanCred reads credColumns, then extra.
func scanCred(s scanner, extra ...any) (credRow, error) {
	var c credRow
	var period, cfgRot string
	var expires, next sql.NullString
	dst := append([]any{&c.ID, &c.Name, &c.Owner, &period, &expires, &c.Policy, &cfgRot, &c.File, &c.Active, &c.RotationID, &next, &c.LWAClientID,
		&c.Source.Kind, &c.Source.Name, &c.Source.Region, &c.Source.Endpoint}, extra...)
	if err := s.Scan(dst...); err != nil {
		return c, err
	}
	var err error
	if c.RotationPeriod, err = schedule.ParseSpan(period); err != nil {
		return c, fmt.Errorf("store: credential %s: rotation_period: %w", c.ID, err)
	}
	if c.ExpiresAt, err = parseNullTime(expires); err != nil {
		return c, fmt.Errorf("store: credential %s: %w", c.ID, err)
	}
	if c.RotatedAt, err = ParseTime(cfgRot); err != nil {
		return c, fmt.Errorf("store: credential %s: %w", c.ID, err)
	}
	if c.NextAction, err = parseNullTime(next); err != nil {
		return c, fmt.Errorf("store: credential %s: %w", c.ID, err)
	}
	return c, nil
}

func (t *tx) credential(id string) (credRow, error) {
	c, err := scanCred(t.queryRow(`SELECT `+credColumns+` FROM credentials c WHERE c.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, domain.ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("store: credential %s: %w", id, err)
	}
	return c, nil
}

// activeCredential is the credential a person acts on (rotate, ack).
func (t *tx) activeCredential(id string) (credRow, error) {
	c, err := t.credential(id)
	if errors.Is(err, domain.ErrNotFound) {
		return c, fmt.Errorf("%w %q", domain.ErrUnknownCredential, id)
	}
	if err != nil {
		return c, err
	}
	if !c.Active {
		return c, fmt.Errorf("%w: %q was removed from the config", domain.ErrInactive, id)
	}
	return c, nil
}

// putCredential inserts or updates a credential row (not its cycle).
func (t *tx) putCredential(c domain.Credential, active bool, now time.Time) error {
	_, err := t.exec(`INSERT INTO credentials (id, name, owner, rotation_period, expires_at, policy, config_rotated_at, file, active, created_at, updated_at, lwa_client_id,
			source_kind, source_name, source_region, source_endpoint)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, owner = excluded.owner, rotation_period = excluded.rotation_period,
			expires_at = excluded.expires_at, policy = excluded.policy, config_rotated_at = excluded.config_rotated_at,
			file = excluded.file, active = excluded.active, updated_at = excluded.updated_at, lwa_client_id = excluded.lwa_client_id,
			source_kind = excluded.source_kind, source_name = excluded.source_name, source_region = excluded.source_region,
			source_endpoint = excluded.source_endpoint`,
		c.ID, c.Name, c.Owner, c.RotationPeriod.String(), nullTime(c.ExpiresAt), c.Policy, FormatTime(c.RotatedAt), c.File, active,
		FormatTime(now), FormatTime(now), nullString(c.LWAClientID),
		nullString(c.Source.Kind), c.Source.Name, c.Source.Region, c.Source.Endpoint)
	if err != nil {
		return fmt.Errorf("store: put credential %s: %w", c.ID, err)
	}
	return nil
}

// dueSet is the SET clause that makes a cycle due for planning at the
// latest at when (its two parameters): something it depends on changed.
//
// The next action always changes, for it is also what RecordPlans compares
// to know that nobody changed the cycle since the planner read it: a later
// one moves to when; one already due, which a planner may be working from
// right now, moves one second earlier, so that planner's plan (made without
// the change) cannot overwrite it. A next action never moves later.
const dueSet = `next_action_at = CASE WHEN next_action_at IS NULL OR next_action_at > ? THEN ?
	ELSE strftime('%Y-%m-%dT%H:%M:%SZ', next_action_at, '-1 second') END`

// markDue makes the credential's cycle due for planning at the latest at
// when (see dueSet).
func (t *tx) markDue(id string, when time.Time) error {
	w := FormatTime(when)
	if _, err := t.exec(`UPDATE credentials SET `+dueSet+` WHERE id = ? AND active = 1`, w, w, id); err != nil {
		return fmt.Errorf("store: credential %s: %w", id, err)
	}
	return nil
}

func (t *tx) rotation(id int64) (domain.Rotation, error) {
	var r domain.Rotation
	var at string
	err := t.queryRow(`SELECT id, credential_id, rotated_at, source, actor, note FROM rotations WHERE id = ?`, id).
		Scan(&r.ID, &r.CredentialID, &at, &r.Source, &r.Actor, &r.Note)
	if errors.Is(err, sql.ErrNoRows) {
		return r, domain.ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("store: rotation %d: %w", id, err)
	}
	r.RotatedAt, err = ParseTime(at)
	return r, err
}

// insertRotation records a rotation and its event, and makes it the
// credential's current cycle, due for planning. The old cycles' pending
// deliveries become superseded.
func (t *tx) insertRotation(r domain.Rotation, now time.Time) (int64, error) {
	res, err := t.exec(`INSERT INTO rotations (credential_id, rotated_at, source, actor, note, recorded_at) VALUES (?, ?, ?, ?, ?, ?)`,
		r.CredentialID, FormatTime(r.RotatedAt), r.Source, r.Actor, r.Note, FormatTime(now))
	if err != nil {
		return 0, fmt.Errorf("store: rotation of %s: %w", r.CredentialID, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("store: rotation of %s: %w", r.CredentialID, err)
	}
	detail := "rotated at " + FormatTime(r.RotatedAt) + " (source " + r.Source + ")"
	if r.Note != "" {
		detail += ": " + r.Note
	}
	if err := t.insertEvent(domain.Event{Time: r.RotatedAt, Type: domain.EventRotation, CredentialID: r.CredentialID, RotationID: id,
		Status: r.Source, Actor: r.Actor, Detail: detail}); err != nil {
		return 0, err
	}
	// The new cycle is planned from scratch at the next tick.
	if _, err := t.exec(`UPDATE credentials SET rotation_id = ?, next_action_at = ? WHERE id = ?`,
		id, FormatTime(minTime(r.RotatedAt, now)), r.CredentialID); err != nil {
		return 0, fmt.Errorf("store: rotation of %s: %w", r.CredentialID, err)
	}
	return id, t.supersedePending(r.CredentialID, id, now, "superseded by the rotation at "+FormatTime(r.RotatedAt))
}

// supersedePending marks the credential's pending deliveries of cycles other
// than keepRotation as superseded, with an event each. keepRotation 0
// supersedes them all (a credential removed from the config).
func (t *tx) supersedePending(credentialID string, keepRotation int64, now time.Time, why string) error {
	if err := sqlstore.Supersede(t, `credential_id = ? AND status = 'pending' AND rotation_id != ?`, now, why, credentialID, keepRotation); err != nil {
		return fmt.Errorf("store: supersede %s: %w", credentialID, err)
	}
	return nil
}

// retire makes a credential inactive: never deleted, so its history
// survives; its pending deliveries are superseded.
func (t *tx) retire(id string, now time.Time, detail string) error {
	if _, err := t.exec(`UPDATE credentials SET active = 0, next_action_at = NULL, updated_at = ? WHERE id = ?`, FormatTime(now), id); err != nil {
		return fmt.Errorf("store: retire %s: %w", id, err)
	}
	if err := t.supersedePending(id, 0, now, "superseded: the credential was removed from the config"); err != nil {
		return err
	}
	return t.insertEvent(domain.Event{Time: now, Type: domain.EventCredential, CredentialID: id, Status: "inactive", Detail: detail})
}

func parseAck(s sql.NullString) (time.Time, string, error) {
	if !s.Valid {
		return time.Time{}, "", nil
	}
	when, by, _ := strings.Cut(s.String, "\x1f")
	at, err := ParseTime(when)
	return at, by, err
}

// cycleColumns are credColumns plus the current rotation and its first
// acknowledgment; the query joins credentials c with rotations r on
// c.rotation_id.
const cycleColumns = credColumns + `, r.rotated_at, r.source, ` + `(SELECT acked_at || char(31) || actor FROM acknowledgments a WHERE a.rotation_id = r.id ORDER BY acked_at, id LIMIT 1)` +
	`, (SELECT deadline FROM cycle_deadlines cd WHERE cd.rotation_id = r.id ORDER BY cd.id DESC LIMIT 1)`

// scanCycle reads cycleColumns, then extra.
func scanCycle(s scanner, extra ...any) (domain.Cycle, error) {
	var start, source string
	var ack, stated sql.NullString
	row, err := scanCred(s, append([]any{&start, &source, &ack, &stated}, extra...)...)
	if err != nil {
		return domain.Cycle{}, err
	}
	c := domain.Cycle{Credential: row.Credential, Active: row.Active, RotationID: row.RotationID, NextAction: row.NextAction, Source: source}
	if c.Start, err = ParseTime(start); err != nil {
		return c, fmt.Errorf("store: cycle of %s: %w", row.ID, err)
	}
	if c.AckAt, c.AckBy, err = parseAck(ack); err != nil {
		return c, fmt.Errorf("store: cycle of %s: %w", row.ID, err)
	}
	if c.StatedDeadline, err = parseNullTime(stated); err != nil {
		return c, fmt.Errorf("store: cycle of %s: %w", row.ID, err)
	}
	return c, nil
}

// Cycle returns a credential, active or not, with its current cycle.
func (s *Store) Cycle(ctx context.Context, id string) (domain.Cycle, error) {
	c, err := scanCycle(s.db.QueryRowContext(ctx, `SELECT `+cycleColumns+`
		FROM credentials c JOIN rotations r ON r.id = c.rotation_id WHERE c.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("%w %q", domain.ErrUnknownCredential, id)
	}
	if err != nil {
		return c, fmt.Errorf("store: credential %s: %w", id, err)
	}
	return c, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
