package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// AcquireLease takes or renews the named lease for holder until now+ttl:
// when nobody holds it, when its holder's lease expired, or when holder
// already holds it. held says whether holder has it now; the lease
// returned is the current one either way.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (lease domain.Lease, held bool, err error) {
	err = s.update(ctx, func(t *tx) error {
		var cur domain.Lease
		err := t.queryRow(`SELECT name, holder, acquired_at, expires_at FROM leases WHERE name = ?`, name).Scan(&cur.Name, &cur.Holder, &cur.Acquired, &cur.ExpiresAt)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("store: lease %s: %w", name, err)
		default:
			cur.Acquired, cur.ExpiresAt = cur.Acquired.UTC(), cur.ExpiresAt.UTC()
			if cur.Holder != holder && cur.ExpiresAt.After(now) {
				lease, held = cur, false
				return nil
			}
		}
		lease = domain.Lease{Name: name, Holder: holder, Acquired: storedTime(now), ExpiresAt: storedTime(now.Add(ttl))}
		if err == nil && cur.Holder == holder {
			lease.Acquired = cur.Acquired
		}
		held = true
		_, err = t.exec(`INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at`,
			name, holder, lease.Acquired, lease.ExpiresAt)
		if err != nil {
			return fmt.Errorf("store: lease %s: %w", name, err)
		}
		return nil
	})
	return lease, held, err
}

// ReleaseLease gives the lease up if holder holds it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	return s.update(ctx, func(t *tx) error {
		if _, err := t.exec(`DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder); err != nil {
			return fmt.Errorf("store: lease %s: %w", name, err)
		}
		return nil
	})
}
