package engine

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestUnchangedRefusedFileIsNotParsedAgain: a daemon's second sync of a
// refused file that has not changed does not parse it again (one log line
// says it is still refused, naming its first problem), and the refusal
// stays loud: Refused still names the file and its first problem. Once
// the file changes it is read again.
func TestUnchangedRefusedFileIsNotParsedAgain(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("config.yaml", "database: n.db\ntimezone: UTC\npolicies:\n  standard:\n    - {before: 7d, channels: [out]}\nchannels:\n  out: {type: stdout}\ncredential_files: [bad.yaml]\ncredentials:\n  - {id: main-1, rotated_at: 2026-06-01}\n")
	write("bad.yaml", "credentials:\n"+strings.Repeat("  - 1\n", 300))
	var logs bytes.Buffer
	e, _ := openDaemonEngine(t, filepath.Join(dir, "config.yaml"), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	wantRefusal := "bad.yaml:2: credentials[0]: must be a mapping (and 299 more problem(s))"
	for i, want := range []int{100, 1} {
		logs.Reset()
		if err := e.Sync(context.Background(), serviceNow.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(logs.String(), "must be a mapping"); got != want {
			t.Errorf("sync %d: %d log lines list a problem, want %d\n%s", i+1, got, want, logs.String())
		}
		if r := e.Refused(); len(r) != 1 || r[0].Path != "bad.yaml" || r[0].Problem != wantRefusal {
			t.Errorf("sync %d: refused %+v, want bad.yaml: %q", i+1, r, wantRefusal)
		}
	}
	if want := `msg="config file still refused, unchanged since it was read" file=bad.yaml`; !strings.Contains(logs.String(), want) {
		t.Errorf("second sync's log does not say %q:\n%s", want, logs.String())
	}
	write("bad.yaml", "credentials:\n  - 1\n  - 2\n")
	later := time.Now().Add(time.Minute) // a modification time of its own
	if err := os.Chtimes(filepath.Join(dir, "bad.yaml"), later, later); err != nil {
		t.Fatal(err)
	}
	logs.Reset()
	if err := e.Sync(context.Background(), serviceNow.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(logs.String(), "must be a mapping"); got != 2 {
		t.Errorf("sync of the changed file: %d log lines list a problem, want 2\n%s", got, logs.String())
	}
}
