package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/notifier-dev/notifier/internal/store/schema"
	"github.com/notifier-dev/notifier/internal/store/schema/schematest"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
)

// TestSchemaMatchesDescription: a new database, migrated by Open, has the
// tables, columns, keys, indexes, views and append-only triggers that
// package schema describes.
func TestSchemaMatchesDescription(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notifier.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	schematest.Check(t, db, schema.SQLite)
}
