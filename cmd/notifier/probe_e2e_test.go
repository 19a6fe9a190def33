package main

// End-to-end test of the probe of an SP-API client secret (issue 11): the
// binary exchanges the refresh token at an LWA token endpoint (httptest:
// Amazon's cannot be reached from tests) that answers as each step says.

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func TestEndToEndProbe(t *testing.T) {
	const secret, refresh = "amzn1.oa2-cs.v1.E2E+PROBE/SEKRIT=", "Atzr|E2E+REFRESH/SEKRIT="
	t.Setenv("LWA_CLIENT_SECRET", secret)
	t.Setenv("LWA_REFRESH_TOKEN", refresh)
	var mode atomic.Value
	lwa := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch mode.Load() {
		case "ok":
			io.WriteString(w, `{"access_token":"Atza|E2E-ACCESS-SEKRIT","token_type":"bearer","expires_in":3600}`)
		case "invalid_client":
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"invalid_client","error_description":"Client authentication failed"}`)
		case "429":
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"error":"TooManyRequests"}`)
		}
	}))
	defer lwa.Close()
	e := newEnv(t, "2026-06-01")
	e.writeCreds(`  - id: sp-api-prod
    rotated_at: 2026-06-01
    lwa:
      client_id: amzn1.application-oa2-client.e2eprobe
      client_secret: ${LWA_CLIENT_SECRET}
      refresh_token: ${LWA_REFRESH_TOKEN}
      token_url: ` + lwa.URL + `/auth/o2/token
      probe: 24h
`)
	var outputs bytes.Buffer
	run := func(args ...string) (string, int) {
		t.Helper()
		out, errs, code := e.run(args...)
		outputs.WriteString(out + errs)
		return out + errs, code
	}

	mode.Store("ok")
	out, code := run("probe", "sp-api-prod", "--at", "2026-07-01T10:00:00Z")
	if code != 0 || !strings.Contains(out, "sp-api-prod: Amazon accepts the client secret (verified at 2026-07-01T10:00:00Z)") {
		t.Fatalf("probe ok: exit %d\n%s", code, out)
	}
	if st := e.status("2026-07-01T11:00:00Z")["sp-api-prod"]; st.State != "ok" {
		t.Errorf("status: %+v", st)
	}
	table, _ := run("status", "--at", "2026-07-01T11:00:00Z")
	if !strings.Contains(table, "VERIFIED") || !strings.Contains(table, "2026-07-01 10:00 UTC") {
		t.Errorf("status does not show the time last verified:\n%s", table)
	}

	mode.Store("429")
	out, code = run("probe", "sp-api-prod", "--at", "2026-07-02T10:00:00Z")
	if code != 1 || !strings.Contains(out, "no answer about the secret, not a rejection: LWA token endpoint: 429 TooManyRequests") {
		t.Errorf("probe 429: exit %d\n%s", code, out)
	}
	if got := e.hook.take(); len(got) != 0 {
		t.Errorf("a 429 alerted: %+v", got)
	}

	mode.Store("invalid_client")
	out, code = run("probe", "sp-api-prod", "--at", "2026-07-03T10:00:00Z")
	if code != 1 || !strings.Contains(out, "sp-api-prod: Amazon rejects this secret now (LWA token endpoint: 401 invalid_client: Client authentication failed); 1 alert(s) raised") {
		t.Errorf("probe invalid_client: exit %d\n%s", code, out)
	}
	// 150 days before the deadline, the alert goes out at once, on the
	// most urgent stage's channel.
	got := e.hook.take()
	if len(got) != 1 || got[0].Stage != "rejected" || !strings.Contains(got[0].Subject, "Amazon rejects this secret now") {
		t.Errorf("the alert: %+v", got)
	}
	table, _ = run("status", "--at", "2026-07-03T11:00:00Z")
	if !strings.Contains(table, "2026-07-01 10:00 UTC (last probe: rejected)") {
		t.Errorf("status after the rejection:\n%s", table)
	}
	hist, _ := run("history", "--type", "probe")
	if !strings.Contains(hist, "Amazon rejects this secret now") {
		t.Errorf("history:\n%s", hist)
	}
	if _, code := run("verify"); code != 0 {
		t.Errorf("verify fails after the probes")
	}
	data, err := os.ReadFile(filepath.Join(e.dir, "notifier.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{secret, refresh, "SEKRIT"} {
		if bytes.Contains(data, []byte(s)) || strings.Contains(outputs.String(), s) {
			t.Errorf("%q is in the database or an output", s)
		}
	}
}
