package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// EnqueueDigest adds the outbox row of a channel's digest at its scheduled
// moment, due at now; a row already there (another tick, process or
// restart enqueued it) is left as it is, so a digest is sent once.
func (s *Store) EnqueueDigest(ctx context.Context, channel string, at, now time.Time) error {
	return s.run(ctx, false, func(t *Tx) error {
		_, err := t.Exec(`INSERT INTO digests (channel, scheduled_at, status, created_at, attempts, next_attempt_at, last_error)
			VALUES (?, ?, 'pending', ?, 0, ?, '') ON CONFLICT DO NOTHING`, channel, t.Time(at), t.Time(now), t.Time(now))
		if err != nil {
			return fmt.Errorf("store: enqueue digest %s at %s: %w", channel, FormatTime(at), err)
		}
		return nil
	})
}

// ClaimDigests claims, in a committed transaction, the pending digests of
// a channel whose next attempt is due at now and that nobody else holds,
// until the given time; a pending digest older than the channel's latest
// one is never sent (catch-up sends the latest only): it is marked failed.
func (s *Store) ClaimDigests(ctx context.Context, claimant, channel string, now, until time.Time) ([]domain.DigestDelivery, error) {
	var out []domain.DigestDelivery
	err := s.run(ctx, true, func(t *Tx) error {
		n := t.Time(now)
		if _, err := t.Exec(`UPDATE digests SET status = 'failed', next_attempt_at = NULL, last_error = 'a later digest replaced it'
			WHERE channel = ? AND status = 'pending' AND (claim_expires_at IS NULL OR claim_expires_at <= ?)
			AND scheduled_at < (SELECT MAX(d.scheduled_at) FROM digests d WHERE d.channel = ?)`, channel, n, channel); err != nil {
			return fmt.Errorf("store: claim digests: %w", err)
		}
		rows, err := t.Query(`UPDATE digests SET claimed_by = ?, claim_expires_at = ?
			WHERE channel = ? AND status = 'pending' AND next_attempt_at <= ? AND (claim_expires_at IS NULL OR claim_expires_at <= ?)
			RETURNING id, scheduled_at, attempts`, claimant, t.Time(until), channel, n, n)
		out, err = Collect(rows, err, func(r Scanner) (domain.DigestDelivery, error) {
			d := domain.DigestDelivery{Channel: channel}
			err := r.Scan(&d.ID, TimeOf(&d.At), &d.Attempts)
			return d, err
		})
		if err != nil {
			return fmt.Errorf("store: claim digests: %w", err)
		}
		return nil
	})
	return out, err
}

// RecordDigest records the outcome of a claimed digest's send (sent,
// retry or failed) and appends its event to the history. When the
// claimant's claim was lost meanwhile (it expired and another sender took
// the digest), the row keeps what the other left, the event says the
// claim had been lost, and the answer wraps domain.ErrClaimLost: the
// history says what went out, and the digest is not recorded as sent by
// this claimant.
func (s *Store) RecordDigest(ctx context.Context, claimant string, o domain.DigestOutcome) error {
	lost := false
	err := s.update(ctx, func(t *Tx) error {
		var res sql.Result
		var err error
		switch o.Status {
		case domain.StatusSent:
			res, err = t.Exec(`UPDATE digests SET status = 'sent', attempts = ?, sent_at = ?, next_attempt_at = NULL, last_error = '',
				claimed_by = NULL, claim_expires_at = NULL WHERE id = ? AND claimed_by = ? AND status = 'pending'`,
				o.Attempts, t.Time(o.Event.Time), o.ID, claimant)
		case domain.StatusRetry:
			res, err = t.Exec(`UPDATE digests SET attempts = ?, next_attempt_at = ?, last_error = ?,
				claimed_by = NULL, claim_expires_at = NULL WHERE id = ? AND claimed_by = ? AND status = 'pending'`,
				o.Attempts, t.Time(o.NextAttemptAt), o.Error, o.ID, claimant)
		case domain.StatusFailed:
			res, err = t.Exec(`UPDATE digests SET status = 'failed', attempts = ?, next_attempt_at = NULL, last_error = ?,
				claimed_by = NULL, claim_expires_at = NULL WHERE id = ? AND claimed_by = ? AND status = 'pending'`,
				o.Attempts, o.Error, o.ID, claimant)
		default:
			return fmt.Errorf("store: digest %d: unknown outcome %q", o.ID, o.Status)
		}
		if err != nil {
			return fmt.Errorf("store: digest %d: %w", o.ID, err)
		}
		ev := o.Event
		if n, _ := res.RowsAffected(); n == 0 {
			lost = true
			ev.Detail += " (its claim had been lost: another sender took the digest meanwhile)"
		}
		return t.InsertEvent(ev)
	})
	if err == nil && lost {
		err = fmt.Errorf("store: digest %d: %w", o.ID, domain.ErrClaimLost)
	}
	return err
}
