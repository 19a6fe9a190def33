package sqlstore_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
	"github.com/notifier-dev/notifier/internal/store/sqlstore"
)

// Only a transaction that holds the write lock appends events, so that
// the hash chain is appended in one order: a shared one (a claim's, which
// on PostgreSQL runs beside others) is refused and writes nothing.
func TestEventsOnlyUnderTheWriteLock(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "notifier.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e := domain.Event{Time: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), Type: domain.EventConfig, Detail: "outside the lock"}
	err = s.RunShared(t.Context(), func(tx *sqlstore.Tx) error { return tx.InsertEvent(e) })
	if err == nil {
		t.Fatal("an event appended in a shared transaction was accepted")
	}
	if err := s.Update(t.Context(), func(tx *sqlstore.Tx) error { return tx.InsertEvent(e) }); err != nil {
		t.Fatalf("under the write lock: %v", err)
	}
	events, err := s.History(t.Context(), domain.HistoryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Detail != "outside the lock" {
		t.Errorf("history = %+v, want the one event appended under the lock", events)
	}
}
