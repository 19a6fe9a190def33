package engine

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// A digest whose claim is lost while its send lasts (the claim expired
// and another process, on the same database file, claimed and sent it) is
// not recorded nor reported as sent by the sender that lost it: the
// outbox row is the other's, the loser's history event says the claim had
// been lost, and the loser does not log it sent.
func TestDigestOfALostClaimIsNotRecordedAsSentByTheLoser(t *testing.T) {
	ttl := time.Minute
	var (
		requests atomic.Int32
		other    *Engine
		otherErr error
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The first sender's request: while it lasts, its claim expires and
		// the other process takes the digest and sends it.
		if requests.Add(1) == 1 {
			_, otherErr = other.Retry(context.Background(), serviceNow.Add(2*ttl))
		}
	}))
	t.Cleanup(hook.Close)
	path := filepath.Join(t.TempDir(), "config.yaml")
	cfg := fmt.Sprintf(`timezone: UTC
policies:
  standard:
    - {before: 7d, channels: [hook]}
channels:
  hook: {type: webhook, url: %q, digest: {schedule: "0 0 * * *", due_within: 14d, instead: true}}
credentials:
  - {id: alpha, rotated_at: 2026-06-01}
`, hook.URL)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	first, store := openEngine(t, path, WithClaimTTL(ttl), WithClaimant("first"), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	other, _ = openEngine(t, path, WithClaimant("other"))

	if _, err := first.Tick(context.Background(), serviceNow); err != nil {
		t.Fatalf("tick: %v", err)
	}
	if otherErr != nil {
		t.Fatalf("the other process's retry: %v", otherErr)
	}
	if n := requests.Load(); n != 2 {
		t.Fatalf("%d digests reached the webhook, want 2 (the lost claim's and the other's)", n)
	}
	evs, err := store.History(context.Background(), domain.HistoryFilter{Type: domain.EventDigest})
	if err != nil {
		t.Fatal(err)
	}
	var sent, lost int
	for _, ev := range evs {
		switch {
		case strings.Contains(ev.Detail, "claim had been lost"):
			lost++
		case ev.Status == domain.StatusSent:
			sent++
		}
	}
	if sent != 1 || lost != 1 {
		t.Errorf("history: %d digests sent and %d marked as a lost claim, want 1 and 1: %+v", sent, lost, evs)
	}
	if strings.Contains(logs.String(), `msg="digest sent"`) {
		t.Errorf("the sender that lost the claim logged the digest sent:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "claim") {
		t.Errorf("the sender that lost the claim did not say so:\n%s", logs.String())
	}
}
