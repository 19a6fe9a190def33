// Command flood measures `notifier run` under a flood of concurrent
// /metrics scrapes, through the real binary, everything on 127.0.0.1
// (issue 17, "300 concurrent /metrics scrapes"):
//
//	go build -o /tmp/notifier ./cmd/notifier
//	go run ./bench/flood -bin /tmp/notifier -n 2000 -scrapers 300
//	go run ./bench/flood -bin /tmp/notifier -n 20000 -scrapers 500
//
// It writes a config (check_schedule every minute, http.listen on
// 127.0.0.1, one webhook channel to a sink this program serves) and n
// credentials in a credential file: n-due far from their deadlines, and
// `due` whose deadlines fall one batch a minute during the flood, so that
// every tick has reminders to send. It starts `notifier run --init`, waits
// for its start-up tick, then scrapes /metrics with `scrapers` goroutines
// (each scrapes again as soon as an answer is read, 503s included) for
// `duration`, while it polls /healthz once a second and samples the
// daemon's /proc status (VmHWM, VmRSS) and file descriptors. It prints:
// the delay of each minute's tick (the log's tick line against the
// minute), the minutes with no tick, peak and after-flood memory, open
// descriptors (all, and those on the database's files) and /healthz.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("bin", "", "the notifier binary to measure (required)")
	n := flag.Int("n", 2000, "credentials in the fleet")
	due := flag.Int("due", 50, "credentials whose deadlines fall during the flood, spread over its minutes")
	scrapers := flag.Int("scrapers", 300, "concurrent /metrics scrapers")
	duration := flag.Duration("duration", 3*time.Minute, "how long the flood lasts")
	after := flag.Duration("after", 30*time.Second, "how long to wait after the flood before the 'after' sample")
	init := flag.Bool("init", true, "pass --init to run (false for a binary from before --init, whose run creates the database)")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "flood: -bin is required")
		os.Exit(2)
	}
	if err := run(*bin, *n, *due, *scrapers, *duration, *after, *init); err != nil {
		fmt.Fprintln(os.Stderr, "flood:", err)
		os.Exit(1)
	}
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func run(bin string, n, due, scrapers int, duration, after time.Duration, initDB bool) error {
	dir, err := os.MkdirTemp("", "notifier-flood")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// The webhook sink: counts what arrives.
	var received atomic.Int64
	sink := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		received.Add(1)
		w.WriteHeader(http.StatusOK)
	})}
	sl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go sink.Serve(sl)
	defer sink.Close()

	addr, err := freePort()
	if err != nil {
		return err
	}
	start := time.Now().UTC()
	// The flood starts after the start-up tick; deadlines fall from the
	// second minute after start to the end of the flood.
	floodMinutes := int(duration/time.Minute) + 1
	cfg := fmt.Sprintf(`database: notifier.db
timezone: UTC
check_schedule: "* * * * *"
defaults: {rotation_period: 180d, policy: standard}
policies:
  standard:
    - {before: 30d, channels: [hook]}
    - {after: 0s, channels: [hook]}
http:
  listen: %s
  public_url: http://%s
  ack_secret: ${NOTIFIER_ACK_SECRET}
channels:
  hook: {type: webhook, url: "http://%s/hook"}
credential_files: [credentials.yaml]
`, addr, addr, sl.Addr())
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(cfg), 0o644); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("credentials:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  - {id: cred-%06d, name: \"Credential %d\", owner: team-%d", i, i, i%50)
		if i < due {
			// rotated 10 days ago, its deadline in minute 2 + i%floodMinutes
			dl := start.Truncate(time.Minute).Add(time.Duration(2+i%floodMinutes) * time.Minute)
			fmt.Fprintf(&b, ", rotated_at: %s, expires_at: %s}\n",
				start.AddDate(0, 0, -10).Format(time.RFC3339), dl.Format(time.RFC3339))
		} else {
			fmt.Fprintf(&b, ", rotated_at: %s}\n", start.AddDate(0, 0, -1-i%120).Format("2006-01-02"))
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "credentials.yaml"), []byte(b.String()), 0o644); err != nil {
		return err
	}

	logf, err := os.Create(filepath.Join(dir, "run.log"))
	if err != nil {
		return err
	}
	args := []string{"run", "--config", filepath.Join(dir, "config.yaml")}
	if initDB {
		args = append(args, "--init")
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "NOTIFIER_ACK_SECRET="+strings.Repeat("k", 40))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	pid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		<-exited
	}()

	base := "http://" + addr
	client := &http.Client{Timeout: 5 * time.Second}
	// Wait for the start-up tick.
	deadline := time.Now().Add(5 * time.Minute)
	for !strings.Contains(readFile(logf.Name()), "msg=tick") {
		if time.Now().After(deadline) {
			return fmt.Errorf("no start-up tick in 5 minutes:\n%s", readFile(logf.Name()))
		}
		select {
		case err := <-exited:
			exited <- err
			return fmt.Errorf("notifier run exited before its start-up tick (%v):\n%s", err, readFile(logf.Name()))
		case <-time.After(200 * time.Millisecond):
		}
	}
	idle := sample(pid, dir)
	fmt.Printf("binary %s, %d credentials (%d due during the flood), %d scrapers for %s\n", bin, n, due, scrapers, duration)
	fmt.Printf("before the flood: VmRSS %s, VmHWM %s, fds %d (db %d)\n", mb(idle.rss), mb(idle.hwm), idle.fds, idle.dbfds)

	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	floodStart := time.Now()
	tr := &http.Transport{MaxIdleConnsPerHost: scrapers, MaxConnsPerHost: 0}
	scrape := &http.Client{Transport: tr, Timeout: 2 * time.Minute}
	var ok200, other, errs atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < scrapers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
				resp, err := scrape.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						errs.Add(1)
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					ok200.Add(1)
				} else {
					other.Add(1)
				}
			}
		}()
	}
	// /healthz once a second, and /proc samples.
	var hOK, hFail int
	var hMax time.Duration
	var peakFDs, peakDB int
	tk := time.NewTicker(time.Second)
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-tk.C:
			t0 := time.Now()
			resp, err := client.Get(base + "/healthz")
			d := time.Since(t0)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if err == nil && resp.StatusCode == 200 {
				hOK++
			} else {
				hFail++
			}
			hMax = max(hMax, d)
			s := sample(pid, dir)
			peakFDs, peakDB = max(peakFDs, s.fds), max(peakDB, s.dbfds)
		}
	}
	tk.Stop()
	wg.Wait()
	tr.CloseIdleConnections()
	floodEnd := time.Now()
	end := sample(pid, dir)
	time.Sleep(after)
	rest := sample(pid, dir)

	fmt.Printf("scrapes: %d answered 200, %d other statuses, %d errors\n", ok200.Load(), other.Load(), errs.Load())
	fmt.Printf("/healthz during the flood: %d ok, %d failed, slowest %s\n", hOK, hFail, hMax.Round(time.Millisecond))
	fmt.Printf("memory: peak VmHWM %s; VmRSS at the flood's end %s, %s later %s\n", mb(end.hwm), mb(end.rss), after, mb(rest.rss))
	fmt.Printf("fds: peak %d (db %d) during; %d (db %d) at the end; %d (db %d) %s later\n", peakFDs, peakDB, end.fds, end.dbfds, rest.fds, rest.dbfds, after)
	fmt.Printf("reminders received by the sink: %d\n", received.Load())
	ticks(readFile(logf.Name()), floodStart, floodEnd)
	return nil
}

var tickLine = regexp.MustCompile(`msg=tick at=(\S+)`)

// ticks prints each minute's tick delay in [from, to) and the minutes
// with no tick.
func ticks(log string, from, to time.Time) {
	ran := map[time.Time]time.Duration{}
	for _, m := range tickLine.FindAllStringSubmatch(log, -1) {
		at, err := time.Parse(time.RFC3339, m[1])
		if err != nil {
			continue
		}
		minute := at.Truncate(time.Minute)
		if _, seen := ran[minute]; !seen {
			ran[minute] = at.Sub(minute)
		}
	}
	var delays []string
	var worst time.Duration
	skipped := 0
	for m := from.Truncate(time.Minute).Add(time.Minute); m.Before(to); m = m.Add(time.Minute) {
		d, ok := ran[m.UTC()]
		if !ok {
			skipped++
			delays = append(delays, m.UTC().Format("15:04")+" none")
			continue
		}
		worst = max(worst, d)
		delays = append(delays, fmt.Sprintf("%s +%ds", m.UTC().Format("15:04"), int(d.Seconds())))
	}
	sort.Strings(delays)
	fmt.Printf("ticks during the flood: %s; worst delay %ds; minutes without a tick: %d\n", strings.Join(delays, ", "), int(worst.Seconds()), skipped)
}

type stat struct{ rss, hwm, fds, dbfds int }

// sample reads the process's memory (kB) and counts its descriptors, and
// those on the database's files (notifier.db, -wal, -shm) in dir.
func sample(pid int, dir string) stat {
	var s stat
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var v int
			if _, err := fmt.Sscanf(sc.Text(), "VmRSS: %d kB", &v); err == nil {
				s.rss = v
			}
			if _, err := fmt.Sscanf(sc.Text(), "VmHWM: %d kB", &v); err == nil {
				s.hwm = v
			}
		}
		f.Close()
	}
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, _ := os.ReadDir(fdDir)
	for _, e := range ents {
		s.fds++
		if t, err := os.Readlink(filepath.Join(fdDir, e.Name())); err == nil && strings.HasPrefix(t, filepath.Join(dir, "notifier.db")) {
			s.dbfds++
		}
	}
	return s
}

func mb(kb int) string { return fmt.Sprintf("%.1f MB", float64(kb)/1024) }

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
