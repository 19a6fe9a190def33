package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// RecordProbe records a probe of an active credential's client secret in
// its current cycle. A rejection (Amazon answered invalid_client) is an
// event and an alert (stage domain.StageRejected) due now on the channels
// p.Channels names for the credential's policy, one per rejected probe of
// the cycle, whatever the deadline says; an ok probe is the credential's
// time last verified; a failed one (no answer about the secret) is kept
// for the record only. It returns how many alerts were added.
func (s *Store) RecordProbe(ctx context.Context, p domain.Probe, now time.Time) (int, error) {
	var out int
	err := s.update(ctx, func(t *Tx) (err error) { out, err = recordProbe(t, p, now); return err })
	return out, err
}

// recordProbe is RecordProbe in t.
func recordProbe(t *Tx, p domain.Probe, now time.Time) (int, error) {
	now = StoredTime(now)
	at := StoredTime(MinTime(p.At, now))
	// Locked where the backend locks rows: the credential's probes count
	// in order.
	c, err := t.ActiveCredential(p.CredentialID)
	if err != nil {
		return 0, err
	}
	if _, err := t.Exec(`INSERT INTO lwa_probes (credential_id, rotation_id, probed_at, outcome, detail) VALUES (?, ?, ?, ?, ?)`,
		c.ID, c.RotationID, t.Time(at), p.Outcome, p.Detail); err != nil {
		return 0, fmt.Errorf("store: probe of %s: %w", c.ID, err)
	}
	if p.Outcome != domain.ProbeRejected {
		return 0, nil
	}
	var seq int
	if err := t.QueryRow(`SELECT COUNT(*) - 1 FROM lwa_probes WHERE rotation_id = ? AND outcome = 'rejected'`, c.RotationID).Scan(&seq); err != nil {
		return 0, fmt.Errorf("store: probe of %s: %w", c.ID, err)
	}
	var channels []string
	if p.Channels != nil {
		channels = p.Channels(c.Policy)
	}
	if err := t.InsertEvent(domain.Event{Time: at, Type: domain.EventProbe, CredentialID: c.ID, RotationID: c.RotationID,
		Status: domain.ProbeRejected, Actor: "amazon", Detail: "Amazon rejects this secret now: " + p.Detail}); err != nil {
		return 0, err
	}
	alerts := 0
	for _, ch := range channels {
		r, err := t.Exec(`INSERT INTO deliveries (rotation_id, credential_id, stage, seq, channel, status, due_at, created_at, next_attempt_at)
			VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT DO NOTHING`,
			c.RotationID, c.ID, domain.StageRejected, seq, ch, t.Time(at), t.Time(t.Recorded()), t.Time(now))
		if err != nil {
			return 0, fmt.Errorf("store: alert of %s: %w", c.ID, err)
		}
		if k, _ := r.RowsAffected(); k > 0 {
			alerts++
		}
	}
	return alerts, nil
}

// lastProbes is the query of LastProbes, but for the active
// credentials' condition and the grouping.
const lastProbes = `SELECT p.credential_id, MAX(p.probed_at), MAX(CASE WHEN p.outcome = 'ok' THEN p.probed_at END),
		(SELECT outcome FROM lwa_probes q WHERE q.credential_id = p.credential_id ORDER BY probed_at DESC, id DESC LIMIT 1)
	FROM lwa_probes p JOIN credentials c ON c.id = p.credential_id AND `

// LastProbes returns, per active credential probed at least once, its
// last probe (any outcome) and its last ok one (zero if none): when the
// next probe is due, and the time last verified.
func (s *Store) LastProbes(ctx context.Context) (map[string]domain.ProbeTimes, error) {
	rows, err := s.db.Query(ctx, lastProbes+s.db.IsTrue("c.active")+` GROUP BY p.credential_id`)
	if err != nil {
		return nil, fmt.Errorf("store: probes: %w", err)
	}
	defer rows.Close()
	out := map[string]domain.ProbeTimes{}
	for rows.Next() {
		var id string
		var pt domain.ProbeTimes
		if err := rows.Scan(&id, TimeOf(&pt.Last), NullTimeOf(&pt.Verified), &pt.LastOutcome); err != nil {
			return nil, fmt.Errorf("store: probes: %w", err)
		}
		out[id] = pt
	}
	return out, rows.Err()
}
