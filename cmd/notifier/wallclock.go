//go:build !notifier_testclock

package main

import (
	"context"
	"os/user"
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

// osAccount is the OS account the command runs as: --by's default when it
// is a person's (personAccount).
func osAccount() (*user.User, error) { return user.Current() }
