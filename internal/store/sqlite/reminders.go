package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/notifier-dev/notifier/internal/domain"
)

// What the HTTP API reads: one delivery (the one an ack link or a Slack
// button names), every current cycle a page at a time (the per-credential
// gauges of /metrics), the outbox's counts, and whether the database
// answers at all (/readyz).

// Delivery returns one outbox row by id, or domain.ErrNotFound.
func (s *Store) Delivery(ctx context.Context, id int64) (domain.Delivery, error) {
	x, err := scanDelivery(s.db.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = ?`, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return x, fmt.Errorf("%w: delivery %d", domain.ErrNotFound, id)
	case err != nil:
		return x, fmt.Errorf("store: delivery %d: %w", id, err)
	}
	return x, nil
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
		rows, err := s.db.QueryContext(ctx, `SELECT `+cycleColumns+`
			FROM credentials c JOIN rotations r ON r.id = c.rotation_id
			WHERE c.active = 1 AND c.id > ? ORDER BY c.id LIMIT ?`, after, cyclePage)
		if err != nil {
			return fmt.Errorf("store: cycles: %w", err)
		}
		page, err := collectCycles(rows)
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
	rows, err := s.db.QueryContext(ctx, `SELECT channel, status, COUNT(*) FROM deliveries
		WHERE status IN ('pending', 'failed') GROUP BY channel, status ORDER BY channel, status`)
	if err != nil {
		return nil, fmt.Errorf("store: delivery counts: %w", err)
	}
	defer rows.Close()
	var out []domain.DeliveryCount
	for rows.Next() {
		var c domain.DeliveryCount
		if err := rows.Scan(&c.Channel, &c.Status, &c.Count); err != nil {
			return nil, fmt.Errorf("store: delivery counts: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&one); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}
