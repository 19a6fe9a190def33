package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/notifier-dev/notifier/internal/httpapi"
)

// The daemon's calendar feed answers 503 until its first tick synced the
// config: an empty calendar from a database not yet synced would make a
// subscribed client drop every deadline.
func TestCalendarWaitsForTheFirstSync(t *testing.T) {
	health := httpapi.NewHealth()
	feed := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("BEGIN:VCALENDAR")) })
	srv := httptest.NewServer(httpapi.New(httpapi.Options{Health: health, Calendar: feed}).Handler())
	defer srv.Close()
	get := func() (int, string) {
		resp, err := http.Get(srv.URL + "/calendar.ics?token=x")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	if code, retry := get(); code != http.StatusServiceUnavailable || retry == "" {
		t.Errorf("before the first sync: %d, Retry-After %q; want 503 with Retry-After", code, retry)
	}
	health.SetSynced()
	if code, _ := get(); code != http.StatusOK {
		t.Errorf("after the first sync: %d, want the feed (200)", code)
	}
}
