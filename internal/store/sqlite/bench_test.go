package sqlite

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// BenchmarkSyncFiles100k and 1M: the store's share of a first sync, files
// of 5,000 credentials synced 20 at a time (the engine's groups of
// 100,000), without the YAML parsing that runs beside it, the last
// checkpoint included.
func BenchmarkSyncFiles100k(b *testing.B) { benchSyncFiles(b, 20) }
func BenchmarkSyncFiles1M(b *testing.B)   { benchSyncFiles(b, 200) }

func benchSyncFiles(b *testing.B, files int) {
	const perFile, group = 5_000, 20
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	all := make([]domain.FileSync, files)
	for f := range all {
		creds := make([]domain.Credential, perFile)
		for i := range creds {
			k := f*perFile + i
			c := credential(fmt.Sprintf("cred-%07d", k))
			c.Owner = fmt.Sprintf("team-%d", k%50)
			c.RotatedAt = now.Add(-time.Duration(1+k%120) * 24 * time.Hour)
			creds[i] = c
		}
		all[f] = domain.FileSync{File: domain.ConfigFile{Path: fmt.Sprintf("fleet/%03d.yaml", f), Size: 1, ModTime: now, Hash: "h"}, Credentials: creds}
	}
	first := func(c domain.Credential) time.Time { return c.RotatedAt.Add(150 * 24 * time.Hour) }
	for b.Loop() {
		b.StopTimer()
		s, err := Open(b.Context(), filepath.Join(b.TempDir(), "notifier.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for lo := 0; lo < files; lo += group {
			if _, err := s.SyncFiles(b.Context(), all[lo:lo+group], domain.SyncOptions{FirstAction: first}, now); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Close(); err != nil { // the last checkpoint is part of the sync's cost
			b.Fatal(err)
		}
	}
}
