package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// RecordProblem records, once, that an operational problem started (open)
// or cleared: a notice event, appended only when the problem's last
// notice says otherwise. It reports whether it appended one, so that the
// admins are told once when a problem starts and once when it clears,
// across restarts and processes.
func (s *Store) RecordProblem(ctx context.Context, p domain.Problem, open bool, now time.Time) (bool, error) {
	status := domain.NoticeCleared
	if open {
		status = domain.NoticeStarted
	}
	var told bool
	err := s.update(ctx, func(t *Tx) error {
		var last string
		err := t.QueryRow(`SELECT status FROM events WHERE type = 'notice' AND stage = ? ORDER BY id DESC LIMIT 1`, p.Key).Scan(&last)
		switch {
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		case last == status, last == "" && !open:
			return nil // already so; a problem never started does not clear
		}
		told = true
		return t.InsertEvent(domain.Event{Time: StoredTime(now), Type: domain.EventNotice, Stage: p.Key, Status: status, Actor: "notifier", Detail: p.Detail})
	})
	if err != nil {
		return false, fmt.Errorf("store: problem %s: %w", p.Key, err)
	}
	return told, nil
}

// OpenProblems lists the problems whose last notice started them, by key.
func (s *Store) OpenProblems(ctx context.Context) ([]domain.Problem, error) {
	rows, err := s.db.Query(ctx, `SELECT e.stage, e.detail FROM events e
WHERE e.type = 'notice' AND e.status = 'started'
  AND e.id = (SELECT MAX(x.id) FROM events x WHERE x.type = 'notice' AND x.stage = e.stage)
ORDER BY e.stage`)
	out, err := Collect(rows, err, func(r Scanner) (p domain.Problem, err error) {
		return p, r.Scan(&p.Key, &p.Detail)
	})
	if err != nil {
		return nil, fmt.Errorf("store: open problems: %w", err)
	}
	return out, nil
}
