package report

import (
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/chain"
)

// TestPrintChainNamesTheStoresMigration: an older history whose chain
// starts after its first events names the migration that started it in
// the numbering of the database's own store: SQLite's migration 3; on
// PostgreSQL, whose first migration chains every event, SQLite's
// migration 3 again, the history having come from SQLite by copy-db.
func TestPrintChainNamesTheStoresMigration(t *testing.T) {
	rep := chain.Report{Start: 1234, StartedAt: "2026-12-01T08:00:00Z", Before: 1233}
	for _, tc := range []struct {
		db, want string
	}{
		{"/var/lib/notifier/notifier.db",
			"chain starts at event 1234, added by migration 3 on 2026-12-01T08:00:00Z; 1233 earlier events are not covered\n"},
		{"postgres://notifier@db.internal/notifier?sslmode=verify-full",
			"chain starts at event 1234, added by SQLite's migration 3 on 2026-12-01T08:00:00Z (this history was copied from SQLite); 1233 earlier events are not covered\n"},
	} {
		var b strings.Builder
		Chain(&b, tc.db, rep, chain.Options{})
		if got, _, _ := strings.Cut(b.String(), "\n"); got+"\n" != tc.want {
			t.Errorf("%s: first line\n%q\nwant\n%q", tc.db, got+"\n", tc.want)
		}
	}
}
