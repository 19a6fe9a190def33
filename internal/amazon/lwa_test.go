package amazon

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
)

// The secrets of the probe tests; '+', '/' and '|' change when form-encoded.
const (
	lwaSecret  = "amzn1.oa2-cs.v1.PROBE+SEKRIT/one="
	lwaRefresh = "Atzr|REFRESH+SEKRIT/two="
	lwaAccess  = "Atza|ACCESS-SEKRIT"
)

// lwaServer is an LWA token endpoint (httptest: Amazon's cannot be reached
// from tests) answering by the mode the test sets; an echoing answer
// quotes the request's body, secrets and all.
func lwaServer(t *testing.T, mode *string) *httptest.Server {
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		if r.Method != http.MethodPost || form.Get("grant_type") != "refresh_token" || form.Get("client_secret") != lwaSecret || form.Get("refresh_token") != lwaRefresh {
			t.Errorf("token request: %s %s", r.Method, body)
		}
		w.Header().Set("Content-Type", "application/json")
		switch *mode {
		case "ok":
			io.WriteString(w, `{"access_token":"`+lwaAccess+`","token_type":"bearer","expires_in":3600,"refresh_token":"`+lwaRefresh+`"}`)
		case "invalid_client":
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"invalid_client","error_description":"Client authentication failed"}`)
		case "echo":
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"invalid_client","error_description":"bad client in `+strings.ReplaceAll(string(body), `"`, ``)+`"}`)
		case "429":
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"error":"TooManyRequests","error_description":"slow down"}`)
		case "500":
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `<html>Internal Server Error</html>`)
		case "hang":
			select {
			case <-r.Context().Done():
			case <-done:
			}
		}
	}))
	t.Cleanup(func() {
		close(done)
		srv.Close()
	})
	return srv
}

func TestProbe(t *testing.T) {
	mode := ""
	srv := lwaServer(t, &mode)
	red := channels.NewRedactor()
	p := NewProber(red)
	p.Timeout = 500 * time.Millisecond
	a := config.LWA{ClientID: "amzn1.application-oa2-client.probe", ClientSecret: lwaSecret, RefreshToken: lwaRefresh, TokenURL: srv.URL + "/auth/o2/token"}
	tests := []struct {
		mode, outcome, detail string
	}{
		{"ok", domain.ProbeOK, "LWA token endpoint accepted the client secret"},
		{"invalid_client", domain.ProbeRejected, "LWA token endpoint: 401 invalid_client: Client authentication failed"},
		{"echo", domain.ProbeRejected, "LWA token endpoint: 401 invalid_client: bad client in "},
		{"429", domain.ProbeFailed, "LWA token endpoint: 429 TooManyRequests: slow down"},
		{"500", domain.ProbeFailed, "LWA token endpoint: 500 <html>Internal Server Error</html>"},
		{"hang", domain.ProbeFailed, "context deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			mode = tt.mode
			outcome, detail := p.Probe(t.Context(), a)
			if outcome != tt.outcome || !strings.Contains(detail, tt.detail) {
				t.Errorf("probe = %s, %q; want %s, %q", outcome, detail, tt.outcome, tt.detail)
			}
			for _, s := range []string{lwaSecret, lwaRefresh, lwaAccess, url.QueryEscape(lwaSecret), url.QueryEscape(lwaRefresh), "SEKRIT"} {
				if strings.Contains(detail, s) {
					t.Errorf("the detail shows %q: %s", s, detail)
				}
			}
		})
	}
	// Network errors are not rejections either.
	a.TokenURL = "http://127.0.0.1:1/token"
	if outcome, _ := p.Probe(t.Context(), a); outcome != domain.ProbeFailed {
		t.Errorf("a refused connection: %s, want failed", outcome)
	}
}

// TestProbeRefusesRedirectToAnotherOrigin: a token endpoint answering 307
// to another host does not get the client secret and refresh token posted
// there; the probe fails, naming the status.
func TestProbeRefusesRedirectToAnotherOrigin(t *testing.T) {
	var stolen []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		stolen = append(stolen, string(body))
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/auth/o2/token", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	p := NewProber(channels.NewRedactor())
	a := config.LWA{ClientID: "amzn1.application-oa2-client.probe", ClientSecret: lwaSecret, RefreshToken: lwaRefresh, TokenURL: srv.URL + "/auth/o2/token"}
	outcome, detail := p.Probe(t.Context(), a)
	if len(stolen) != 0 {
		t.Errorf("the other host received %d requests: %q", len(stolen), stolen)
	}
	if outcome != domain.ProbeFailed || !strings.HasPrefix(detail, "LWA token endpoint: 307") {
		t.Errorf("probe = %s, %q; want %s, a 307", outcome, detail, domain.ProbeFailed)
	}
}
