package sqlstore

import "context"

// RunShared runs fn in a transaction that does not hold the write lock,
// as a claim's does: for the tests of sqlstore_test.
func (s *Store) RunShared(ctx context.Context, fn func(*Tx) error) error {
	return s.run(ctx, false, fn)
}

// ReportQueries is the report's queries in s's dialect: for the tests of
// their query plans.
func (s *Store) ReportQueries() [4]string { return reportQueries(s.db) }
