//go:build notifier_testclock

package main

import (
	"context"
	"os"
	"time"
)

// TestFullEnv names, in the test build only, a file whose presence makes
// the SQLite database full: while it exists, every write transaction runs
// under SQLite's max_page_count at the database's current size, so a write
// that needs a new page fails with SQLite's own SQLITE_FULL ("database or
// disk is full"), as on a full disk; when it is removed, space returns.
// End-to-end tests use it where they cannot fill a real filesystem (a
// small tmpfs needs root). A binary built without the tag has no such
// path.
const TestFullEnv = "NOTIFIER_TEST_FULL_FILE"

// pageLimiter is a store that can be held at its size (sqlite.Store).
type pageLimiter interface{ LimitPages(pages int64) }

// testFullDisk watches the file TestFullEnv names until ctx ends.
func testFullDisk(ctx context.Context, store any) {
	path, ok := os.LookupEnv(TestFullEnv)
	s, limits := store.(pageLimiter)
	if !ok || !limits {
		return
	}
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		full := false
		for {
			if _, err := os.Stat(path); (err == nil) != full {
				full = !full
				if full {
					s.LimitPages(1)
				} else {
					s.LimitPages(0)
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}
