// Command scale is the reproducible scale run: it builds notifier, writes
// generated fleets, and measures the notifier process as a user runs it:
// wall time and peak resident memory of each command, and the resident
// memory of an idle daemon.
//
//	go run ./bench/scale                 # 1,000,000 credentials in 200 files, and one 100,000-credential file
//	go run ./bench/scale -n 100000       # a smaller fleet
//	go run ./bench/scale -postgres       # the same on PostgreSQL: a throwaway cluster (internal/testutil/pgtest), made durable
//	go run ./bench/scale -keep           # keep the synced fleet; its folder is printed
//	go run ./bench/scale -views DIR      # only the views, on a fleet kept with -keep (DIR holds its config.yaml)
//	go run ./bench/scale -views DIR -only 'status|metrics' -mainfile 0   # only some of them
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
//   - views: status, plan, history (table), report (json, csv, html) on the
//     synced fleet: time to the first byte and to the first row (the
//     output's second line: the first after a header) on stdout, total
//     time, peak RSS, output size
//   - /metrics: one scrape of the idle daemon (time, bytes, series), and
//     the daemon's RSS after it
//   - main file: a fleet of -mainfile credentials written in the main
//     config file (not credential_files), its second tick, nothing changed
//
// It ends with a markdown table of issue 18's rows (what, measured, target,
// met?), ready for the docs.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/notifier-dev/notifier/internal/testutil/fleet"
	"github.com/notifier-dev/notifier/internal/testutil/pgtest"
)

func main() {
	n := flag.Int("n", 1_000_000, "how many credentials in the fleet of many files")
	single := flag.Int("single", 100_000, "how many credentials in the one-file fleet (0: skip)")
	mainFile := flag.Int("mainfile", 100_000, "how many credentials written in the main config file, for its second tick (0: skip)")
	keep := flag.Bool("keep", false, "keep the generated folders")
	pg := flag.Bool("postgres", false, "run on PostgreSQL: a throwaway cluster, a database a fleet")
	views := flag.String("views", "", "measure only the views, /metrics and the main file, on the synced fleet in this folder (kept with -keep: its many/ folder)")
	only := flag.String("only", "", "measure only the view rows this regexp matches: status, plan, history, report --format json|csv|html, metrics (the daemon)")
	flag.Parse()
	match, err := regexp.Compile(*only)
	if err != nil {
		fmt.Fprintln(os.Stderr, "scale: -only:", err)
		os.Exit(2)
	}
	if *views != "" {
		err = runViews(*views, *mainFile, *pg, match)
	} else {
		err = run(*n, *single, *mainFile, *keep, *pg, match)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

// now is the simulated moment of the first tick: the generated fleets have
// nothing due then.
var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func run(n, single, mainFile int, keep, pg bool, only *regexp.Regexp) error {
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
	bin, err := build(dir)
	if err != nil {
		return err
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
	printHeader()
	steps := []struct{ name, cmd string }{
		{"first sync (notifier tick)", "tick --at " + now.Format(time.RFC3339)},
		{"nothing due (notifier tick)", "tick --at " + now.Add(time.Hour).Format(time.RFC3339)},
		{"nothing due again (notifier tick)", "tick --at " + now.Add(2*time.Hour).Format(time.RFC3339)},
		{"notifier ack cred-000123", "ack cred-000123 --by scale --at " + now.Add(2*time.Hour).Format(time.RFC3339)},
	}
	for _, s := range steps {
		if _, err := measure(bin, cfg, s.name, strings.Fields(s.cmd)); err != nil {
			return err
		}
	}
	rows, err := viewsAndDaemon(bin, cfg, only)
	if err != nil {
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
		printHeader()
		if _, err := measure(bin, cfg, "first sync (notifier tick)", []string{"tick", "--at", now.Format(time.RFC3339)}); err != nil {
			return err
		}
		if _, err := measure(bin, cfg, "nothing due (notifier tick)", []string{"tick", "--at", now.Add(time.Hour).Format(time.RFC3339)}); err != nil {
			return err
		}
	}
	if mainFile > 0 {
		row, err := mainFileTick(bin, filepath.Join(dir, "main"), mainFile, database)
		if err != nil {
			return err
		}
		rows = append(rows, row)
	}
	printTable(n, fmt.Sprintf("go run ./bench/scale -n %d", n), rows)
	if keep {
		fmt.Printf("\nKept %s; measure the views again on its synced fleet with: go run ./bench/scale -views %s\n", dir, many)
	}
	return nil
}

// runViews measures the views, /metrics and the main file on a fleet that
// an earlier run kept (-keep): no new first sync.
func runViews(many string, mainFile int, pg bool, only *regexp.Regexp) error {
	if pg {
		return fmt.Errorf("-views works on a kept SQLite fleet; a -postgres run's cluster is removed when it ends")
	}
	cfg := filepath.Join(many, "config.yaml")
	for _, p := range []string{cfg, filepath.Join(many, "notifier.db")} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("-views %s: not a synced fleet kept with -keep: %w", many, err)
		}
	}
	n, err := countCredentials(filepath.Join(many, "credentials.d"))
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "notifier-scale")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin, err := build(dir)
	if err != nil {
		return err
	}
	fmt.Printf("%d credentials, synced (%s)\n", n, many)
	printHeader()
	rows, err := viewsAndDaemon(bin, cfg, only)
	if err != nil {
		return err
	}
	if mainFile > 0 {
		row, err := mainFileTick(bin, filepath.Join(dir, "main"), mainFile, func(string, string) error { return nil })
		if err != nil {
			return err
		}
		rows = append(rows, row)
	}
	printTable(n, "go run ./bench/scale -views "+many, rows)
	return nil
}

// build builds notifier into dir.
func build(dir string) (string, error) {
	bin := filepath.Join(dir, "notifier")
	build := exec.Command("go", "build", "-o", bin, "./cmd/notifier")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("go build (run from the repository root): %w", err)
	}
	return bin, nil
}

// viewsAndDaemon measures every view on the synced fleet of cfg, then the
// idle daemon and one /metrics scrape of it: those only matches.
func viewsAndDaemon(bin, cfg string, only *regexp.Regexp) ([]row, error) {
	var rows []row
	for _, v := range views {
		if !only.MatchString(v.args) {
			continue
		}
		res, err := measure(bin, cfg, v.args, strings.Fields(v.args))
		if err != nil {
			return nil, err
		}
		rows = append(rows, viewRow(v.args, v.limits, res))
	}
	if !only.MatchString("metrics") {
		return rows, nil
	}
	more, err := idleDaemon(bin, cfg)
	if err != nil {
		return nil, err
	}
	return append(rows, more...), nil
}

// mainFileTick writes n credentials in the main config file of a new fleet
// in dir, syncs it, and measures the second tick, nothing changed.
func mainFileTick(bin, dir string, n int, database func(cfg, name string) error) (row, error) {
	cfg, err := writeMainFile(dir, n)
	if err != nil {
		return row{}, err
	}
	if err := database(cfg, "main"); err != nil {
		return row{}, err
	}
	fmt.Printf("\n%d credentials in the main config file (%s)\n", n, dir)
	printHeader()
	if _, err := measure(bin, cfg, "first sync (notifier tick)", []string{"tick", "--at", now.Format(time.RFC3339)}); err != nil {
		return row{}, err
	}
	res, err := measure(bin, cfg, "second tick, nothing changed", []string{"tick", "--at", now.Add(time.Hour).Format(time.RFC3339)})
	if err != nil {
		return row{}, err
	}
	return mainFileRow(n, res), nil
}

// writeMainFile writes a fleet of n credentials in one file, then moves
// them into the main config file in place of its credential_files.
func writeMainFile(dir string, n int) (string, error) {
	cfg, err := fleet.WriteOneFile(dir, n, now)
	if err != nil {
		return "", err
	}
	creds := filepath.Join(dir, "credentials.yaml")
	list, err := os.ReadFile(creds)
	if err != nil {
		return "", err
	}
	body, err := os.ReadFile(cfg)
	if err != nil {
		return "", err
	}
	const files = `credential_files: ["credentials.yaml"]` + "\n"
	if !bytes.Contains(body, []byte(files)) {
		return "", fmt.Errorf("%s has no %q to replace", cfg, strings.TrimSpace(files))
	}
	body = bytes.Replace(body, []byte(files), list, 1)
	if err := os.WriteFile(cfg, body, 0o644); err != nil {
		return "", err
	}
	return cfg, os.Remove(creds)
}

// countCredentials counts the credentials of a generated fleet's files.
func countCredentials(dir string) (int, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			return 0, err
		}
		n += bytes.Count(body, []byte("\n  - {id: "))
	}
	return n, nil
}

func printHeader() {
	fmt.Printf("%-44s %10s %12s %11s %11s %11s\n", "run", "wall", "peak RSS", "first byte", "first row", "stdout")
}

// measure runs one notifier command and prints its wall time, peak RSS,
// when its stdout's first byte and first row came, and its size.
func measure(bin, cfg, name string, args []string) (result, error) {
	cmd := exec.Command(bin, append([]string{"--config", cfg, "--log-level", "warn"}, args...)...)
	// Output is counted, not kept: a child forked from a large parent
	// starts with the parent's peak RSS in its own, so this process stays
	// small.
	var errs tail
	start := time.Now()
	out := &stdoutClock{start: start, now: time.Now}
	cmd.Stdout, cmd.Stderr = out, &errs
	if err := cmd.Run(); err != nil {
		return result{}, fmt.Errorf("%s: %v\n%s", name, err, errs.String())
	}
	res := result{wall: time.Since(start), rssKiB: cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss, out: out} // KiB on Linux
	fmt.Printf("%-44s %9.2fs %9.1f MB %10s %10s %11s\n", name, res.wall.Seconds(), mb(res.rssKiB), seconds(out.first, out.seenFirst), seconds(out.row, out.seenRow), size(out.bytes))
	return res, nil
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

// idleDaemon starts `notifier run` with its HTTP server on a port of
// 127.0.0.1 the system picks (its log names it), waits for its start-up
// tick, reads its resident memory,
// scrapes /metrics once, reads its resident memory again, then stops it
// with SIGTERM.
func idleDaemon(bin, cfg string) ([]row, error) {
	if err := setHTTP(cfg, "127.0.0.1:0"); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--config", cfg, "run", "--init")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer cmd.Process.Kill()
	s := bufio.NewScanner(stderr)
	running, addr := false, ""
	for s.Scan() {
		if strings.Contains(s.Text(), "http listening") {
			addr = logAddr(s.Text())
		}
		if strings.Contains(s.Text(), "notifier running") {
			running = true
			break
		}
	}
	if !running || addr == "" {
		return nil, fmt.Errorf("the daemon did not start (running: %v, its log named the HTTP address: %q)", running, addr)
	}
	go func() {
		for s.Scan() {
		}
	}()
	idle, err := vmRSS(cmd.Process.Pid)
	if err != nil {
		return nil, err
	}
	fmt.Printf("%-44s %10s %9.1f MB\n", "idle daemon (notifier run), RSS after its tick", "", mb(idle))
	scrape := scrapeMetrics("http://" + addr + "/metrics")
	if scrape.err != nil {
		fmt.Printf("%-44s %9.2fs  %v\n", "GET /metrics", scrape.wall.Seconds(), scrape.err)
	} else {
		fmt.Printf("%-44s %9.2fs %12s %10s %10s %11s  %d series\n", "GET /metrics", scrape.wall.Seconds(), "", seconds(scrape.first, true), "", size(scrape.bytes), scrape.series)
	}
	after, err := vmRSS(cmd.Process.Pid)
	if err != nil {
		return nil, err
	}
	fmt.Printf("%-44s %10s %9.1f MB\n", "idle daemon, RSS after one /metrics scrape", "", mb(after))
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("daemon exit: %w", err)
	}
	fmt.Printf("%-44s %9.2fs\n", "daemon stop on SIGTERM", time.Since(start).Seconds())
	return []row{metricsRow(scrape), idleRow(after)}, nil
}

// logAddr is the addr= of a log line ("http listening addr=127.0.0.1:41234"),
// or "".
func logAddr(line string) string {
	for _, f := range strings.Fields(line) {
		if a, ok := strings.CutPrefix(f, "addr="); ok {
			return a
		}
	}
	return ""
}

// setHTTP gives the fleet's config an HTTP server on addr (serving
// /metrics), in place of the one an earlier run gave it.
func setHTTP(cfg, addr string) error {
	body, err := os.ReadFile(cfg)
	if err != nil {
		return err
	}
	var out []string
	for _, line := range strings.SplitAfter(string(body), "\n") {
		if !strings.HasPrefix(line, "http:") && line != "" {
			out = append(out, line)
		}
	}
	out = append(out, "http: {listen: "+addr+"}\n")
	return os.WriteFile(cfg, []byte(strings.Join(out, "")), 0o644)
}

// vmRSS is the resident memory of process pid, in KiB.
func vmRSS(pid int) (int64, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no VmRSS", pid)
}

// scrapeMetrics GETs /metrics once: its time, size and series, or the
// error that ended it (a scrape longer than the server's write timeout is
// cut off) and when.
func scrapeMetrics(url string) scrape {
	start := time.Now()
	resp, err := http.Get(url)
	if err != nil {
		return scrape{wall: time.Since(start), err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return scrape{wall: time.Since(start), err: fmt.Errorf("%s answered %s", url, resp.Status)}
	}
	clock := &stdoutClock{start: start, now: time.Now}
	series, err := countSeries(io.TeeReader(resp.Body, clock))
	return scrape{wall: time.Since(start), first: clock.first, bytes: clock.bytes, series: series, err: err}
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
