package main

import (
	"database/sql"
	"testing"

	"github.com/notifier-dev/notifier/internal/testutil/pgtest"
)

// backends are the stores an end-to-end test of the store runs on, as
// subtests named after them.
var backends = []string{"sqlite", "postgres"}

// onEachBackend runs test as a subtest on each of the backends.
func onEachBackend(t *testing.T, test func(t *testing.T, backend string)) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) { test(t, backend) })
	}
}

// onBackend points the env's config at backend's store. On "postgres":
// a fresh database of the shared cluster, the password from
// ${NOTIFIER_TEST_PG_PASSWORD}, set in the test's environment, so that
// every process the test starts (tick, status, history, a daemon) has it;
// it returns a connection for the test's own reads, and the test fails if
// a notifier.db appears beside the config. On "sqlite": nil, the config's
// notifier.db as it is.
func (e *env) onBackend(backend string) *sql.DB {
	e.t.Helper()
	if backend != "postgres" {
		return nil
	}
	url := pgConfig(e.t, e.config)
	e.t.Setenv(pgPasswordEnv, pgtest.Password)
	db, err := sql.Open("pgx", url)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		db.Close()
		// The test ran on PostgreSQL, not on a SQLite file beside the config.
		if !e.noDatabase(nil) {
			e.t.Errorf("on PostgreSQL, a notifier.db was created in %s", e.dir)
		}
	})
	return db
}

// noDatabase says whether the store has no database yet: no notifier.db
// on SQLite (db nil), no table on PostgreSQL.
func (e *env) noDatabase(db *sql.DB) bool {
	e.t.Helper()
	if db == nil {
		return e.fileSums()["notifier.db"] == "absent"
	}
	return len(pgTables(e.t, db)) == 0
}

// storeSums is what must not change when nothing is written: the bytes of
// notifier.db, its -wal and -shm on SQLite (db nil); the row count and
// digest of every table on PostgreSQL.
func (e *env) storeSums(db *sql.DB) map[string]string {
	e.t.Helper()
	if db == nil {
		return e.fileSums()
	}
	return pgDump(e.t, db)
}
