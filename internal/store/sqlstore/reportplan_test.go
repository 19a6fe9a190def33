package sqlstore_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/store/sqlite"
)

// TestReportQueriesSortNothing: each of the report's queries reads its
// rows in the order it returns them, from an index, so that a report of a
// million cycles streams instead of sorting the whole result first (in
// SQLite's memory: temp_store is MEMORY; a sort of every cycle and its
// credential's columns was most of the report's 316-322 MB at 1M). A sort
// inside a correlated subquery (one cycle's terms) is bounded and allowed,
// and so is the retractions' sort: there are as many as corrections were
// made, not as credentials.
func TestReportQueriesSortNothing(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "notifier.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := s.CopySide().DB
	names := []string{"cycles", "reminders", "acknowledgments", "retractions"}
	for i, q := range s.ReportQueries() {
		t.Run(names[i], func(t *testing.T) {
			args := make([]any, strings.Count(q, "?"))
			steps := explain(t, db, q, args...)
			for _, st := range steps {
				if st.parent == 0 && strings.HasPrefix(st.detail, "USE TEMP B-TREE") && names[i] != "retractions" {
					t.Errorf("the %s query sorts its whole result: %q", names[i], st.detail)
				}
				if strings.HasPrefix(st.detail, "MATERIALIZE") {
					t.Errorf("the %s query materializes a whole table: %q", names[i], st.detail)
				}
			}
			plan := details(steps)
			t.Logf("%s: %s", names[i], strings.Join(plan, " | "))
		})
	}
}
