package main

// End-to-end tests of a database file deleted or replaced under a running
// `notifier run`, and of a start that would create a new database.

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDatabaseFileDeletedOrReplacedUnderRun: the daemon notices that the
// file at its database's path is no longer the one it opened (deleted, or
// replaced by a copy: another inode), fails /readyz saying so, and exits 1
// with one line naming the file. A start without --init then refuses to
// create the missing database and creates nothing; with --init it
// creates it and runs.
func TestDatabaseFileDeletedOrReplacedUnderRun(t *testing.T) {
	cases := []struct {
		name   string
		change func(t *testing.T, db string)
		word   string // what the daemon says happened
	}{
		{"deleted", func(t *testing.T, db string) {
			if err := os.Remove(db); err != nil {
				t.Fatal(err)
			}
		}, "deleted"},
		{"replaced by a copy", func(t *testing.T, db string) {
			b, err := os.ReadFile(db)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(db+".restored", b, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(db+".restored", db); err != nil {
				t.Fatal(err)
			}
		}, "replaced"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sink := newKeySink(t, 0, false)
			dir, config := fleetEnv(t, 3, sink.srv.URL, "@hourly", time.Now().UTC().Add(-10*24*time.Hour).Format(time.RFC3339))
			addr := listenHTTP(t, config)
			db := filepath.Join(dir, "notifier.db")

			d := startDaemon(t, dir, config)
			d.await(t, "notifier running", 60*time.Second)
			if code, body := httpGet(t, "http://"+addr+"/readyz"); code != 200 {
				t.Fatalf("/readyz before: %d %q", code, body)
			}
			tc.change(t, db)
			if code, body := httpGet(t, "http://"+addr+"/readyz"); code != 503 || !strings.Contains(body, db) || !strings.Contains(body, tc.word) {
				t.Errorf("/readyz once the file was %s: %d %q; want 503 naming %s", tc.name, code, body, db)
			}
			select {
			case err := <-d.done:
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.ExitCode() != 1 {
					t.Errorf("exit: %v, want status 1\n%s", err, d.logs())
				}
			case <-time.After(60 * time.Second):
				t.Fatalf("still running after the database file was %s:\n%s", tc.name, d.logs())
			}
			lines := strings.Split(strings.TrimSpace(d.logs()), "\n")
			if last := lines[len(lines)-1]; !strings.HasPrefix(last, "notifier: ") || !strings.Contains(last, db) || !strings.Contains(last, tc.word) {
				t.Errorf("the last line does not say the database file was %s: %q", tc.word, last)
			}
			if tc.word != "deleted" {
				return
			}

			// Started again: the database is missing, and run does not
			// create an empty one in its place.
			cmd := exec.Command(binary, "--config", config, "run")
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); err == nil || code != 1 {
				t.Errorf("run without --init on a missing database: exit %d (%v), want 1\n%s", code, err, out)
			}
			if got := strings.TrimSpace(string(out)); strings.Count(got, "\n") != 0 || !strings.Contains(got, db) || !strings.Contains(got, "--init") {
				t.Errorf("the refusal is not one line naming the database and --init: %q", got)
			}
			if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("run without --init created %s (%v)", db, err)
			}
			again := startDaemon(t, dir, config, "--init")
			again.await(t, "notifier running", 60*time.Second)
			if _, err := os.Stat(db); err != nil {
				t.Errorf("run --init did not create the database: %v", err)
			}
			again.terminate(t, 15*time.Second)
		})
	}
}

// listenHTTP adds an http block listening on a free 127.0.0.1 port to the
// config and returns the address.
func listenHTTP(t *testing.T, config string) string {
	t.Helper()
	addr := freeAddr(t)
	f, err := os.OpenFile(config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("http: {listen: " + addr + "}\n"); err != nil {
		t.Fatal(err)
	}
	return addr
}
