package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// A cycle keeps its terms (table cycle_terms): the deadline, the policy,
// the rotation period and the time zone in force, fixed when the cycle
// starts and moved only by an appended row with its source and an event
// with the old and new values. The latest row of a cycle is in force.
// Closed cycles get no new rows. A deadline Amazon states for the open
// cycle (cycle_deadlines, the raw record of what it said) is a change of
// its terms too (source amazon, the notification in reference), and it
// stays the deadline whatever the config says until Amazon states
// another: the cycle's deadline is always its terms', for every reader.

// Terms sources.
const (
	TermsAtStart = "policy" // the config's terms when the cycle started
	TermsConfig  = "config" // a config change while the cycle was open
	TermsAmazon  = "amazon" // a deadline Amazon stated for the open cycle
)

// TermsOf completes "SELECT t.column " into the terms in force for the
// cycle of rotation r: its latest cycle_terms row.
const TermsOf = `FROM cycle_terms t WHERE t.rotation_id = r.id ORDER BY t.id DESC LIMIT 1`

// terms are one cycle_terms row's values.
type terms struct {
	deadline time.Time
	policy   string
	period   string
	zone     string
}

// zone is the synced time zone (sync_state 'timezone'; UTC when none yet)
// and its name.
func (t *Tx) zone() (*time.Location, string, error) {
	var name string
	err := t.QueryRow(`SELECT value FROM sync_state WHERE key = 'timezone'`).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && name == "") {
		return time.UTC, "UTC", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("store: time zone: %w", err)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, "", fmt.Errorf("store: time zone %q: %w", name, err)
	}
	return loc, name, nil
}

// termsNow are the terms the credential c's config gives a cycle that
// started at start, in the zone loc named zone.
func termsNow(c domain.Credential, start time.Time, loc *time.Location, zone string) terms {
	return terms{deadline: StoredTime(c.Deadline(start, loc)), policy: c.Policy, period: c.RotationPeriod.String(), zone: zone}
}

// insertTerms appends a cycle_terms row for the cycle of rotation id,
// with its source's reference (the notification of source amazon).
func (t *Tx) insertTerms(rotation int64, v terms, source, reference string) error {
	if _, err := t.Exec(`INSERT INTO cycle_terms (rotation_id, deadline, policy, rotation_period, zone, source, recorded_at, reference) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		rotation, t.Time(v.deadline), v.policy, v.period, v.zone, source, t.Time(t.store.Recorded()), reference); err != nil {
		return fmt.Errorf("store: terms of rotation %d: %w", rotation, err)
	}
	return nil
}

// RecordTerms gives the open cycle of the credential id the terms its
// config gives now: the first terms of a cycle just started (source
// TermsAtStart), or, when they differ from the terms in force, a new row
// (source) and an event "deadline A → B (source)" with every value that
// moved. The deadline Amazon last stated for the cycle, if any, is the
// deadline whatever the config implies. A credential without a cycle has
// nothing to record.
func (t *Tx) RecordTerms(id, source string, now time.Time, changes *[]domain.Change) error {
	return t.recordTerms(id, source, "", now, changes)
}

// recordTerms is RecordTerms with the source's reference: the
// notification of source TermsAmazon, named in the row and the event.
func (t *Tx) recordTerms(id, source, reference string, now time.Time, changes *[]domain.Change) error {
	var start, stated time.Time
	var rotation int64
	c, err := ScanCredential(t.QueryRow(`SELECT `+CredColumns+`, r.id, r.rotated_at, `+StatedDeadlineOf+` FROM `+CurrentCycle+` WHERE c.id = ?`, id),
		&rotation, TimeOf(&start), NullTimeOf(&stated))
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: terms of %s: %w", id, err)
	}
	loc, zone, err := t.zone()
	if err != nil {
		return err
	}
	want := termsNow(c.Credential, start, loc, zone)
	if !stated.IsZero() { // Amazon's word, not the config's
		want.deadline = stated
	}
	var old terms
	err = t.QueryRow(`SELECT t.deadline, t.policy, t.rotation_period, t.zone FROM cycle_terms t WHERE t.rotation_id = ? ORDER BY t.id DESC LIMIT 1`, rotation).
		Scan(TimeOf(&old.deadline), &old.policy, &old.period, &old.zone)
	switch {
	case errors.Is(err, sql.ErrNoRows) && source == TermsAmazon:
		return t.insertTerms(rotation, want, source, reference)
	case errors.Is(err, sql.ErrNoRows):
		return t.insertTerms(rotation, want, TermsAtStart, "")
	case err != nil:
		return fmt.Errorf("store: terms of %s: %w", id, err)
	case old.deadline.Equal(want.deadline) && old.policy == want.policy && old.period == want.period && old.zone == want.zone:
		return nil
	}
	if err := t.insertTerms(rotation, want, source, reference); err != nil {
		return err
	}
	label := source
	if reference != "" {
		label += ", notification " + reference
	}
	detail := termsDetail(old, want, label)
	if changes != nil {
		*changes = append(*changes, domain.Change{CredentialID: id, Status: "deadline", Detail: detail})
	}
	return t.InsertEvent(domain.Event{Time: now, Type: domain.EventDeadline, CredentialID: id, RotationID: rotation, Status: source, Detail: detail})
}

// termsDetail is a terms change's event text: the deadline first, then
// every other value that moved, old → new, and the source (with its
// reference, if any).
func termsDetail(old, v terms, source string) string {
	parts := []string{"deadline " + FormatTime(old.deadline) + " → " + FormatTime(v.deadline)}
	for _, f := range [][3]string{{"policy", old.policy, v.policy}, {"rotation_period", old.period, v.period}, {"zone", old.zone, v.zone}} {
		if f[1] != f[2] {
			parts = append(parts, f[0]+" "+f[1]+" → "+f[2])
		}
	}
	return strings.Join(parts, ", ") + " (" + source + ")"
}

// firstTerms records the terms of the first cycles of a batch of new
// credentials, in one statement.
func (t *Tx) firstTerms(batch []domain.Credential, rotations []domain.Rotation) error {
	if len(rotations) == 0 {
		return nil
	}
	loc, zone, err := t.zone()
	if err != nil {
		return err
	}
	byID := make(map[string]*domain.Credential, len(batch))
	for i := range batch {
		byID[batch[i].ID] = &batch[i]
	}
	rec := t.Time(t.store.Recorded())
	rows := make([]any, 0, 7*len(rotations))
	for _, r := range rotations {
		c, ok := byID[r.CredentialID]
		if !ok {
			return fmt.Errorf("store: terms: rotation %d of %s is not of the batch", r.ID, r.CredentialID)
		}
		v := termsNow(*c, r.RotatedAt, loc, zone)
		rows = append(rows, r.ID, t.Time(v.deadline), v.policy, v.period, v.zone, TermsAtStart, rec)
	}
	if _, err := t.Exec(`INSERT INTO cycle_terms (rotation_id, deadline, policy, rotation_period, zone, source, recorded_at) VALUES `+
		strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?),", len(rotations)), ","), rows...); err != nil {
		return fmt.Errorf("store: terms of new credentials: %w", err)
	}
	return nil
}
