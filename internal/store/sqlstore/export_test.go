package sqlstore

import (
	"context"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// RunShared runs fn in a transaction that does not hold the write lock,
// as a claim's does: for the tests of sqlstore_test.
func (s *Store) RunShared(ctx context.Context, fn func(*Tx) error) error {
	return s.run(ctx, false, fn)
}

// ReportQueries is the report's queries in s's dialect: for the tests of
// their query plans.
func (s *Store) ReportQueries() [4]string { return reportQueries(s.db) }

// DueChannelsSQL is DueChannels' query, for the query plan tests.
const DueChannelsSQL = dueChannelsSQL

// CycleStartsAfterSQL is CycleStartsAfter's query, for the query plan
// tests of sqlstore_test.
const CycleStartsAfterSQL = cycleStartsAfterSQL

// CountRotatedSQL is CountRotated's query, for the query plan tests.
const CountRotatedSQL = countRotatedSQL

// StatePageQuery is EachState's query of a page and its parameters (the
// page's start and size around them), for the query plan tests.
func (s *Store) StatePageQuery(q domain.StateQuery) (string, []any) { return s.statePageQuery(q) }

// PlanPageQuery is PlanCycles' query of a page and its parameters, for
// the query plan tests.
func (s *Store) PlanPageQuery(f domain.CredentialFilter, until time.Time, first bool, lastAt time.Time, lastID string) (string, []any) {
	return s.planPageQuery(f, until, first, lastAt, lastID)
}

// SentQuery is loadSent's query of a batch of rotations, for the query
// plan tests.
func (s *Store) SentQuery(ids []int64) (string, []any) { return s.sentQuery(ids) }

// StatePageQueryByDeadline is EachState's query of a page in deadline
// order, its parameters between the keyset (deadline, id) and the size.
func (s *Store) StatePageQueryByDeadline(q domain.StateQuery) (string, []any) {
	return s.statePageQueryIn(q, byDeadline)
}

// StatePageQueryDense is EachState's query of a page in id order where
// the range holds many (each row judged), its parameters between the
// keyset (the id) and the size.
func (s *Store) StatePageQueryDense(q domain.StateQuery) (string, []any) {
	return s.statePageQueryIn(q, byIDDense)
}

// HistoryPartQueries are the queries of the parts of a page of the
// history read side by side, and of the keys that cut it, each with
// parameters, in a range of time (Since and Until): for the query plan
// tests.
func HistoryPartQueries(at string) [][2]any {
	within, wargs := ` AND time >= ? AND time < ?`, []any{at, at}
	var out [][2]any
	for _, w := range []struct {
		where string
		args  []any
	}{{atTimeAfter, []any{at, 9}}, {atTimeUpTo, []any{at, 9}}, {atTimeBetween, []any{at, 9, 99}},
		{beforeTime, []any{at}}, {afterTime, []any{at}}, {betweenTimes, []any{at, at}}} {
		out = append(out, [2]any{eventPartQuery(w.where, within), append(w.args, wargs...)})
		out = append(out, [2]any{`SELECT time, id FROM events WHERE ` + w.where + within + ` ORDER BY time, id LIMIT 1 OFFSET 999`, append(w.args, wargs...)})
	}
	return out
}
