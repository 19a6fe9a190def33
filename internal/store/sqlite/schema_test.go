package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/notifier-dev/notifier/internal/store/schema"
	"github.com/notifier-dev/notifier/internal/store/schema/schematest"
)

// TestSchemaMatchesDescription: a database migrated by Open, new or
// upgraded from 0002 (through 0006's rebuild of rotations), has the
// tables, columns, keys, indexes, views and append-only triggers that
// package schema describes.
func TestSchemaMatchesDescription(t *testing.T) {
	t.Run("new", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "notifier.db")
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		checkSchema(t, path)
	})
	t.Run("upgraded from 0002", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "v2.db")
		if err := upgrade(t, databaseAt0002(t, path), path).Close(); err != nil {
			t.Fatal(err)
		}
		checkSchema(t, path)
	})
}

func checkSchema(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	schematest.Check(t, db, schema.SQLite)
}
