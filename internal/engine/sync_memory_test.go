package engine

import (
	"context"
	"math"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store"
)

// limitSpy is the real store, noting the process's soft memory limit
// each time a sync writes files.
type limitSpy struct {
	store.Engine
	seen []int64
}

func (s *limitSpy) SyncFiles(ctx context.Context, files []domain.FileSync, opts domain.SyncOptions, now time.Time) ([][]domain.Change, error) {
	s.seen = append(s.seen, debug.SetMemoryLimit(-1))
	return s.Engine.SyncFiles(ctx, files, opts, now)
}

// TestSyncIsNotHeldToTheDaemonsMemoryLimit: the daemon keeps the Go
// runtime to a small soft memory limit (its live heap is small between
// syncs), but a sync of changed files holds far more while it parses and
// writes them: under the limit the collector ran without pause, and the
// first sync of a million credentials took 504 s instead of 125 s. A sync
// that writes files lifts the limit for its duration and puts it back.
func TestSyncIsNotHeldToTheDaemonsMemoryLimit(t *testing.T) {
	const limit = 48 << 20
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(limit))
	now := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	var b strings.Builder
	b.WriteString("database: notifier.db\ntimezone: UTC\npolicies:\n  standard:\n    - {before: 30d, channels: [console]}\nchannels:\n  console: {type: stdout}\ncredentials:\n  - {id: c1, rotated_at: 2026-06-01}\n")
	spy := &limitSpy{}
	e := configEngine(t, b.String(), now, func(st store.Engine) store.Engine { spy.Engine = st; return spy })
	if err := e.Sync(t.Context(), now); err != nil {
		t.Fatal(err)
	}
	if len(spy.seen) == 0 {
		t.Fatal("the sync wrote no file")
	}
	for i, l := range spy.seen {
		if l != math.MaxInt64 {
			t.Errorf("write %d of the sync ran under a soft memory limit of %d bytes; want none", i+1, l)
		}
	}
	if got := debug.SetMemoryLimit(-1); got != limit {
		t.Errorf("after the sync the limit is %d bytes; want %d back", got, limit)
	}
}
