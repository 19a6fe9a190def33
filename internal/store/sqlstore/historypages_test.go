package sqlstore_test

import (
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/store/sqlstore"
)

// TestHistoryPagesSearchByIndex: each part of a page of the history read
// side by side, and each query that cuts the pages, is one search of
// events_time in its order: the events at one time after an id by the
// index's (time, rowid), not every event at that time walked (a first
// sync's moment holds a million at a million credentials: each page then
// read them all), nor a sort.
func TestHistoryPagesSearchByIndex(t *testing.T) {
	_, db := planDatabase(t)
	for _, q := range sqlstore.HistoryPartQueries("2026-06-01T00:00:00Z") {
		query, args := q[0].(string), q[1].([]any)
		plan := details(explain(t, db, query, args...))
		want := "INDEX events_time (time>? AND time<?)" // a range of times, Since and Until within it
		if strings.Contains(query, "time = ? AND id") {
			want = "INDEX events_time (time=? AND rowid"
		}
		if len(plan) != 1 || !strings.HasPrefix(plan[0], "SEARCH events USING ") || !strings.Contains(plan[0], want) {
			t.Errorf("%s\nplan:\n%s\nwant one search of %s, in its order", query, strings.Join(plan, "\n"), want)
		}
	}
}
