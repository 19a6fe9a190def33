package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// termsJoin joins each current cycle (CurrentCycle) with its terms in
// force t (NULL for a cycle that has none: a period too large to add).
const termsJoin = CurrentCycle + ` LEFT JOIN cycle_terms t ON t.id = (SELECT MAX(t2.id) FROM cycle_terms t2 WHERE t2.rotation_id = r.id)`

// CredentialCounts calls fn with the fleet's counts by owner, policy (the
// cycle's terms') and state, ordered by owner, policy and state: one
// GROUP BY in the database, so that the answer has a row per group, not
// per credential.
func (s *Store) CredentialCounts(ctx context.Context, q domain.CountsQuery, fn func(domain.CredentialCount) error) error {
	ts := s.db.Param("timestamptz")
	now := s.db.Time(StoredTime(q.Now))
	var due strings.Builder
	args := []any{now}
	if len(q.DueBy) == 0 { // never due before overdue
		due.WriteString(ts)
	} else {
		due.WriteString(`CASE COALESCE(t.policy, c.policy)`)
		for _, p := range slices.Sorted(maps.Keys(q.DueBy)) {
			due.WriteString(` WHEN ? THEN ` + ts)
			args = append(args, p, s.db.Time(StoredTime(q.DueBy[p])))
		}
		due.WriteString(` ELSE ` + ts + ` END`)
	}
	args = append(args, now)
	rows, err := s.db.Query(ctx, `SELECT owner, policy, state, COUNT(*), MIN(CASE WHEN state <> 'inactive' THEN deadline END)
		FROM (SELECT c.owner AS owner, COALESCE(t.policy, c.policy) AS policy, t.deadline AS deadline,
			CASE WHEN NOT `+s.db.IsTrue("c.active")+` THEN 'inactive'
				WHEN t.deadline IS NULL THEN 'ok'
				WHEN t.deadline <= `+ts+` THEN 'overdue'
				WHEN t.deadline <= `+due.String()+` THEN 'due'
				ELSE 'ok' END AS state
			FROM `+termsJoin+`) x
		GROUP BY owner, policy, state ORDER BY owner, policy, state`, args...)
	if err != nil {
		return fmt.Errorf("store: credential counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c domain.CredentialCount
		if err := rows.Scan(&c.Owner, &c.Policy, &c.State, &c.Count, NullTimeOf(&c.NextDeadline)); err != nil {
			return fmt.Errorf("store: credential counts: %w", err)
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: credential counts: %w", err)
	}
	return nil
}

// UrgentCredentials calls fn with up to limit active credentials whose
// current deadline is not after until, soonest first (then by id), and
// returns how many there are in all.
func (s *Store) UrgentCredentials(ctx context.Context, until time.Time, limit int, fn func(domain.UrgentCredential) error) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	rows, err := s.db.Query(ctx, `SELECT c.id, t.deadline, EXISTS (SELECT 1 `+FirstAckOf+`), COUNT(*) OVER ()
		FROM `+termsJoin+`
		WHERE `+s.db.IsTrue("c.active")+` AND t.deadline <= `+s.db.Param("timestamptz")+`
		ORDER BY t.deadline, c.id LIMIT ?`, s.db.Time(StoredTime(until)), limit)
	if err != nil {
		return 0, fmt.Errorf("store: urgent credentials: %w", err)
	}
	defer rows.Close()
	total := 0
	for rows.Next() {
		var u domain.UrgentCredential
		var acked sql.NullBool
		if err := rows.Scan(&u.ID, TimeOf(&u.Deadline), &acked, &total); err != nil {
			return 0, fmt.Errorf("store: urgent credentials: %w", err)
		}
		u.Acknowledged = acked.Bool
		if err := fn(u); err != nil {
			return 0, err
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("store: urgent credentials: %w", err)
	}
	return total, nil
}
