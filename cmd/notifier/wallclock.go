//go:build !notifier_testclock

package main

import (
	"context"
	"time"
)

// wallClock is the real clock, the one every record's "recorded at" and
// every "not ahead of the clock" check reads. Only a test build replaces
// it (wallclock_testclock.go); a binary built as the README says has no
// other.
func wallClock() (func() time.Time, error) { return time.Now, nil }

// testFullDisk is the test build's way to fill the database
// (fulldisk_testclock.go); this build has none.
func testFullDisk(context.Context, any) {}
