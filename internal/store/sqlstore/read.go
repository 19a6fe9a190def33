package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// Deliveries returns the outbox rows of a credential (all when empty), in
// the order they were added.
func (s *Store) Deliveries(ctx context.Context, credentialID string) ([]domain.Delivery, error) {
	rows, err := s.db.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE CAST(? AS TEXT) = '' OR credential_id = ? ORDER BY id`, credentialID, credentialID)
	out, err := Collect(rows, err, scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	return out, nil
}

// Delivery returns one outbox row by id, or domain.ErrNotFound.
func (s *Store) Delivery(ctx context.Context, id int64) (domain.Delivery, error) {
	x, err := scanDelivery(s.db.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = ?`, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return x, fmt.Errorf("%w: delivery %d", domain.ErrNotFound, id)
	case err != nil:
		return x, fmt.Errorf("store: delivery %d: %w", id, err)
	}
	return x, nil
}

// deliveryColumns are what scanDelivery reads.
const deliveryColumns = `id, rotation_id, credential_id, stage, seq, channel, status, due_at, attempts, next_attempt_at, sent_at, last_error, recorded_at, created_at`

func scanDelivery(s Scanner) (domain.Delivery, error) {
	var x domain.Delivery
	err := s.Scan(&x.ID, &x.RotationID, &x.CredentialID, &x.Stage, &x.Seq, &x.Channel, &x.Status, TimeOf(&x.Due), &x.Attempts,
		NullTimeOf(&x.NextAttemptAt), NullTimeOf(&x.SentAt), &x.LastError, NullTimeOf(&x.RecordedAt), TimeOf(&x.CreatedAt))
	return x, err
}

// cyclePage is how many cycles EachCycle reads per query: a scrape of a
// large fleet holds neither the whole fleet in memory nor one read open
// while a slow client takes its answer.
const cyclePage = 5000

// EachCycle calls fn with the current cycle of every active credential, by
// id, without Sent, a page at a time; fn's error stops it and is returned.
func (s *Store) EachCycle(ctx context.Context, fn func(domain.Cycle) error) error {
	after := ""
	for {
		rows, err := s.db.Query(ctx, `SELECT `+CycleColumns+`
			FROM `+CurrentCycle+`
			WHERE `+s.db.IsTrue("c.active")+` AND c.id > ? ORDER BY c.id LIMIT ?`, after, cyclePage)
		page, err := Collect(rows, err, func(r Scanner) (domain.Cycle, error) { return ScanCycle(r) })
		if err != nil {
			return fmt.Errorf("store: cycles: %w", err)
		}
		for _, c := range page {
			if err := fn(c); err != nil {
				return err
			}
		}
		if len(page) < cyclePage {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

// DeliveryCounts returns how many deliveries are pending and how many
// finally failed, per channel, in every cycle (an old cycle's failure
// stays visible).
func (s *Store) DeliveryCounts(ctx context.Context) ([]domain.DeliveryCount, error) {
	rows, err := s.db.Query(ctx, `SELECT channel, status, COUNT(*) FROM deliveries
		WHERE status IN ('pending', 'failed') GROUP BY channel, status ORDER BY channel, status`)
	out, err := Collect(rows, err, func(r Scanner) (domain.DeliveryCount, error) {
		var c domain.DeliveryCount
		err := r.Scan(&c.Channel, &c.Status, &c.Count)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: delivery counts: %w", err)
	}
	return out, nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// TimezoneAt is the time zone of the cycles' terms in force at at: the
// zone of the latest terms recorded at or before it ("" when none).
func (s *Store) TimezoneAt(ctx context.Context, at time.Time) (string, error) {
	var tz string
	err := s.db.QueryRow(ctx, `SELECT zone FROM cycle_terms WHERE recorded_at <= `+s.db.Param("timestamptz")+` ORDER BY id DESC LIMIT 1`,
		s.db.Time(StoredTime(at))).Scan(&tz)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: time zone at %s: %w", FormatTime(at), err)
	}
	return tz, nil
}

// SyncedTimezone is the time zone the last config sync saw ("" when none
// did): a reader given only a copy of the database computes deadlines in
// the zone the daemon used.
func (s *Store) SyncedTimezone(ctx context.Context) (string, error) {
	var tz string
	err := s.db.QueryRow(ctx, `SELECT value FROM sync_state WHERE key = 'timezone'`).Scan(&tz)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: sync state: %w", err)
	}
	return tz, nil
}
