package sqlstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlstore"
)

// TestViewQueriesSearchByIndex checks SQLite's plan of the queries a view
// runs per page or before its first row: each table is searched by an
// index or its key, none is scanned in full. A full scan of credentials
// or rotations is a second per query at a million credentials, and a
// scan per keyset page makes the view quadratic.
func TestViewQueriesSearchByIndex(t *testing.T) {
	s, db := planDatabase(t)
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	page := func(q domain.StateQuery) (string, []any) {
		query, args := s.StatePageQuery(q)
		return query, append(append([]any{"cred-000999"}, args...), 1000)
	}
	byDeadline := func(q domain.StateQuery) (string, []any) {
		query, args := s.StatePageQueryByDeadline(q)
		return query, append(append([]any{at.Format(time.RFC3339), "cred-000999"}, args...), 1000)
	}
	until := at.AddDate(1, 0, 0)
	every := domain.CredentialFilter{Owner: "team-1", Policy: "standard", Credential: "cred-0*"}
	for _, c := range []struct {
		name  string
		query func() (string, []any)
		// inOrder: the rows come in an index's order; a sort of the
		// page (a temporary B-tree) reads every row sharing the page's
		// last next action, thousands when a fleet was synced at once.
		inOrder bool
		// seek: the index search the plan must hold (a page that starts
		// where the last ended, not at its moment's first row).
		seek string
		// noSort: the page is not sorted as a whole (a temporary B-tree
		// for the outer ORDER BY): its rows' joins are then read for
		// every row in the range, not for a page's.
		noSort bool
	}{
		{"the first page of plan", func() (string, []any) {
			return s.PlanPageQuery(domain.CredentialFilter{}, until, true, time.Time{}, "")
		}, true, "", false},
		{"a page of plan", func() (string, []any) {
			return s.PlanPageQuery(domain.CredentialFilter{}, until, false, at, "cred-000999")
		}, true, "USING INDEX credentials_next_action ((next_action_at,id)>(?,?)", false},
		{"a page of plan, every filter", func() (string, []any) {
			return s.PlanPageQuery(every, until, false, at, "cred-000999")
		}, true, "USING INDEX credentials_next_action ((next_action_at,id)>(?,?)", false},
		{"the sent deliveries of a page of plan", func() (string, []any) {
			return s.SentQuery([]int64{1, 2, 3})
		}, false, "", false},
		{"a cycle after a moment (before status's first row)", func() (string, []any) {
			return sqlstore.CycleStartsAfterSQL, []any{at.Format(time.RFC3339)}
		}, false, "", false},
		{"a page of status", func() (string, []any) { return page(domain.StateQuery{}) }, false, "", false},
		{"a page of status, every filter", func() (string, []any) {
			return page(domain.StateQuery{Owner: "team-1", Policy: "standard", Like: "cred-%", Active: true, DeadlineAfter: at, DeadlineBy: at.AddDate(0, 1, 0)})
		}, false, "", false},
		// The console's fleet page of one owner: the owner's rows in id
		// order from the cursor on (the index's order), not the fleet read
		// for a rare owner. (Not inOrder: a subquery of every status
		// page sorts one cycle's deliveries, which that check would see.)
		{"a page of status, one owner", func() (string, []any) {
			return page(domain.StateQuery{Owner: "team-1"})
		}, false, "USING INDEX credentials_owner (owner=? AND id>?)", false},
		{"a page of status, one owner and a state holding many of them", func() (string, []any) {
			query, args := s.StatePageQueryDense(domain.StateQuery{Owner: "team-1", Active: true, DeadlineAfter: at})
			return query, append(append([]any{"cred-000999"}, args...), 1000)
		}, false, "USING INDEX credentials_owner (owner=? AND id>?)", false},
		// The fleet by deadline: each page seeks its keyset (deadline,
		// id) in the index of the rows the filter selects (all; active:
		// a state's range; retired; one owner's), never a sort of them.
		{"a page of the fleet by deadline", func() (string, []any) { return byDeadline(domain.StateQuery{}) },
			false, "USING INDEX credentials_deadline ((deadline,id)>(?,?))", false},
		{"a page of a state (its deadline range) by deadline", func() (string, []any) {
			return byDeadline(domain.StateQuery{Active: true, DeadlineAfter: at, DeadlineBy: at.AddDate(0, 1, 0)})
		}, false, "USING INDEX credentials_active_deadline ((deadline,id)>(?,?) AND deadline<?)", false},
		{"a page of the retired by deadline", func() (string, []any) { return byDeadline(domain.StateQuery{Inactive: true}) },
			false, "USING INDEX credentials_retired ((deadline,id)>(?,?))", false},
		{"a page of one owner and a state by deadline", func() (string, []any) {
			return byDeadline(domain.StateQuery{Owner: "team-1", Active: true, DeadlineAfter: at})
		}, false, "USING INDEX credentials_owner_deadline (owner=? AND (deadline,id)>(?,?) AND deadline<?)", false},
		// A rare state in id order: its deadline range by index (the
		// store reads it so only when it holds few credentials), the ids
		// only, then the page's rows joined in id order, not the range's
		// rows joined and sorted (a state of 8,000 at a million: 250 ms).
		{"a page of a rare state (a deadline range) in id order", func() (string, []any) {
			return page(domain.StateQuery{Active: true, DeadlineAfter: at, DeadlineBy: at.AddDate(0, 1, 0)})
		}, false, "USING COVERING INDEX credentials_deadline (deadline>? AND deadline<?)", true},
		{"a page of a rare state (overdue: a deadline bound) in id order", func() (string, []any) {
			return page(domain.StateQuery{Active: true, DeadlineBy: at})
		}, false, "USING COVERING INDEX credentials_deadline (deadline>? AND deadline<?)", true},
		{"a page of one owner's rare state in id order", func() (string, []any) {
			return page(domain.StateQuery{Owner: "team-1", Active: true, DeadlineAfter: at})
		}, false, "USING COVERING INDEX credentials_owner_deadline (owner=? AND deadline>? AND deadline<?)", true},
		{"a page of the retired in id order", func() (string, []any) { return page(domain.StateQuery{Inactive: true}) },
			false, "USING INDEX credentials_retired_id (id>?)", false},
		// The rotations of the last days (state=rotated, its count):
		// read by the rotations' time index, a week's, not the fleet.
		{"a page of the rotated in id order", func() (string, []any) {
			return page(domain.StateQuery{Active: true, RotatedAfter: at})
		}, false, "USING INDEX rotations_time (rotated_at>?)", false},
		{"a page of the rotated by deadline", func() (string, []any) {
			return byDeadline(domain.StateQuery{Active: true, RotatedAfter: at})
		}, false, "USING INDEX rotations_time (rotated_at>?)", false},
		{"the count of the rotated", func() (string, []any) {
			return sqlstore.CountRotatedSQL, []any{at.Format(time.RFC3339), until.Format(time.RFC3339)}
		}, false, "USING INDEX rotations_time (rotated_at>? AND rotated_at<?)", false},
		// Every tick and retry pass: the channels with a delivery due.
		// Pending rows that wait for later (deferred to a delivery
		// window, retrying) must not be read: a tick's work is what is
		// due, not what waits.
		{"the channels with a delivery due (every tick)", func() (string, []any) {
			return sqlstore.DueChannelsSQL, []any{at.Format(time.RFC3339)}
		}, false, "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			query, args := c.query()
			steps := explain(t, db, query, args...)
			plan := details(steps)
			sorted := false // the outer query sorts
			for _, st := range steps {
				sorted = sorted || st.parent == 0 && strings.HasPrefix(st.detail, "USE TEMP B-TREE FOR ORDER BY")
			}
			for _, step := range plan {
				// ch: the due channels' recursive walk, a row per channel.
				if strings.HasPrefix(step, "SCAN ") && step != "SCAN CONSTANT ROW" && step != "SCAN x" && step != "SCAN ch" {
					t.Errorf("%q scans a table in full; plan:\n%s", step, strings.Join(plan, "\n"))
				}
			}
			if c.seek != "" && !strings.Contains(strings.Join(plan, "\n"), c.seek) {
				t.Errorf("the plan does not seek %s; plan:\n%s", c.seek, strings.Join(plan, "\n"))
			}
			for _, step := range plan {
				if c.inOrder && strings.HasPrefix(step, "USE TEMP B-TREE") {
					t.Errorf("%q sorts the page; plan:\n%s", step, strings.Join(plan, "\n"))
				}
			}
			if c.noSort && sorted {
				t.Errorf("the page is sorted as a whole; plan:\n%s", strings.Join(plan, "\n"))
			}
		})
	}
}
