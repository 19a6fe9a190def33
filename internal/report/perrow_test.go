package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/store"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
)

// countingReporter is the real store, counting the cycles the report reads.
type countingReporter struct {
	store.Reporter
	read int
}

func (c *countingReporter) ReportCycles(ctx context.Context, f domain.ReportFilter, fn func(domain.CycleRecord) error) error {
	return c.Reporter.ReportCycles(ctx, f, func(r domain.CycleRecord) error {
		c.read++
		return fn(r)
	})
}

// reportFleet is a read-only SQLite database holding n credentials, one
// cycle each, synced from a config by the engine.
func reportFleet(t testing.TB, n int, now time.Time) store.Reporter {
	t.Helper()
	var b strings.Builder
	b.WriteString("database: notifier.db\ntimezone: UTC\npolicies:\n  standard:\n    - {before: 30d, channels: [console]}\n" +
		"channels:\n  console: {type: stdout}\ncredentials:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {id: c%05d, name: \"Credential %d\", owner: team-%d, rotated_at: 2026-06-01}\n", i, i, i%7)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, config.At(now), nil, registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	rw, err := sqlite.Open(t.Context(), cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(rw, cfg, engine.WithStdout(io.Discard), engine.WithWallClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Sync(t.Context(), now); err != nil {
		t.Fatal(err)
	}
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := sqlite.OpenReadOnly(t.Context(), cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ro.Close() })
	return ro
}

// TestComplianceWritesEachRowAsItIsRead: the report writes each cycle as
// it reads it, in every format, and never holds the fleet: when what it
// writes to fails part way (CSV goes to the output; the other formats to
// their temporary file, here on a full disk, /dev/full), the report
// returns that error having read only the cycles before it, not every
// cycle. With room to write, the same report reads them all.
func TestComplianceWritesEachRowAsItIsRead(t *testing.T) {
	const n = 3000
	now := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	s := reportFleet(t, n, now)
	h := Header{At: now, Database: "notifier.db", Loc: time.UTC}
	for _, format := range []string{"table", "json", "csv", "html"} {
		t.Run(format, func(t *testing.T) {
			all := &countingReporter{Reporter: s}
			var out bytes.Buffer
			if err := Compliance(t.Context(), &out, format, all, h); err != nil {
				t.Fatal(err)
			}
			if all.read != n || !strings.Contains(out.String(), fmt.Sprintf("c%05d", n-1)) {
				t.Fatalf("with room to write: %d cycles read, want %d; the last credential shown: %v", all.read, n, strings.Contains(out.String(), fmt.Sprintf("c%05d", n-1)))
			}

			cut := &countingReporter{Reporter: s}
			var w io.Writer = &failAfter{limit: 16 << 10}
			want := errFull
			if format != "csv" {
				full, err := os.OpenFile("/dev/full", os.O_RDWR, 0)
				if err != nil {
					t.Skipf("no /dev/full: %v", err)
				}
				defer full.Close()
				old := newSpool
				newSpool = func() (*os.File, error) { return full, nil }
				defer func() { newSpool = old }()
				w, want = &out, syscall.ENOSPC
			}
			err := Compliance(t.Context(), w, format, cut, h)
			if !errors.Is(err, want) {
				t.Fatalf("the write failed; the report returned %v, want %v", err, want)
			}
			if cut.read == 0 || cut.read >= n {
				t.Errorf("the write failed part way; %d of %d cycles were read, want some and not all", cut.read, n)
			}
			t.Logf("%s: %d of %d cycles read before the failed write stopped the report", format, cut.read, n)
		})
	}
}
