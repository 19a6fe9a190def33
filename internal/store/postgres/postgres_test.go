package postgres

import (
	"database/sql"
	"os"
	"sync"
	"testing"

	"github.com/notifier-dev/notifier/internal/store/storetest"
	"github.com/notifier-dev/notifier/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// openTest opens a store on a fresh database of the test's own, as the
// password role: what an installation with a password sees.
func openTest(t *testing.T) (*Store, string) {
	t.Helper()
	u := testURL(t, pgtest.Current(t).Database(t))
	s, err := Open(t.Context(), u)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, u
}

// testURL is the URL of a database, with the password role's password.
func testURL(t *testing.T, database string) string { return pgtest.Current(t).UserURL(database) }

// TestConformance runs the shared store suite on a real PostgreSQL: each
// path the suite names (one per subtest; opened twice where two processes
// are simulated) is a database of its own.
func TestConformance(t *testing.T) {
	var mu sync.Mutex
	databases := map[string]string{}
	storetest.Run(t, func(t *testing.T, path string) storetest.Store {
		mu.Lock()
		name, ok := databases[path]
		if !ok {
			name = pgtest.Current(t).DatabaseFrom(t, migrated(t))
			newDatabaseID(t, name)
			databases[path] = name
		}
		mu.Unlock()
		s, err := Open(t.Context(), testURL(t, name))
		if err != nil {
			t.Fatalf("Open(%s): %v", path, err)
		}
		return s
	})
}

// newDatabaseID gives a database copied from the migrated template the
// random id that creating it would have: a template's copies would all
// share the template's.
func newDatabaseID(t *testing.T, name string) {
	t.Helper()
	db, err := sql.Open("pgx", testURL(t, name))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), `UPDATE sync_state SET value = replace(gen_random_uuid()::text, '-', '') WHERE key = 'database_id'`); err != nil {
		t.Fatalf("a new database id for %s: %v", name, err)
	}
}

// migrated is a template database with every migration applied: the
// suite's databases are copies of it (Open then finds nothing to do),
// faster than migrating each.
func migrated(t *testing.T) string {
	t.Helper()
	return pgtest.Current(t).Template(t, "notifier_migrated", func(url string) error {
		s, err := Open(t.Context(), url)
		if err != nil {
			return err
		}
		return s.Close()
	})
}
