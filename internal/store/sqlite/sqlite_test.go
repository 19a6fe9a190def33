package sqlite

import (
	"testing"

	"github.com/notifier-dev/notifier/internal/store/storetest"
)

// TestConformance runs the shared store suite on a real database file.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, path string) storetest.Store {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatalf("Open(%s): %v", path, err)
		}
		return s
	})
}
