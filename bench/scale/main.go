// Command scale is the reproducible scale run: it builds notifier, writes
// generated fleets, and measures the notifier process as a user runs it:
// wall time and peak resident memory of each command, and the resident
// memory of an idle daemon.
//
//	go run ./bench/scale                 # 1,000,000 credentials in 200 files, and one 100,000-credential file
//	go run ./bench/scale -n 100000       # a smaller fleet
//	go run ./bench/scale -postgres       # the same on PostgreSQL: a throwaway cluster (internal/testutil/pgtest), made durable
//
// With -postgres each fleet has a database of its own on a cluster started
// for the run (Debian's postgresql package; as root it runs as the postgres
// user) on 127.0.0.1, with fsync, full-page writes and synchronous commits
// on, as a production server has them (the tests' clusters have them off),
// stopped and removed after. The peak RSS is notifier's alone, not the
// server's.
//
// Rows:
//   - first sync: `notifier tick` on a fresh database
//   - nothing due: `notifier tick` an hour later, the config unchanged
//   - ack: `notifier ack ID`
//   - idle daemon: `notifier run`, its RSS after the start-up tick
//   - one file: the first tick of a fleet in one 100,000-credential file
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/notifier-dev/notifier/internal/testutil/fleet"
	"github.com/notifier-dev/notifier/internal/testutil/pgtest"
)

func main() {
	n := flag.Int("n", 1_000_000, "how many credentials in the fleet of many files")
	single := flag.Int("single", 100_000, "how many credentials in the one-file fleet (0: skip)")
	keep := flag.Bool("keep", false, "keep the generated folders")
	pg := flag.Bool("postgres", false, "run on PostgreSQL: a throwaway cluster, a database a fleet")
	flag.Parse()
	if err := run(*n, *single, *keep, *pg); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

// now is the simulated moment of the first tick: the generated fleets have
// nothing due then.
var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func run(n, single int, keep, pg bool) error {
	dir, err := os.MkdirTemp("", "notifier-scale")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	// database points a fleet's config at its database: the SQLite file
	// the fleet's config names, or a new PostgreSQL database.
	database := func(cfg, name string) error { return nil }
	if pg {
		srv, err := durableCluster()
		if err != nil {
			return err
		}
		defer srv.Stop()
		database = func(cfg, name string) error {
			if err := srv.Exec(context.Background(), "CREATE DATABASE "+name); err != nil {
				return err
			}
			return useDatabase(cfg, srv.URL(name))
		}
		fmt.Printf("PostgreSQL cluster on 127.0.0.1:%d (%s)\n", srv.Port, srv.Dir)
	}
	bin := filepath.Join(dir, "notifier")
	build := exec.Command("go", "build", "-o", bin, "./cmd/notifier")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build (run from the repository root): %w", err)
	}
	many := filepath.Join(dir, "many")
	cfg, err := fleet.Write(many, n, now)
	if err != nil {
		return err
	}
	if err := database(cfg, "many"); err != nil {
		return err
	}
	fmt.Printf("%d credentials in %d files of %d (%s)\n", n, (n+fleet.PerFile-1)/fleet.PerFile, fleet.PerFile, many)
	fmt.Printf("%-44s %10s %12s\n", "run", "wall", "peak RSS")
	steps := []struct{ name, cmd string }{
		{"first sync (notifier tick)", "tick --at " + now.Format(time.RFC3339)},
		{"nothing due (notifier tick)", "tick --at " + now.Add(time.Hour).Format(time.RFC3339)},
		{"nothing due again (notifier tick)", "tick --at " + now.Add(2*time.Hour).Format(time.RFC3339)},
		{"notifier ack cred-000123", "ack cred-000123 --by scale --at " + now.Add(2*time.Hour).Format(time.RFC3339)},
	}
	for _, s := range steps {
		if err := measure(bin, cfg, s.name, strings.Fields(s.cmd)); err != nil {
			return err
		}
	}
	if err := idleDaemon(bin, cfg); err != nil {
		return err
	}
	if single > 0 {
		one := filepath.Join(dir, "one")
		cfg, err := fleet.WriteOneFile(one, single, now)
		if err != nil {
			return err
		}
		if err := database(cfg, "one"); err != nil {
			return err
		}
		fmt.Printf("\n%d credentials in one file (%s)\n", single, one)
		if err := measure(bin, cfg, "first sync (notifier tick)", []string{"tick", "--at", now.Format(time.RFC3339)}); err != nil {
			return err
		}
		if err := measure(bin, cfg, "nothing due (notifier tick)", []string{"tick", "--at", now.Add(time.Hour).Format(time.RFC3339)}); err != nil {
			return err
		}
	}
	return nil
}

// measure runs one notifier command and prints its wall time and peak RSS.
func measure(bin, cfg, name string, args []string) error {
	cmd := exec.Command(bin, append([]string{"--config", cfg, "--log-level", "warn"}, args...)...)
	// Output is not kept: a child forked from a large parent starts with
	// the parent's peak RSS in its own, so this process stays small.
	var out tail
	cmd.Stdout, cmd.Stderr = io.Discard, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %v\n%s", name, err, out.String())
	}
	wall := time.Since(start)
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux
	fmt.Printf("%-44s %9.2fs %9.1f MB\n", name, wall.Seconds(), float64(rss)/1024)
	return nil
}

// tail keeps the last 4 KiB written to it, for an error message.
type tail struct{ b []byte }

func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = t.b[len(t.b)-4096:]
	}
	return len(p), nil
}

func (t *tail) String() string { return string(t.b) }

// idleDaemon starts `notifier run`, waits for its start-up tick, then
// reads its resident memory and stops it with SIGTERM.
func idleDaemon(bin, cfg string) error {
	cmd := exec.Command(bin, "--config", cfg, "run", "--init")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer cmd.Process.Kill()
	s := bufio.NewScanner(stderr)
	running := false
	for s.Scan() {
		if strings.Contains(s.Text(), "notifier running") {
			running = true
			break
		}
	}
	if !running {
		return fmt.Errorf("the daemon did not start")
	}
	go func() {
		for s.Scan() {
		}
	}()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		return err
	}
	var rss string
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			rss = strings.TrimSpace(strings.TrimPrefix(line, "VmRSS:"))
		}
	}
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("daemon exit: %w", err)
	}
	fmt.Printf("%-44s %10s %12s\n", "idle daemon (notifier run), RSS after its tick", "", rss)
	fmt.Printf("%-44s %9.2fs\n", "daemon stop on SIGTERM", time.Since(start).Seconds())
	return nil
}

// durableCluster starts a throwaway PostgreSQL cluster and turns on what
// the tests' clusters turn off for speed: fsync, full-page writes and
// synchronous commits.
func durableCluster() (*pgtest.Server, error) {
	srv, err := pgtest.Start()
	if err != nil {
		return nil, err
	}
	err = srv.Exec(context.Background(), `ALTER SYSTEM SET fsync = on`)
	for _, q := range []string{`ALTER SYSTEM SET full_page_writes = on`, `ALTER SYSTEM SET synchronous_commit = on`, `SELECT pg_reload_conf()`} {
		if err == nil {
			err = srv.Exec(context.Background(), q)
		}
	}
	if err != nil {
		srv.Stop()
		return nil, err
	}
	return srv, nil
}

// useDatabase points the fleet's config at the database URL.
func useDatabase(cfg, url string) error {
	body, err := os.ReadFile(cfg)
	if err != nil {
		return err
	}
	out := strings.Replace(string(body), "database: notifier.db", "database: "+url, 1)
	if out == string(body) {
		return fmt.Errorf("%s names no database: notifier.db to replace", cfg)
	}
	return os.WriteFile(cfg, []byte(out), 0o644)
}
