package main

// End-to-end test of `notifier rotate ID --via-amazon` (issue 11): the
// grantless token and the rotation API are httptest servers (Amazon's
// cannot be reached from tests).

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

func TestEndToEndRotateViaAmazon(t *testing.T) {
	const secret = "amzn1.oa2-cs.v1.E2E+ROTATE/SEKRIT="
	t.Setenv("LWA_CLIENT_SECRET", secret)
	var api atomic.Value
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/auth/o2/token" {
			io.WriteString(w, `{"access_token":"Atza|E2E-GRANTLESS-SEKRIT","token_type":"bearer","expires_in":3600}`)
			return
		}
		calls.Add(1)
		switch api.Load() {
		case "204":
			w.WriteHeader(http.StatusNoContent)
		case "400":
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"errors":[{"code":"InvalidInput","message":"Application is not enrolled for rotation notification.","details":""}]}`)
		}
	}))
	defer srv.Close()
	e := newEnv(t, "2026-06-01")
	e.writeCreds(`  - id: sp-api-prod
    rotated_at: 2026-06-01
    lwa:
      client_id: amzn1.application-oa2-client.e2erotate
      client_secret: ${LWA_CLIENT_SECRET}
      token_url: ` + srv.URL + `/auth/o2/token
      api_url: ` + srv.URL + `
  - id: sp-api-eu
    rotated_at: 2026-06-01
    lwa:
      client_id: amzn1.application-oa2-client.e2erotateeu
      client_secret: ${LWA_CLIENT_SECRET}
      token_url: ` + srv.URL + `/auth/o2/token
      api_url: ` + srv.URL + `
`)
	var outputs bytes.Buffer
	run := func(args ...string) (string, int) {
		t.Helper()
		out, errs, code := e.run(args...)
		outputs.WriteString(out + errs)
		return out + errs, code
	}

	api.Store("400")
	out, code := run("rotate", "sp-api-prod", "--via-amazon", "--by", "alice")
	if code != 1 || !strings.Contains(out, "rotate sp-api-prod --via-amazon: SP-API /applications/2023-11-30/clientSecret: 400 InvalidInput: Application is not enrolled for rotation notification.") {
		t.Errorf("400: exit %d\n%s", code, out)
	}
	// The call counted: a second within the minute is refused here,
	// without calling Amazon, even from a new process.
	api.Store("204")
	out, code = run("rotate", "sp-api-prod", "--via-amazon", "--by", "alice")
	if code != 1 || !strings.Contains(out, "Amazon allows one rotation request a minute per application: the last call was at") || calls.Load() != 1 {
		t.Errorf("rate limit: exit %d, %d calls\n%s", code, calls.Load(), out)
	}
	if st, _ := run("status"); strings.Contains(st, "ROTATION_REQUESTED") {
		t.Errorf("status shows a request Amazon refused:\n%s", st)
	}
	// Another application has its own rate limit: Amazon accepts.
	out, code = run("rotate", "sp-api-eu", "--via-amazon", "--by", "alice")
	if code != 0 || !strings.Contains(out, "sp-api-eu: Amazon accepted the rotation request at ") || calls.Load() != 2 {
		t.Errorf("204: exit %d, %d calls\n%s", code, calls.Load(), out)
	}
	st, _ := run("status")
	var line string
	for _, l := range strings.Split(st, "\n") {
		if strings.HasPrefix(l, "sp-api-eu ") {
			line = l
		}
	}
	if !strings.Contains(st, "ROTATION_REQUESTED") || !strings.HasSuffix(strings.TrimSpace(line), "UTC") {
		t.Errorf("status does not show the requested rotation:\n%s", st)
	}
	hist, _ := run("history", "--type", "rotation-request")
	if !strings.Contains(hist, "refused") || !strings.Contains(hist, "alice") || !strings.Contains(hist, "InvalidInput") {
		t.Errorf("history:\n%s", hist)
	}
	if rots := e.history("--type", "rotation"); len(rots) != 2 { // the first rotations, from the config
		t.Errorf("a rotation was recorded: %+v", rots)
	}
	data, err := os.ReadFile(filepath.Join(e.dir, "notifier.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{secret, "SEKRIT"} {
		if bytes.Contains(data, []byte(s)) || strings.Contains(outputs.String(), s) {
			t.Errorf("%q is in the database or an output", s)
		}
	}
}
