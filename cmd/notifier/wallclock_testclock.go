//go:build notifier_testclock

package main

import (
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/config"
)

// TestNowEnv names the test-only clock's start. The end-to-end tests build
// the binary with -tags notifier_testclock; such a binary's wall clock
// starts at NOTIFIER_TEST_NOW (a time as --at takes it, UTC unless it says
// otherwise) and runs at the real pace from there, so that a test can
// live a year in a second while leases, claims and timeouts keep their
// real lengths. A binary built without the tag (go build, go install, the
// release) has no such path: it ignores the variable, and a user cannot
// move its clock by accident. --at stays what it is for users: a view at
// any moment, a write dated in the past.
const TestNowEnv = "NOTIFIER_TEST_NOW"

func wallClock() (func() time.Time, error) {
	v, ok := os.LookupEnv(TestNowEnv)
	if !ok {
		return time.Now, nil
	}
	at, err := config.ParseTime(v, time.UTC)
	if err != nil {
		return nil, fmt.Errorf("%s (the test build's clock): %w", TestNowEnv, err)
	}
	started := time.Now()
	return func() time.Time { return at.Add(time.Since(started)) }, nil
}

// TestUserEnv stands, in the test build only, for the OS account --by
// defaults to: NAME:UID (the tests run as whatever the machine gives).
const TestUserEnv = "NOTIFIER_TEST_USER"

func osAccount() (*user.User, error) {
	if v, ok := os.LookupEnv(TestUserEnv); ok {
		name, uid, _ := strings.Cut(v, ":")
		return &user.User{Username: name, Uid: uid}, nil
	}
	return user.Current()
}
