package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// testFullEnv is the test build's full-database switch (fulldisk_testclock.go).
const testFullEnv = "NOTIFIER_TEST_FULL_FILE"

// TestFullDatabaseWhileSendingLosesNoRecord: `notifier run` sends 200
// reminders due now to a webhook, which holds the first requests until the
// database has filled: their outcomes then cannot be recorded. (It let the
// first 20 through and filled the database after them: a fast sender had
// recorded every claimed outcome by then, its next write was a claim, and
// the test waited in vain for an outcome it could not record.) The fill is
// real SQLite: the test build's NOTIFIER_TEST_FULL_FILE holds the database
// at its size with max_page_count, so writes fail with SQLITE_FULL
// "database or disk is full" (a small tmpfs would need root). While it is
// full /readyz says why; once space returns every reminder has reached the
// webhook exactly once and every one is recorded sent.
func TestFullDatabaseWhileSendingLosesNoRecord(t *testing.T) {
	const n = 200
	sink := newKeySink(t, 0, true)
	dir, config := fleetEnv(t, n, sink.srv.URL, "@hourly", time.Now().UTC().Add(-175*24*time.Hour).Format(time.RFC3339))
	addr := listenHTTP(t, config)
	full := filepath.Join(dir, "full")
	d := startDaemonEnv(t, dir, config, append(os.Environ(), testFullEnv+"="+full))
	select { // a send is in flight, claimed, its outcome not yet recorded
	case <-sink.seen:
	case <-time.After(60 * time.Second):
		t.Fatalf("no request reached the webhook:\n%s", d.logs())
	}
	if err := os.WriteFile(full, nil, 0o600); err != nil { // the database is full
		t.Fatal(err)
	}
	sink.release()

	d.await(t, "outcomes not recorded", 60*time.Second)
	// A write that fits in the database's free pages still succeeds while
	// it is "full" (max_page_count bounds growth, not reuse), and /readyz
	// is then rightly 200 until the next write that must grow fails: ask
	// until it says why (a liveness bound, not a timing assertion).
	var code int
	var body string
	for until := time.Now().Add(60 * time.Second); ; {
		code, body = httpGet(t, "http://"+addr+"/readyz")
		if code == http.StatusServiceUnavailable && strings.Contains(body, "outcomes not recorded: ") || time.Now().After(until) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "outcomes not recorded: ") || !strings.Contains(body, "database or disk is full") {
		t.Errorf("/readyz while outcomes cannot be recorded: %d %q; want 503 saying outcomes not recorded: database or disk is full", code, body)
	}
	stalled, _ := sink.counts()

	if err := os.Remove(full); err != nil { // space returns
		t.Fatal(err)
	}
	d.await(t, "outcomes recorded again", 60*time.Second)
	// A liveness bound: what a refused claim left goes out at the next
	// retry pass, within a minute.
	limit := time.After(120 * time.Second)
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for keys, _ := sink.counts(); keys < n; keys, _ = sink.counts() {
		select {
		case <-poll.C:
		case <-limit:
			t.Fatalf("%d of %d reminders reached the webhook after space returned:\n%s", keys, n, d.logs())
		}
	}
	if code, body := httpGet(t, "http://"+addr+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz once space returned: %d %q; want 200", code, body)
	}
	d.terminate(t, 30*time.Second)

	keys, dups := sink.counts()
	st := deliveriesByStatus(t, dir)
	t.Logf("received %d reminders when the engine stalled; in all %d, %d duplicates; records %v", stalled, keys, dups, st)
	if keys != n || dups != 0 {
		t.Errorf("the webhook received %d reminders with %d duplicates, want %d exactly once each", keys, dups, n)
	}
	if st[domain.StatusSent] != n {
		t.Errorf("deliveries %v: want all %d delivered reminders recorded sent", st, n)
	}
}
