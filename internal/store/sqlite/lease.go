package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// AcquireLease takes or renews the named lease for holder until now+ttl.
// It succeeds when nobody holds the lease, when its holder's lease expired
// (a crashed daemon), or when holder already holds it (a renewal). held
// says whether holder has the lease now; the lease returned is the
// current one either way, naming the other holder when held is false.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (lease domain.Lease, held bool, err error) {
	err = s.update(ctx, func(t *tx) error {
		var cur domain.Lease
		var acq, exp string
		err := t.queryRow(`SELECT name, holder, acquired_at, expires_at FROM leases WHERE name = ?`, name).Scan(&cur.Name, &cur.Holder, &acq, &exp)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("store: lease %s: %w", name, err)
		default:
			if cur.Acquired, err = ParseTime(acq); err != nil {
				return fmt.Errorf("store: lease %s: %w", name, err)
			}
			if cur.ExpiresAt, err = ParseTime(exp); err != nil {
				return fmt.Errorf("store: lease %s: %w", name, err)
			}
			if cur.Holder != holder && cur.ExpiresAt.After(now) {
				lease, held = cur, false
				return nil
			}
		}
		lease = domain.Lease{Name: name, Holder: holder, Acquired: now, ExpiresAt: now.Add(ttl)}
		if err == nil && cur.Holder == holder {
			lease.Acquired = cur.Acquired
		}
		held = true
		_, err = t.exec(`INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at`,
			name, holder, FormatTime(lease.Acquired), FormatTime(lease.ExpiresAt))
		if err != nil {
			return fmt.Errorf("store: lease %s: %w", name, err)
		}
		return nil
	})
	return lease, held, err
}

// ReleaseLease gives the lease up if holder holds it, so a standby can take
// over at once rather than after the expiry.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	return s.update(ctx, func(t *tx) error {
		if _, err := t.exec(`DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder); err != nil {
			return fmt.Errorf("store: lease %s: %w", name, err)
		}
		return nil
	})
}
