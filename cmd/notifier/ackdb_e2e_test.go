package main

// End-to-end: an ack link names the database that issued it. A database
// recreated with the same config (and so the same ack_secret) numbers its
// deliveries and cycles as the old one did; an old link POSTed to the
// daemon on the new database is refused and records nothing.

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const ackDBConfig = `database: notifier.db
timezone: UTC
check_schedule: "@hourly"
http:
  listen: %s
  public_url: http://%s
  ack_secret: ${NOTIFIER_ACK_SECRET}
policies:
  standard:
    - {before: 7d, channels: [ops]}
channels:
  ops: {type: webhook, url: "%s"}
credentials:
  - {id: sp-api-prod, name: "SP-API production", rotated_at: %s}
`

func TestEndToEndAckLinkOfARecreatedDatabaseRefused(t *testing.T) {
	hook := newHook(t)
	addr := freeAddr(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "config.yaml")
	rotated := time.Now().UTC().AddDate(0, 0, -175).Format(time.RFC3339)
	if err := os.WriteFile(config, []byte(fmt.Sprintf(ackDBConfig, addr, addr, hook.srv.URL, rotated)), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NOTIFIER_ACK_SECRET", e2eAckSecret)
	e := &env{t: t, dir: dir, config: config, hook: hook}
	at := time.Now().UTC().Format(time.RFC3339)
	link := func() string {
		t.Helper()
		got := e.tick(at)
		if len(got) != 1 || !strings.HasPrefix(got[0].AckURL, "http://"+addr+"/ack/") {
			t.Fatalf("the tick sent %+v, want one reminder with an ack link", got)
		}
		return got[0].AckURL
	}
	linkA := link()
	// The database is recreated: deleted, and the next tick makes a new
	// one, with the same config and ack_secret.
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(filepath.Join(dir, "notifier.db"+suffix)); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	linkB := link()

	d := startDaemon(t, dir, config)
	d.await(t, "http listening", 60*time.Second)
	code, body := httpPostForm(t, linkA, url.Values{"by": {"mallory"}})
	if code != 403 || !strings.Contains(body, "Nothing was recorded") {
		t.Errorf("POST of the old database's link: %d, want 403 and nothing recorded", code)
	}
	if hist := e.history("--type", "ack"); len(hist) != 0 {
		t.Fatalf("the link from database A acknowledged in database B: %+v", hist)
	}
	// The new database's own link works.
	if code, body := httpPostForm(t, linkB, url.Values{"by": {"alice"}}); code != 200 || !strings.Contains(body, "Thank you, alice") {
		t.Fatalf("POST of the new database's link: %d\n%s", code, body)
	}
	if hist := e.history("--type", "ack"); len(hist) != 1 || hist[0].Actor != "alice" {
		t.Errorf("ack history: %+v, want alice's only", hist)
	}
	d.terminate(t, 30*time.Second)
}
