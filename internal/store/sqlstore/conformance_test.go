package sqlstore_test

import (
	"testing"

	"github.com/notifier-dev/notifier/internal/store/sqlite"
	"github.com/notifier-dev/notifier/internal/store/storetest"
)

// TestConformance runs the store suite through the SQLite store, on a real
// database file: the decisions written here are this package's to test
// (its coverage and its mutants), not only the backends'. The PostgreSQL
// store runs the same suite in its own package.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, path string) storetest.Store {
		s, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatalf("sqlite.Open(%s): %v", path, err)
		}
		return s
	})
}
