package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/notifier-dev/notifier/internal/httpapi"
)

// The daemon's console (its pages and its JSON API) answers 503 until the
// first tick synced the config: a fleet page read from a database not yet
// synced listed no credential and counted every state 0, an empty fleet
// said as the truth (seen in CI: a page asked right after the start).
// The ack links, beside it, do not wait.
func TestConsoleWaitsForTheFirstSync(t *testing.T) {
	health := httpapi.NewHealth()
	console := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("fleet")) })
	srv := httptest.NewServer(httpapi.New(httpapi.Options{Health: health, Console: console}).Handler())
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	for _, path := range []string{"/", "/api/v1/credentials", "/credentials/x"} {
		if code, retry := get(path); code != http.StatusServiceUnavailable || retry == "" {
			t.Errorf("%s before the first sync: %d, Retry-After %q; want 503 with Retry-After", path, code, retry)
		}
	}
	health.SetSynced()
	for _, path := range []string{"/", "/api/v1/credentials", "/credentials/x"} {
		if code, _ := get(path); code != http.StatusOK {
			t.Errorf("%s after the first sync: %d, want the console (200)", path, code)
		}
	}
}
