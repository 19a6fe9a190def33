package engine

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// TestAutoRotateDue: the daemon asks Amazon to rotate once the deadline is
// auto_rotate_before away, not before; not again while the request is
// pending; after a refusal, again only a day later. The token endpoint and
// the rotation API are httptest (Amazon's cannot be reached from tests).
func TestAutoRotateDue(t *testing.T) {
	var calls atomic.Int32
	var status atomic.Int32
	status.Store(http.StatusBadRequest)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/token" {
			io.WriteString(w, `{"access_token":"Atza|auto"}`)
			return
		}
		calls.Add(1)
		w.WriteHeader(int(status.Load()))
		if status.Load() != http.StatusNoContent {
			io.WriteString(w, `{"errors":[{"code":"InvalidInput","message":"Application is not enrolled for rotation notification.","details":""}]}`)
		}
	}))
	defer srv.Close()
	t.Setenv("LWA_SECRET", "auto-rotate-SEKRIT")
	body := `timezone: UTC
policies:
  standard:
    - {before: 30d, channels: [console]}
channels:
  console: {type: stdout}
credentials:
  - id: auto
    rotated_at: 2026-01-01
    lwa: {client_id: amzn1.application-oa2-client.auto, client_secret: "${LWA_SECRET}", token_url: "` + srv.URL + `/token", api_url: "` + srv.URL + `", auto_rotate_before: 7d}
`
	deadline := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC) // 2026-01-01 + 180d
	var wall atomic.Value
	r := newAmazonRig(t, body, deadline, func() time.Time { return wall.Load().(time.Time) })
	e := r.e
	if err := e.Sync(t.Context(), deadline.AddDate(0, 0, -30)); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name   string
		at     time.Time
		status int
		calls  int32
		want   string // the outcome of the request made, "" for none
	}{
		{"eight days before: not yet", deadline.AddDate(0, 0, -8), http.StatusBadRequest, 0, ""},
		{"seven days before: asked; Amazon refuses", deadline.AddDate(0, 0, -7), http.StatusBadRequest, 1, domain.RequestRefused},
		{"a minute later: not again", deadline.AddDate(0, 0, -7).Add(time.Minute), http.StatusNoContent, 1, ""},
		{"23 hours later: not again", deadline.AddDate(0, 0, -7).Add(23 * time.Hour), http.StatusNoContent, 1, ""},
		{"a day later: asked again; accepted", deadline.AddDate(0, 0, -6), http.StatusNoContent, 2, domain.RequestAccepted},
		{"two days later: pending, not again", deadline.AddDate(0, 0, -4), http.StatusNoContent, 2, ""},
	}
	for _, st := range steps {
		wall.Store(st.at)
		status.Store(int32(st.status))
		res := e.AutoRotateDue(t.Context(), st.at)
		got := ""
		if len(res) == 1 {
			got = res[0].Outcome
		}
		if calls.Load() != st.calls || got != st.want || len(res) > 1 {
			t.Errorf("%s: %d calls, results %+v; want %d calls, outcome %q", st.name, calls.Load(), res, st.calls, st.want)
		}
	}
	rows, err := e.Status(t.Context(), deadline.AddDate(0, 0, -4))
	if err != nil || len(rows) != 1 || rows[0].RotationRequested == nil || !rows[0].RotationRequested.Equal(deadline.AddDate(0, 0, -6)) {
		t.Errorf("status = %+v, %v; want the rotation requested", rows, err)
	}
}
