package config

import (
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/testutil/fleet"
)

// BenchmarkLoad100k: parsing and validating 100,000 credentials in
// credential_files, what every `notifier` command and a changed config cost.
func BenchmarkLoad100k(b *testing.B) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	path, err := fleet.Write(b.TempDir(), 100_000, now)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		cfg, err := Load(path, At(now), nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(cfg.Credentials) != 100_000 {
			b.Fatalf("%d credentials", len(cfg.Credentials))
		}
	}
}
