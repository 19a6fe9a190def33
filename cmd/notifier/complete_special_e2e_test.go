package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestCompletionSkipsWhatIsNotARegularFile: a credential file (or the
// config itself) that is a named pipe or a device is skipped, as the
// config loader refuses it: a TAB never waits for a writer that never
// comes, nor reads a device that never ends. The bound is a liveness
// bound: a hang is killed after it and fails the test.
func TestCompletionSkipsWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	pipe := filepath.Join(dir, "pipe.yaml")
	if err := syscall.Mkfifo(pipe, 0o600); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "config.yaml")
	body := "database: notifier.db\ncredential_files: [\"pipe.yaml\", \"/dev/zero\", \"creds.yaml\"]\ncredentials:\n  - {id: sp-api-prod, rotated_at: 2026-06-01}\n"
	if err := os.WriteFile(config, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "creds.yaml"), []byte("credentials:\n  - {id: sp-api-eu, rotated_at: 2026-06-01}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, config string
		want         string
	}{
		{"credential files: a pipe and a device", config, "sp-api-prod\nsp-api-eu\n:4\n"},
		{"the config itself a pipe", pipe, ":4\n"},
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		cmd := exec.CommandContext(ctx, binary, "--config", tc.config, "__complete", "ack", "sp")
		cmd.Dir, cmd.Env = dir, withEnv()
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		killed := ctx.Err() != nil
		cancel()
		if killed {
			t.Errorf("%s: __complete still running after 20 s (killed)", tc.name)
			continue
		}
		if err != nil || out.String() != tc.want {
			t.Errorf("%s: __complete: %v\nstdout %q, want %q\nstderr %s", tc.name, err, out.String(), tc.want, errb.String())
		}
	}
}
