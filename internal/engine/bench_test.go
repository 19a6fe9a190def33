package engine

import (
	"context"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
	"github.com/notifier-dev/notifier/internal/testutil/fleet"
)

const fleetSize = 100_000

var benchNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func loadFleet(b *testing.B, n int) (*config.Config, string) {
	b.Helper()
	dir := b.TempDir()
	path, err := fleet.Write(dir, n, benchNow)
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Load(path, config.At(benchNow), nil)
	if err != nil {
		b.Fatal(err)
	}
	return cfg, dir
}

// BenchmarkFirstSync100k: the first tick on a fresh database records
// 100,000 credentials and their first rotations.
func BenchmarkFirstSync100k(b *testing.B) {
	cfg, _ := loadFleet(b, fleetSize)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		cfg.Database = b.TempDir() + "/notifier.db"
		store, err := sqlite.Open(ctx, cfg.Database)
		if err != nil {
			b.Fatal(err)
		}
		e, err := New(store, cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		rep, err := e.Tick(ctx, benchNow)
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Outcomes) != 0 {
			b.Fatalf("%d outcomes, want none due", len(rep.Outcomes))
		}
		b.StopTimer()
		store.Close()
		b.StartTimer()
	}
}

// BenchmarkTickNothingDue100k: a tick after the first sync, nothing due.
func BenchmarkTickNothingDue100k(b *testing.B) {
	cfg, dir := loadFleet(b, fleetSize)
	ctx := context.Background()
	cfg.Database = dir + "/notifier.db"
	store, err := sqlite.Open(ctx, cfg.Database)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	e, err := New(store, cfg)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.Tick(ctx, benchNow); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		rep, err := e.Tick(ctx, benchNow.Add(time.Hour))
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Outcomes) != 0 {
			b.Fatalf("%d outcomes, want none due", len(rep.Outcomes))
		}
	}
}
