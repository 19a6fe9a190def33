package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// ActiveCredential is the credential a person or a source acts on
// (rotate, ack), locked to the transaction's end where the driver locks
// rows; domain.ErrUnknownCredential or domain.ErrInactive otherwise.
func (t *Tx) ActiveCredential(id string) (Credential, error) {
	c, err := ScanCredential(t.QueryRow(`SELECT `+CredColumns+` FROM credentials c WHERE c.id = ?`+t.LockRows(false), id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return c, fmt.Errorf("%w %q", domain.ErrUnknownCredential, id)
	case err != nil:
		return c, fmt.Errorf("store: credential %s: %w", id, err)
	case !c.Active:
		return c, fmt.Errorf("%w: %q was removed from the config", domain.ErrInactive, id)
	}
	return c, nil
}

// credentials returns the rows of the given ids that exist, by id.
func (t *Tx) credentials(ids []string) (map[string]Credential, error) {
	out := make(map[string]Credential, len(ids))
	for lo := 0; lo < len(ids); lo += t.IDBatch() {
		in, args := In(t, "c.id", ids[lo:min(lo+t.IDBatch(), len(ids))])
		rows, err := t.Query(`SELECT `+CredColumns+` FROM credentials c WHERE `+in, args...)
		creds, err := Collect(rows, err, func(r Scanner) (Credential, error) { return ScanCredential(r) })
		if err != nil {
			return nil, fmt.Errorf("store: credentials: %w", err)
		}
		for _, c := range creds {
			out[c.ID] = c
		}
	}
	return out, nil
}

// PutCredential writes a credential's row as the config describes it
// (active or not), keeping its cycle.
func (t *Tx) PutCredential(c domain.Credential, active bool, now time.Time) error {
	_, err := t.Exec(`INSERT INTO credentials (id, name, owner, rotation_period, expires_at, policy, config_rotated_at, file, active, created_at, updated_at, lwa_client_id,
			source_kind, source_name, source_region, source_endpoint)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, owner = excluded.owner, rotation_period = excluded.rotation_period,
			expires_at = excluded.expires_at, policy = excluded.policy, config_rotated_at = excluded.config_rotated_at,
			file = excluded.file, active = excluded.active, updated_at = excluded.updated_at, lwa_client_id = excluded.lwa_client_id,
			source_kind = excluded.source_kind, source_name = excluded.source_name, source_region = excluded.source_region,
			source_endpoint = excluded.source_endpoint`,
		c.ID, c.Name, c.Owner, c.RotationPeriod.String(), nullTime(t, c.ExpiresAt), c.Policy, t.Time(c.RotatedAt), c.File, active,
		t.Time(now), t.Time(now), NullString(c.LWAClientID),
		NullString(c.Source.Kind), c.Source.Name, c.Source.Region, c.Source.Endpoint)
	if err != nil {
		return fmt.Errorf("store: put credential %s: %w", c.ID, err)
	}
	return nil
}

// MarkDue makes the credential's cycle due for planning at the latest at
// when (see Dialect.DueSet).
//
// The next action always changes, for it is also what RecordPlans compares
// to know that nobody changed the cycle since the planner read it: a later
// one moves to when; one already due, which a planner may be working from
// right now, moves one second earlier, so that planner's plan (made without
// the change) cannot overwrite it. A next action never moves later.
func (t *Tx) MarkDue(id string, when time.Time) error {
	w := t.Time(when)
	if _, err := t.Exec(`UPDATE credentials SET `+t.DueSet()+` WHERE id = ? AND `+t.IsTrue("active"), w, w, id); err != nil {
		return fmt.Errorf("store: credential %s: %w", id, err)
	}
	return nil
}

// Rotation is one rotation by id (domain.ErrNotFound).
func (t *Tx) Rotation(id int64) (domain.Rotation, error) {
	var r domain.Rotation
	err := t.QueryRow(`SELECT id, credential_id, rotated_at, source, actor, note FROM rotations WHERE id = ?`, id).
		Scan(&r.ID, &r.CredentialID, TimeOf(&r.RotatedAt), &r.Source, &r.Actor, &r.Note)
	if errors.Is(err, sql.ErrNoRows) {
		return r, domain.ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("store: rotation %d: %w", id, err)
	}
	return r, nil
}

// InsertRotation records a rotation and its event and makes it the
// credential's current cycle, due for planning; the old cycles' pending
// deliveries become superseded.
func (t *Tx) InsertRotation(r domain.Rotation, now time.Time) (int64, error) {
	id, _, err := t.Insert(`INSERT INTO rotations (credential_id, rotated_at, source, actor, note, recorded_at) VALUES (?, ?, ?, ?, ?, ?)`,
		r.CredentialID, t.Time(r.RotatedAt), r.Source, r.Actor, r.Note, t.Time(t.Recorded()))
	if err != nil {
		return 0, fmt.Errorf("store: rotation of %s: %w", r.CredentialID, err)
	}
	if err := t.InsertEvent(domain.Event{Time: r.RotatedAt, Type: domain.EventRotation, CredentialID: r.CredentialID, RotationID: id,
		Status: r.Source, Actor: r.Actor, Detail: rotationDetail(r)}); err != nil {
		return 0, err
	}
	// The new cycle is planned from scratch at the next tick.
	if _, err := t.Exec(`UPDATE credentials SET rotation_id = ?, next_action_at = ? WHERE id = ?`,
		id, t.Time(MinTime(r.RotatedAt, now)), r.CredentialID); err != nil {
		return 0, fmt.Errorf("store: rotation of %s: %w", r.CredentialID, err)
	}
	if err := t.RecordTerms(r.CredentialID, TermsAtStart, now, nil); err != nil {
		return 0, err
	}
	if err := t.supersedePending(r.CredentialID, id, now, "superseded by the rotation at "+FormatTime(r.RotatedAt)); err != nil {
		return 0, err
	}
	return id, t.announce(r, id, now)
}

// announce adds, in the rotation's transaction, one pending delivery
// (stage domain.StageAnnounce) per channel the credential's policy
// announces on, due at once: the unique key of the outbox keeps it to one
// per rotation and channel. Its due_at is the moment the old secret stops
// working where Amazon stated it (r.OldSecretExpiresAt), else the
// rotation's time. A credential's first rotation (a first sync) is not
// recorded here and is never announced.
func (t *Tx) announce(r domain.Rotation, id int64, now time.Time) error {
	var list sql.NullString
	err := t.QueryRow(`SELECT s.value FROM credentials c JOIN sync_state s ON s.key = ? || c.policy WHERE c.id = ?`, domain.AnnounceKey(""), r.CredentialID).Scan(&list)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && list.String == "") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: announcement of %s: %w", r.CredentialID, err)
	}
	due := r.RotatedAt
	if !r.OldSecretExpiresAt.IsZero() {
		due = r.OldSecretExpiresAt
	}
	for _, ch := range strings.Split(list.String, ",") {
		if _, _, err := insertDelivery(t, domain.Delivery{RotationID: id, CredentialID: r.CredentialID, Stage: domain.StageAnnounce,
			Channel: ch, Status: domain.StatusPending, Due: StoredTime(due)}, now); err != nil {
			return err
		}
	}
	return nil
}

// rotationDetail is a rotation event's text.
func rotationDetail(r domain.Rotation) string {
	detail := "rotated at " + FormatTime(r.RotatedAt) + " (source " + r.Source + ")"
	if r.Note != "" {
		detail += ": " + r.Note
	}
	return detail
}

// supersedePending marks the credential's pending deliveries of cycles other
// than keepRotation as superseded, with an event each. keepRotation 0
// supersedes them all (a credential removed from the config).
func (t *Tx) supersedePending(credentialID string, keepRotation int64, now time.Time, why string) error {
	if err := Supersede(t, `credential_id = ? AND status = 'pending' AND rotation_id != ?`, now, why, credentialID, keepRotation); err != nil {
		return fmt.Errorf("store: supersede %s: %w", credentialID, err)
	}
	return nil
}

// Retire makes a credential inactive: never deleted, so its history
// survives; its pending deliveries are superseded, with a history event
// saying why.
func (t *Tx) Retire(id string, now time.Time, detail string) error {
	if _, err := t.Exec(`UPDATE credentials SET active = FALSE, next_action_at = NULL, updated_at = ? WHERE id = ?`, t.Time(now), id); err != nil {
		return fmt.Errorf("store: retire %s: %w", id, err)
	}
	if err := t.supersedePending(id, 0, now, "superseded: the credential was removed from the config"); err != nil {
		return err
	}
	return t.InsertEvent(domain.Event{Time: now, Type: domain.EventCredential, CredentialID: id, Status: "inactive", Detail: detail})
}

// NotifyDue tells the other replicas, at the commit, that cycles became
// due (Dialect.NotifySQL); nothing where there are none.
func (t *Tx) NotifyDue() error {
	q := t.NotifySQL()
	if q == "" {
		return nil
	}
	if _, err := t.Exec(q); err != nil {
		return fmt.Errorf("store: notify: %w", err)
	}
	return nil
}
