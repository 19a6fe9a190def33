package config

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/testutil/fleet"
)

var benchNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// BenchmarkLoad100k: parsing and validating 100,000 credentials in
// credential_files, what every `notifier` command and a changed config cost.
func BenchmarkLoad100k(b *testing.B) {
	path, err := fleet.Write(b.TempDir(), 100_000, benchNow)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		cfg, err := Load(path, At(benchNow), nil, registry.Default())
		if err != nil {
			b.Fatal(err)
		}
		if len(cfg.Credentials) != 100_000 {
			b.Fatalf("%d credentials", len(cfg.Credentials))
		}
	}
}

// BenchmarkReadCredentialFile100k: one file of 100,000 credentials, what
// the engine's first sync of such a file costs. peak-heap-MiB is the most
// the heap held above its level before, sampled every millisecond.
func BenchmarkReadCredentialFile100k(b *testing.B) {
	path, file := oneFleetFile(b, 100_000)
	cfg, err := LoadMain(path, At(benchNow), nil, registry.Default())
	if err != nil {
		b.Fatal(err)
	}
	read := func() {
		creds, _, err := cfg.ReadCredentialFile(file)
		if err != nil {
			b.Fatal(err)
		}
		if len(creds) != 100_000 {
			b.Fatalf("%d credentials", len(creds))
		}
	}
	peak := peakHeap(read)
	b.ReportAllocs()
	for b.Loop() {
		read()
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// BenchmarkLoadMain: the config file of a fleet of 1,000,000 credentials
// in 200 files, which it only globs: what the engine pays before it stats
// the files.
func BenchmarkLoadMain(b *testing.B) {
	path, err := fleet.Write(b.TempDir(), 200*fleet.PerFile, benchNow)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		cfg, err := LoadMain(path, At(benchNow), nil, registry.Default())
		if err != nil {
			b.Fatal(err)
		}
		if len(cfg.Files) != 200 {
			b.Fatalf("%d files", len(cfg.Files))
		}
	}
}

// oneFleetFile writes fleet's config and n credentials, then joins the
// credential files into one, credentials.d/all.yaml, the only file the
// config's glob then matches.
func oneFleetFile(tb testing.TB, n int) (cfgPath, file string) {
	tb.Helper()
	dir := tb.TempDir()
	cfgPath, err := fleet.Write(dir, n, benchNow)
	if err != nil {
		tb.Fatal(err)
	}
	parts, err := filepath.Glob(filepath.Join(dir, "credentials.d", "*.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	var all bytes.Buffer
	all.WriteString("credentials:\n")
	for _, p := range parts {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		all.Write(bytes.TrimPrefix(data, []byte("credentials:\n")))
		if err := os.Remove(p); err != nil {
			tb.Fatal(err)
		}
	}
	file = filepath.Join(dir, "credentials.d", "all.yaml")
	if err := os.WriteFile(file, all.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	return cfgPath, file
}

// peakHeap runs f while sampling the bytes of heap objects (live or not yet
// swept) every millisecond, and returns the highest sample above the level
// before f.
func peakHeap(f func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	done, peak := make(chan struct{}), make(chan uint64)
	go func() {
		var high uint64
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			high = max(high, read())
			select {
			case <-done:
				peak <- high
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(done)
	high := <-peak
	if high < base {
		return 0
	}
	return high - base
}
