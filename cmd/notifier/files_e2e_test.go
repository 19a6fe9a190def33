package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFilesFloodOfProblemsIsCapped: a credential file of 5,000 bad items
// (each "must be a mapping") makes every tick exit non-zero naming the
// file and its first problem, with at most MaxProblemsShown problem lines
// and one "... and N more" line in the log, not one line per item.
func TestFilesFloodOfProblemsIsCapped(t *testing.T) {
	e, environ := adminsEnv(t, "")
	e.writeFile("creds/flood.yaml", "credentials:\n"+strings.Repeat("  - 1\n", 5000))
	for _, tick := range []string{"first", "second"} {
		_, errs, code := e.runWithEnv(environ, "tick")
		if want := "creds/flood.yaml:2: credentials[0]: must be a mapping (and 4999 more problem(s))"; code == 0 || !strings.Contains(errs, want) {
			t.Fatalf("%s tick: exit %d; want non-zero naming %q\n%.2000s", tick, code, want, errs)
		}
		if n := strings.Count(errs, "must be a mapping"); n > MaxProblemsShown+2 {
			t.Errorf("%s tick: %d log lines name a problem of the file; want at most %d", tick, n, MaxProblemsShown+2)
		}
		if want := "... and 4900 more"; !strings.Contains(errs, want) {
			t.Errorf("%s tick: the log does not say %q", tick, want)
		}
	}
}

// TestFilesHostileEntriesAreLoud: a FIFO, a symbolic link to /dev/zero and
// a 200 MB file among the credential files make tick exit non-zero naming
// each of them, while the good file is still synced.
func TestFilesHostileEntriesAreLoud(t *testing.T) {
	e, environ := adminsEnv(t, "")
	e.writeFile("creds/good.yaml", "credentials:\n  - {id: good-1, rotated_at: 2026-12-01}\n")
	if err := syscall.Mkfifo(filepath.Join(e.dir, "creds/fifo.yaml"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(e.dir, "creds/zero.yaml")); err != nil {
		t.Fatal(err)
	}
	big, err := os.Create(filepath.Join(e.dir, "creds/big.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := big.Truncate(200 << 20); err != nil { // sparse: no 200 MB written
		t.Fatal(err)
	}
	big.Close()
	_, errs, code := e.runWithEnv(environ, "tick")
	last := errs[strings.LastIndex(strings.TrimSuffix(errs, "\n"), "\n")+1:]
	if code == 0 || !strings.HasPrefix(last, "notifier: 3 config file(s) refused") {
		t.Fatalf("tick: exit %d, last line %q; want non-zero, 3 files refused\n%s", code, last, errs)
	}
	for _, want := range []string{
		"creds/big.yaml: cannot read: 209715200 bytes, more than the 64 MiB a config file may hold",
		"creds/fifo.yaml: cannot read: a named pipe, not a regular file",
		"creds/zero.yaml: cannot read: a device, not a regular file",
	} {
		if !strings.Contains(last, want) {
			t.Errorf("tick's error does not name %q: %s", want, last)
		}
	}
	if !strings.Contains(errs, `msg="config file synced" file=creds/good.yaml added=1`) {
		t.Errorf("the good file was not synced:\n%s", errs)
	}
}

// TestMetricsOnItsOwnAddress: with http.metrics_listen, `run` serves
// /metrics there and only there; the API's address keeps /readyz and
// answers /metrics 404, and the metrics address serves nothing else.
func TestMetricsOnItsOwnAddress(t *testing.T) {
	api, metrics := freeAddr(t), freeAddr(t)
	e, environ := adminsEnv(t, "http: {listen: "+api+", metrics_listen: "+metrics+"}")
	e.writeFile("creds/good.yaml", "credentials:\n  - {id: good-1, rotated_at: 2026-12-01}\n")
	d := startDaemonEnv(t, e.dir, e.config, environ)
	d.await(t, "notifier running", 60*time.Second)
	for _, tc := range []struct {
		url, want string
		code      int
	}{
		{"http://" + metrics + "/metrics", "notifier_config_files_refused 0", http.StatusOK},
		{"http://" + api + "/metrics", "404 page not found", http.StatusNotFound},
		{"http://" + api + "/readyz", "ready", http.StatusOK},
		{"http://" + metrics + "/readyz", "404 page not found", http.StatusNotFound},
	} {
		if code, body := httpGet(t, tc.url); code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s: %d %.200q; want %d with %q", tc.url, code, body, tc.code, tc.want)
		}
	}
	d.terminate(t, 30*time.Second)
}
