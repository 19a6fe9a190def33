// Command console-load measures `notifier run`'s memory while many
// clients page through the console of a large fleet (issue 20: "the
// daemon's memory stays under 100 MB while 50 clients page through the
// fleet"), through the real binary, everything on 127.0.0.1:
//
//	go build -o /tmp/notifier ./cmd/notifier
//	CONSOLE_PASSWORD=… CONSOLE_TOKEN=… go run ./bench/console-load \
//	    -bin /tmp/notifier -config /tmp/m1m/config.yaml -user load
//
// The config must serve the console (http.console with a users file that
// has -user with $CONSOLE_PASSWORD, and an api_tokens entry whose sha256
// is that of $CONSOLE_TOKEN). It starts `notifier run` in the config's
// folder, waits for /readyz and the start-up tick (the first sync),
// samples the daemon's memory when idle, resets its peak (clear_refs),
// then runs -clients clients for -duration: each signs in (a cookie jar)
// and, in turn, pages through the fleet page `/` with one of -filters
// (none, a state, an owner) five pages deep along its Next link, opens
// credential pages, and pages through /api/v1/credentials following
// "next". Meanwhile it samples /proc/PID/status (VmRSS) every 100 ms. It
// prints the peak (VmHWM, and the highest VmRSS sample during the load),
// the idle RSS after the sync and after the load, and the latency of each
// kind of request (median, p95, max: the server's time plus loopback).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("bin", "", "the notifier binary to measure (required)")
	cfg := flag.String("config", "", "the config file; it must serve the console (required)")
	addr := flag.String("addr", "", "the console's address (default: http.listen read from the config)")
	user := flag.String("user", "load", "the console user (its password: $CONSOLE_PASSWORD)")
	clients := flag.Int("clients", 50, "concurrent clients")
	duration := flag.Duration("duration", time.Minute, "how long the load lasts")
	owners := flag.Int("owners", 1000, "owner filters used are team-0 … team-(owners-1)")
	filters := flag.String("filters", ",state=ok,state=due,owner=team-%d", "the fleet filters the clients take in turn, comma-separated (%d: an owner's number)")
	flag.Parse()
	if *bin == "" || *cfg == "" {
		fmt.Fprintln(os.Stderr, "console-load: -bin and -config are required")
		os.Exit(2)
	}
	l := &load{user: *user, password: os.Getenv("CONSOLE_PASSWORD"), token: os.Getenv("CONSOLE_TOKEN"), owners: *owners, filters: strings.Split(*filters, ",")}
	if err := l.run(*bin, *cfg, *addr, *clients, *duration); err != nil {
		fmt.Fprintln(os.Stderr, "console-load:", err)
		os.Exit(1)
	}
}

type load struct {
	base, user, password, token string
	owners                      int
	filters                     []string
	mu                          sync.Mutex
	lat                         map[string][]time.Duration
	errs                        atomic.Int64
	firstErr                    atomic.Value
}

var listenRE = regexp.MustCompile(`(?m)^\s*listen:\s*"?([^"\s#}]+)`)

func (l *load) run(bin, cfg, addr string, clients int, duration time.Duration) error {
	if addr == "" {
		b, err := os.ReadFile(cfg)
		if err != nil {
			return fmt.Errorf("config: %w", err)
		}
		m := listenRE.FindSubmatch(b)
		if m == nil {
			return errors.New("config: no http.listen: give -addr")
		}
		addr = string(m[1])
	}
	l.base = "http://" + addr
	l.lat = map[string][]time.Duration{}
	abs, err := filepath.Abs(cfg)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "run", "--config", abs)
	cmd.Dir = filepath.Dir(abs)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM} // the daemon ends with this program
	logf, err := os.Create(filepath.Join(os.TempDir(), "console-load-daemon.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	defer func() { cmd.Process.Signal(syscall.SIGTERM); <-exited }()
	pid := cmd.Process.Pid
	fmt.Printf("daemon pid %d, log %s\n", pid, logf.Name())
	if err := waitReady(l.base, logf.Name(), exited, 10*time.Minute); err != nil {
		return err
	}
	fmt.Printf("ready after %s (start-up sync)\n", time.Since(start).Round(time.Millisecond))
	time.Sleep(5 * time.Second) // let the sync's garbage go
	idle := status(pid)
	fmt.Printf("idle after the first sync: VmRSS %d MB, VmHWM %d MB (the sync's peak)\n", idle["VmRSS"]/1024, idle["VmHWM"]/1024)
	// Reset the peak so that VmHWM measures the load alone.
	os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	var maxRSS atomic.Int64
	samplerDone := make(chan struct{})
	var samples []int64
	go func() {
		defer close(samplerDone)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				r := status(pid)["VmRSS"]
				samples = append(samples, r)
				if r > maxRSS.Load() {
					maxRSS.Store(r)
				}
			}
		}
	}()
	var wg sync.WaitGroup
	var requests atomic.Int64
	for i := range clients {
		wg.Go(func() { l.client(ctx, i, &requests) })
	}
	wg.Wait()
	<-samplerDone
	st := status(pid)
	fmt.Printf("%d clients for %s: %d requests, %d errors", clients, duration, requests.Load(), l.errs.Load())
	if e, ok := l.firstErr.Load().(string); ok {
		fmt.Printf(" (first: %s)", e)
	}
	fmt.Println()
	fmt.Printf("peak during the load: VmHWM %d MB, highest VmRSS sample %d MB\n", st["VmHWM"]/1024, maxRSS.Load()/1024)
	if len(samples) > 0 {
		s := append([]int64(nil), samples...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		fmt.Printf("VmRSS over the load: median %d MB, p95 %d MB\n", s[len(s)/2]/1024, s[len(s)*95/100]/1024)
	}
	time.Sleep(5 * time.Second)
	fmt.Printf("5 s after the load: VmRSS %d MB\n", status(pid)["VmRSS"]/1024)
	kinds := make([]string, 0, len(l.lat))
	for k := range l.lat {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		d := l.lat[k]
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		fmt.Printf("%-22s n=%-6d median %-8s p95 %-8s max %s\n", k, len(d), ms(d[len(d)/2]), ms(d[len(d)*95/100]), ms(d[len(d)-1]))
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

// client signs in and pages until ctx ends.
func (l *load) client(ctx context.Context, i int, requests *atomic.Int64) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: time.Minute}
	form := url.Values{"user": {l.user}, "password": {l.password}}
	if code, _, err := l.do(ctx, c, "login", http.MethodPost, "/login", form); err != nil || code != http.StatusOK {
		l.fail(fmt.Sprintf("login: %d %v", code, err))
		return
	}
	filters := l.filters
	for n := 0; ctx.Err() == nil; n++ {
		f := filters[(i+n)%len(filters)]
		if strings.Contains(f, "%d") {
			f = fmt.Sprintf(f, (i*7+n)%l.owners)
		}
		// The fleet page, five pages deep along its Next links.
		path := "/?" + f
		for p := 0; p < 5 && path != "" && ctx.Err() == nil; p++ {
			code, body, err := l.do(ctx, c, "fleet page", http.MethodGet, path, nil)
			requests.Add(1)
			if err != nil || code != http.StatusOK {
				l.fail(fmt.Sprintf("GET %s: %d %v", path, code, err))
				break
			}
			ids := credRE.FindAllStringSubmatch(body, -1)
			if len(ids) > 0 && p%2 == 0 {
				id := ids[(i+p)%len(ids)][1]
				if code, _, err := l.do(ctx, c, "credential page", http.MethodGet, "/credentials/"+id, nil); err != nil || code != http.StatusOK {
					l.fail(fmt.Sprintf("credential %s: %d %v", id, code, err))
				}
				requests.Add(1)
			}
			path = ""
			if m := nextRE.FindStringSubmatch(body); m != nil {
				path = strings.ReplaceAll(m[1], "&amp;", "&")
			}
		}
		// The API, five pages deep along "next".
		after := ""
		for p := 0; p < 5 && ctx.Err() == nil; p++ {
			q := "/api/v1/credentials?limit=50&" + f
			if after != "" {
				q += "&after=" + url.QueryEscape(after)
			}
			code, body, err := l.do(ctx, c, "api list", http.MethodGet, q, nil)
			requests.Add(1)
			if err != nil || code != http.StatusOK {
				l.fail(fmt.Sprintf("GET %s: %d %v", q, code, err))
				break
			}
			var page struct {
				Next *string `json:"next"`
			}
			if err := json.Unmarshal([]byte(body), &page); err != nil || page.Next == nil {
				break
			}
			after = *page.Next
		}
	}
}

var (
	credRE = regexp.MustCompile(`href="/credentials/([^"/?#]+)"`)
	nextRE = regexp.MustCompile(`id="next" href="([^"]+)"`)
)

func (l *load) fail(s string) {
	l.errs.Add(1)
	l.firstErr.CompareAndSwap(nil, s)
}

func (l *load) do(ctx context.Context, c *http.Client, kind, method, path string, form url.Values) (int, string, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, l.base+path, body)
	if err != nil {
		return 0, "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if strings.HasPrefix(path, "/api/") {
		req.Header.Set("Authorization", "Bearer "+l.token)
	}
	t := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 200, "", nil
		}
		return 0, "", err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(t)
	if ctx.Err() != nil {
		return 200, "", nil // cut off by the end of the load: not counted
	}
	l.mu.Lock()
	l.lat[kind] = append(l.lat[kind], d)
	l.mu.Unlock()
	return resp.StatusCode, string(b), err
}

// waitReady waits for /readyz and the start-up tick's line in the log
// (the first sync is done).
func waitReady(base, log string, exited <-chan struct{}, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("the daemon exited before it was ready: see its log")
		default:
		}
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			b, _ := os.ReadFile(log)
			if resp.StatusCode == http.StatusOK && strings.Contains(string(b), "msg=tick ") {
				return nil
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("the daemon was not ready at %s/readyz after %s", base, limit)
}

// status reads the kB figures of /proc/PID/status.
func status(pid int) map[string]int64 {
	out := map[string]int64{}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		if fs := strings.Fields(v); len(fs) == 2 && fs[1] == "kB" {
			n, _ := strconv.ParseInt(fs[0], 10, 64)
			out[k] = n
		}
	}
	return out
}
