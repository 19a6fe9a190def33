package postgres

import (
	"fmt"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/testutil/pgtest"
)

// BenchmarkSyncFiles100k: the store's share of a first sync on PostgreSQL,
// as the SQLite store's benchmark of the same name measures it (files of
// 5,000 credentials synced 20 at a time), into a fresh database each
// round. The test cluster runs with fsync off: the figure is the store's
// work, not a disk's.
func BenchmarkSyncFiles100k(b *testing.B) {
	const files, perFile, group = 20, 5_000, 20
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
		s, err := Open(b.Context(), pgtest.Current(b).UserURL(pgtest.Current(b).Database(b)))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for lo := 0; lo < files; lo += group {
			if _, err := s.SyncFiles(b.Context(), all[lo:lo+group], domain.SyncOptions{FirstAction: first}, now); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}
