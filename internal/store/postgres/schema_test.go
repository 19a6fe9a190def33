package postgres_test

import (
	"database/sql"
	"testing"

	"github.com/notifier-dev/notifier/internal/store/postgres"
	"github.com/notifier-dev/notifier/internal/store/schema"
	"github.com/notifier-dev/notifier/internal/store/schema/schematest"
	"github.com/notifier-dev/notifier/internal/testutil/pgtest"
)

// TestSchemaMatchesDescription: a new database, migrated by Open, has the
// tables, columns, keys, indexes, views and append-only triggers that
// package schema describes.
func TestSchemaMatchesDescription(t *testing.T) {
	srv := pgtest.Current(t)
	url := srv.UserURL(srv.Database(t))
	s, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	schematest.Check(t, db, schema.Postgres)
}
