package main

import (
	"context"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/daemon"
	"github.com/notifier-dev/notifier/internal/testutil/fleet"
)

// BenchmarkDaemonTick100k is one scheduled tick of the running daemon with
// 100,000 credentials, nothing due and the config unchanged: a fingerprint
// of the config files, then sync, plan and dispatch.
func BenchmarkDaemonTick100k(b *testing.B) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	path, err := fleet.Write(b.TempDir(), 100_000, now)
	if err != nil {
		b.Fatal(err)
	}
	m := &daemon.Daemon{ConfigPath: path, Clock: func(*time.Location) time.Time { return now }}
	ctx := context.Background()
	if err := m.Open(ctx); err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	m.Tick(ctx) // the first sync
	for b.Loop() {
		now = now.Add(time.Hour)
		m.Tick(ctx)
	}
	if st, err := m.Store.States(ctx); err != nil || len(st) != 100_000 {
		b.Fatalf("%d credentials in the store, %v", len(st), err)
	}
}
