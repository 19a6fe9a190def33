// Command scale is the reproducible scale run: it builds notifier, writes a
// config with N generated credentials (default 100,000), then runs
// `notifier tick` twice at the same simulated moment and reports, for each
// run, the wall time and the peak resident memory of the process.
//
//	go run ./bench/scale            # 100,000 credentials
//	go run ./bench/scale -n 10000
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/notifier-dev/notifier/internal/testutil/fleet"
)

func main() {
	n := flag.Int("n", 100_000, "how many credentials")
	keep := flag.Bool("keep", false, "keep the generated folder")
	flag.Parse()
	if err := run(*n, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

func run(n int, keep bool) error {
	dir, err := os.MkdirTemp("", "notifier-scale")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	bin := filepath.Join(dir, "notifier")
	build := exec.Command("go", "build", "-o", bin, "./cmd/notifier")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build (run from the repository root): %w", err)
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	cfg, err := fleet.Write(dir, n, now)
	if err != nil {
		return err
	}
	fmt.Printf("%d credentials in %s\n", n, dir)
	fmt.Printf("%-34s %10s %12s\n", "run", "wall", "peak RSS")
	for _, step := range []struct{ name, at string }{
		{"tick 1 (first sync)", now.Format(time.RFC3339)},
		{"tick 2 (nothing due)", now.Add(time.Hour).Format(time.RFC3339)},
		{"tick 3 (nothing due)", now.Add(2 * time.Hour).Format(time.RFC3339)},
	} {
		cmd := exec.Command(bin, "--config", cfg, "tick", "--at", step.at)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %v\n%s", step.name, err, out.String())
		}
		wall := time.Since(start)
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux
		fmt.Printf("%-34s %9.2fs %9.1f MB\n", step.name, wall.Seconds(), float64(rss)/1024)
	}
	return nil
}
