package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
)

// dueChannel is the LISTEN/NOTIFY channel on which a write that makes a
// cycle due for planning (an acknowledgment, a rotation, an SP-API
// notification, from any replica or command) tells the replicas, at its
// commit, so that the planner plans at once rather than at its next tick.
// PostgreSQL delivers a notification at the commit, and not at all on a
// rollback (Dialect.NotifySQL queues it).
const dueChannel = "notifier_due"

// ListenDue calls fn each time a write somewhere made a cycle due for
// planning (several at once may come as one call), until ctx ends. It
// holds one connection; a lost connection is opened again after a pause
// (notifications sent meanwhile are lost: the planner's ticks catch up).
func (s *Store) ListenDue(ctx context.Context, fn func()) error {
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, fn)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	return nil
}

func (s *Store) listenOnce(ctx context.Context, fn func()) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		c, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return errors.New("store: listen: not a pgx connection")
		}
		pc := c.Conn()
		if _, err := pc.Exec(ctx, `LISTEN `+dueChannel); err != nil {
			return err
		}
		for {
			if _, err := pc.WaitForNotification(ctx); err != nil {
				return err
			}
			fn()
		}
	})
}
