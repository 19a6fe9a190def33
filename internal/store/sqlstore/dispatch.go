package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// dueChannelsSQL is DueChannels' query. It walks the distinct channels of
// the pending deliveries by the deliveries_due index (each step a seek to
// the next channel) and asks each for its earliest attempt: a handful of
// seeks, where a DISTINCT over the due rows read every pending row whose
// attempt had come and, in the index's order, every one that waits for
// later too (reminders deferred to a delivery window, retries), so a
// nothing-due tick cost what waits, not what is due.
const dueChannelsSQL = `WITH RECURSIVE ch(name) AS (
		SELECT MIN(channel) FROM deliveries WHERE status = 'pending'
		UNION ALL
		SELECT (SELECT MIN(d.channel) FROM deliveries d WHERE d.status = 'pending' AND d.channel > ch.name)
		FROM ch WHERE ch.name IS NOT NULL)
	SELECT name FROM ch WHERE name IS NOT NULL
		AND (SELECT MIN(d.next_attempt_at) FROM deliveries d WHERE d.status = 'pending' AND d.channel = ch.name) <= ?
	ORDER BY name`

// DueChannels lists the channels that have pending deliveries due at now.
func (s *Store) DueChannels(ctx context.Context, now time.Time) ([]string, error) {
	out, err := Strings(s.db.Query(ctx, dueChannelsSQL, s.db.Time(now)))
	if err != nil {
		return nil, fmt.Errorf("store: due channels: %w", err)
	}
	return out, nil
}

// ClaimDeliveries claims, in a committed transaction, up to limit pending
// deliveries of a channel whose next attempt is due at now and that nobody
// else holds (no claim, or an expired one), until the given time, oldest
// first. Only the claimant records their outcome; a claimant that dies
// leaves claims that expire, and the deliveries are tried again.
//
// A claim does not take the write lock where the driver locks rows: the
// rows are locked FOR UPDATE SKIP LOCKED (Dialect.LockRows), so replicas
// claiming at once each take other rows rather than waiting on one
// another.
func (s *Store) ClaimDeliveries(ctx context.Context, claimant, channel string, now, until time.Time, limit int) ([]domain.Claimed, error) {
	var out []domain.Claimed
	err := s.run(ctx, false, func(t *Tx) error {
		t.bookkeeping = true
		out = out[:0]
		n := t.Time(now)
		rows, err := t.Query(`UPDATE deliveries SET claimed_by = ?, claim_expires_at = ?
			WHERE id IN (SELECT id FROM deliveries
				WHERE status = 'pending' AND channel = ? AND next_attempt_at <= ? AND (claim_expires_at IS NULL OR claim_expires_at <= ?)
				ORDER BY next_attempt_at, id LIMIT ?`+t.LockRows(true)+`)
			RETURNING id`, claimant, t.Time(until), channel, n, n, limit)
		ids, err := Collect(rows, err, ScanID)
		if err != nil {
			return fmt.Errorf("store: claim: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		in, args := In(t, "d.id", ids)
		// The delivery's cycle, not necessarily the credential's current
		// one: the rotation joined is the delivery's.
		rows, err = t.Query(`SELECT d.id, d.rotation_id, d.credential_id, d.stage, d.seq, d.channel, d.due_at, d.attempts, r.actor, r.recorded_at, `+CycleColumns+`
			FROM deliveries d JOIN rotations r ON r.id = d.rotation_id JOIN credentials c ON c.id = d.credential_id
			WHERE `+in+` ORDER BY d.next_attempt_at, d.id`, args...)
		out, err = Collect(rows, err, func(r Scanner) (domain.Claimed, error) {
			var x domain.Claimed
			var err error
			// The cycle columns come last; ScanCycle reads the delivery's
			// columns in front of them through a wrapping scanner.
			x.Cycle, err = ScanCycle(PrefixScanner{r, []any{&x.ID, &x.RotationID, &x.CredentialID, &x.Stage, &x.Seq, &x.Channel, TimeOf(&x.Due), &x.Attempts,
				&x.RotatedBy, NullTimeOf(&x.RotationRecordedAt)}})
			x.Cycle.RotationID = x.RotationID
			x.Status = domain.StatusPending
			return x, err
		})
		if err != nil {
			return fmt.Errorf("store: claim: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RenewClaims extends to until the claims that claimant still holds among
// ids (pending deliveries it claimed and nobody has taken over since) and
// returns the ids it extended. A sender renews its claims while they wait
// in its queue and while they are sent, so that a claim can be short: a
// dead sender's claims expire soon after it stops renewing them. Like a
// claim, it does not take the write lock where the driver locks rows.
func (s *Store) RenewClaims(ctx context.Context, claimant string, ids []int64, until time.Time) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var out []int64
	err := s.run(ctx, false, func(t *Tx) error {
		t.bookkeeping = true
		in, args := In(t, "id", ids)
		rows, err := t.Query(`UPDATE deliveries SET claim_expires_at = ?
			WHERE claimed_by = ? AND status = 'pending' AND `+in+` RETURNING id`, append([]any{t.Time(until), claimant}, args...)...)
		out, err = Collect(rows, err, ScanID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: renew claims: %w", err)
	}
	return out, nil
}

// ScanID reads a row of one id.
func ScanID(r Scanner) (int64, error) {
	var id int64
	err := r.Scan(&id)
	return id, err
}

// AcquireLease takes or renews the named lease for holder until now+ttl.
// It succeeds when nobody holds the lease, when its holder's lease expired
// (a crashed daemon), or when holder already holds it (a renewal). held
// says whether holder has the lease now; the lease returned is the
// current one either way, naming the other holder when held is false.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (lease domain.Lease, held bool, err error) {
	err = s.update(ctx, func(t *Tx) error {
		t.bookkeeping = true
		var cur domain.Lease
		err := t.QueryRow(`SELECT name, holder, acquired_at, expires_at FROM leases WHERE name = ?`, name).
			Scan(&cur.Name, &cur.Holder, TimeOf(&cur.Acquired), TimeOf(&cur.ExpiresAt))
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("store: lease %s: %w", name, err)
		case cur.Holder != holder && cur.ExpiresAt.After(now):
			lease, held = cur, false
			return nil
		}
		lease = domain.Lease{Name: name, Holder: holder, Acquired: StoredTime(now), ExpiresAt: leaseExpiry(now, ttl)}
		if err == nil && cur.Holder == holder {
			lease.Acquired = cur.Acquired
		}
		held = true
		_, err = t.Exec(`INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at`,
			name, holder, t.Time(lease.Acquired), t.Time(lease.ExpiresAt))
		if err != nil {
			return fmt.Errorf("store: lease %s: %w", name, err)
		}
		return nil
	})
	return lease, held, err
}

// leaseExpiry is when a lease taken or renewed at now lasts until, as
// stored: now+ttl rounded up to the second (times are stored to the
// second). Truncated, another holder could take the lease up to a second
// before its holder's now+ttl, while it still believes it holds it.
func leaseExpiry(now time.Time, ttl time.Duration) time.Time {
	return CeilSecond(now.Add(ttl))
}

// TakeOverLease gives the named lease to holder until now+ttl, but only
// if from holds it: the daemon takes over the lease of a process it knows
// to be dead (expired or not). Of two processes taking over from the
// same dead holder at once, one wins; the other is told the winner.
// held says whether holder has the lease now; when it has not, lease is
// the current one (zero if nobody holds it).
func (s *Store) TakeOverLease(ctx context.Context, name, from, holder string, now time.Time, ttl time.Duration) (lease domain.Lease, held bool, err error) {
	err = s.update(ctx, func(t *Tx) error {
		t.bookkeeping = true
		lease = domain.Lease{Name: name, Holder: holder, Acquired: StoredTime(now), ExpiresAt: leaseExpiry(now, ttl)}
		r, err := t.Exec(`UPDATE leases SET holder = ?, acquired_at = ?, expires_at = ? WHERE name = ? AND holder = ?`,
			holder, t.Time(lease.Acquired), t.Time(lease.ExpiresAt), name, from)
		if err != nil {
			return fmt.Errorf("store: lease %s: %w", name, err)
		}
		if k, _ := r.RowsAffected(); k == 1 {
			held = true
			return nil
		}
		lease = domain.Lease{}
		err = t.QueryRow(`SELECT name, holder, acquired_at, expires_at FROM leases WHERE name = ?`, name).
			Scan(&lease.Name, &lease.Holder, TimeOf(&lease.Acquired), TimeOf(&lease.ExpiresAt))
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: lease %s: %w", name, err)
		}
		return nil
	})
	return lease, held, err
}

// ReleaseLease gives the lease up if holder holds it, so a standby can take
// over at once rather than after the expiry.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	return s.update(ctx, func(t *Tx) error {
		t.bookkeeping = true
		if _, err := t.Exec(`DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder); err != nil {
			return fmt.Errorf("store: lease %s: %w", name, err)
		}
		return nil
	})
}
