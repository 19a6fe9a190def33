// Package browser starts Debian's headless Chromium for the page tests
// and drives it with chromedp (its v0.23 API: chromedp.Do for steps,
// chromedp.Run for one action's value). There is no mock: a page is only proven by
// a browser rendering it.
package browser

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// New starts a headless Chromium for the test, with a new empty profile,
// and returns a context that chromedp actions run in; the browser is closed
// when the test ends. A machine without Chromium fails the test with what
// to install. Every action is bounded by timeout.
func New(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		var err error
		if path, err = exec.LookPath("chromium"); err != nil {
			t.Fatal("chromium is not installed: run scripts/test, which installs Debian's chromium, or apt-get install chromium")
		}
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // root in CI's container
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// Nothing but the page under test: this machine's network is
		// closed, and Chromium's own connections would be refused.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
	}
	// Chromium sometimes exits before it listens when the machine is
	// loaded (seen under a full test run on 2 cores): starting it is tried
	// again, what the test then asserts is not.
	var lastErr error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(opts, chromedp.UserDataDir(t.TempDir()))...)
		ctx, cancelCtx := chromedp.NewContext(alloc)
		if lastErr = chromedp.Do(ctx); lastErr != nil { // starts the browser now
			cancelCtx()
			cancelAlloc()
			t.Logf("start chromium (%s), attempt %d of %d: %v", path, attempt, startAttempts, lastErr)
			continue
		}
		ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
		t.Cleanup(func() {
			cancelTimeout()
			cancelCtx()
			cancelAlloc()
		})
		return ctx
	}
	t.Fatalf("start chromium (%s): %v", path, lastErr)
	return nil
}

// startAttempts bounds how many times New starts Chromium.
const startAttempts = 3

// Artifact keeps a file a test made (a screenshot) for people to look at,
// under $NOTIFIER_TEST_ARTIFACTS or the system's temporary folder, and
// returns its path. Artifacts are never committed.
func Artifact(t testing.TB, name string, data []byte) string {
	t.Helper()
	dir := os.Getenv("NOTIFIER_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "notifier-test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+"-"+name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("artifact: %s", path)
	return path
}
