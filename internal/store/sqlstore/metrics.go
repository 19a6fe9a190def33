package sqlstore

import (
	"cmp"
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
// cycle's terms') and state, ordered by owner, policy and state: a row
// per group, not per credential.
//
// The rows are counted here as they stream by, not by a GROUP BY: SQLite
// groups by sorting every row first, and its temporary store is kept in
// memory (see the sqlite package), so at a million credentials a GROUP BY
// left the daemon 70 MB larger after each scrape. The groups are bounded
// by owners × policies × states.
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
	rows, err := s.db.Query(ctx, `SELECT c.owner, COALESCE(t.policy, c.policy),
			CASE WHEN NOT `+s.db.IsTrue("c.active")+` THEN 'inactive'
				WHEN t.deadline IS NULL THEN 'ok'
				WHEN t.deadline <= `+ts+` THEN 'overdue'
				WHEN t.deadline <= `+due.String()+` THEN 'due'
				ELSE 'ok' END,
			t.deadline
		FROM `+termsJoin, args...)
	if err != nil {
		return fmt.Errorf("store: credential counts: %w", err)
	}
	defer rows.Close()
	type group struct{ owner, policy, state string }
	groups := map[group]*domain.CredentialCount{}
	for rows.Next() {
		var g group
		var deadline time.Time
		if err := rows.Scan(&g.owner, &g.policy, &g.state, NullTimeOf(&deadline)); err != nil {
			return fmt.Errorf("store: credential counts: %w", err)
		}
		c := groups[g]
		if c == nil {
			c = &domain.CredentialCount{Owner: g.owner, Policy: g.policy, State: g.state}
			groups[g] = c
		}
		c.Count++
		if g.state != "inactive" && !deadline.IsZero() && (c.NextDeadline.IsZero() || deadline.Before(c.NextDeadline)) {
			c.NextDeadline = deadline
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: credential counts: %w", err)
	}
	keys := slices.SortedFunc(maps.Keys(groups), func(a, b group) int {
		return cmp.Or(strings.Compare(a.owner, b.owner), strings.Compare(a.policy, b.policy), strings.Compare(a.state, b.state))
	})
	for _, k := range keys {
		if err := fn(*groups[k]); err != nil {
			return err
		}
	}
	return nil
}

// UrgentCredentials calls fn with up to limit active credentials whose
// current deadline is not after until, soonest first (then by id), each
// with its latest live acknowledgment and a snooze's end, and returns how
// many there are in all.
func (s *Store) UrgentCredentials(ctx context.Context, until time.Time, limit int, fn func(domain.UrgentCredential) error) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	rows, err := s.db.Query(ctx, `SELECT c.id, t.deadline, EXISTS (SELECT 1 `+FirstAckOf+`), (SELECT a.snoozed_until `+FirstAckOf+`), COUNT(*) OVER ()
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
		if err := rows.Scan(&u.ID, TimeOf(&u.Deadline), &acked, NullTimeOf(&u.SnoozedUntil), &total); err != nil {
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
