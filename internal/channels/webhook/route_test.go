package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
)

// A message with To (the owner's webhook) is posted there instead of to
// the channel's url:, with the channel's headers; a failure there does
// not quote the owner's URL.
func TestSendToOwnerRoute(t *testing.T) {
	hits := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits[r.URL.Path]++
		if r.Header.Get("Authorization") != "Bearer s3cr3t" {
			t.Errorf("%s: Authorization %q", r.URL.Path, r.Header.Get("Authorization"))
		}
		if r.URL.Path == "/broken" {
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	ch := New("ops", Config{URL: channels.Secret(srv.URL + "/default"), Headers: map[string]channels.Secret{"Authorization": "Bearer s3cr3t"}}, channels.Options{})
	m := channels.Sample(time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))
	m.To = []string{srv.URL + "/team-a?key=owner-key"}
	if err := ch.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if hits["/team-a"] != 1 || hits["/default"] != 0 {
		t.Errorf("hits %v, want one at /team-a and none at /default", hits)
	}
	m.To = []string{srv.URL + "/broken?key=owner-key"}
	err := ch.Send(context.Background(), m)
	if err == nil || strings.Contains(err.Error(), "owner-key") {
		t.Errorf("Send to a 404: %v, want an error without the owner's key", err)
	}
}
