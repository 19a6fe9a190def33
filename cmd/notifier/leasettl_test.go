package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// A lease TTL below MinLeaseTTL is refused before anything is opened,
// with a line naming the flag (a TTL of nanoseconds used to panic in the
// renewal's ticker).
func TestRunRefusesATooShortLeaseTTL(t *testing.T) {
	for _, ttl := range []string{"2ns", "999ms", "-1s", "0s"} {
		var stdout, stderr bytes.Buffer
		code := Execute(context.Background(), []string{"--config", "/nonexistent/config.yaml", "run", "--lease-ttl", ttl}, &stdout, &stderr)
		if code == 0 || !strings.Contains(stderr.String(), "--lease-ttl "+ttl) || !strings.Contains(stderr.String(), "at least 1s") {
			t.Errorf("run --lease-ttl %s: exit %d, stderr %q; want a refusal naming the flag and its minimum", ttl, code, stderr.String())
		}
		if strings.Count(strings.TrimSpace(stderr.String()), "\n") != 0 {
			t.Errorf("run --lease-ttl %s: %d lines on stderr, want one: %q", ttl, strings.Count(stderr.String(), "\n"), stderr.String())
		}
	}
}
