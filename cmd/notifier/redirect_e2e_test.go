package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

const redirectConfig = `database: notifier.db
timezone: UTC
policies:
  standard:
    - {before: 7d, channels: [ops]}
channels:
  ops:
    type: webhook
    url: "%s/hook"
    headers: {X-Api-Key: "${HOOK_API_KEY}"}
credentials:
  - {id: sp-api-prod, name: "SP-API production (LWA client secret)", owner: integrations, rotated_at: 2026-06-01}
`

// TestEndToEndWebhookRedirectToAnotherHost: a webhook answering 307 to
// another host; the other host receives nothing (not the X-Api-Key, not
// the body with its ack link), and the delivery is recorded failed with
// the status, at once (a redirect is the receiver's deterministic answer).
func TestEndToEndWebhookRedirectToAnotherHost(t *testing.T) {
	const apiKey = "hook-api-key-SEKRIT-4711"
	var (
		mu     sync.Mutex
		stolen []string
		asked  int
	)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		stolen = append(stolen, r.Header.Get("X-Api-Key")+" "+string(body))
	}))
	defer other.Close()
	redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked++
		mu.Unlock()
		http.Redirect(w, r, other.URL+"/collect", http.StatusTemporaryRedirect)
	}))
	defer redirecting.Close()

	e := newEnv(t, "2026-06-01")
	e.writeConfig(fmt.Sprintf(redirectConfig, redirecting.URL))
	t.Setenv("HOOK_API_KEY", apiKey)
	out, errs, code := e.run("tick", "--at", "2026-11-21T00:00:00Z")
	if code != 0 {
		t.Fatalf("tick: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	mu.Lock()
	if len(stolen) != 0 || asked != 1 {
		t.Errorf("the other host received %d requests %q, the webhook %d; want 0 and 1", len(stolen), stolen, asked)
	}
	mu.Unlock()
	if !strings.Contains(out, "1 failed") || !strings.Contains(out, "307 Temporary Redirect") {
		t.Errorf("tick with a redirect: %s", out)
	}
	if strings.Contains(out+errs, apiKey) {
		t.Errorf("the API key is shown:\n%s\n%s", out, errs)
	}
	var got []string
	for _, r := range e.history("--type", "reminder") {
		got = append(got, r.Stage+":"+r.Status+": "+r.Detail)
	}
	want := "7d:failed: attempt 1: webhook ops: POST " + redirecting.URL + "/…: 307 Temporary Redirect (redirect to " + other.URL + " not followed)"
	if strings.Join(got, "\n") != want {
		t.Errorf("reminder history:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
	if st := e.status("2026-11-21T00:00:00Z")["sp-api-prod"]; st.FailedDeliveries != 1 {
		t.Errorf("status failed deliveries: %+v", st)
	}
}
