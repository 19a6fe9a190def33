package amazon

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
)

// TestRequestRotation: the grantless token and the rotation API, both
// httptest (Amazon's cannot be reached from tests), answering as each case
// says; Amazon's error text comes back verbatim, secrets redacted.
func TestRequestRotation(t *testing.T) {
	var tokenMode, apiMode string
	apiCalls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/auth/o2/token":
			form, _ := url.ParseQuery(string(body))
			if form.Get("grant_type") != "client_credentials" || form.Get("scope") != RotationScope || form.Get("client_secret") != lwaSecret {
				t.Errorf("token request: %s", body)
			}
			if tokenMode == "invalid_client" {
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{"error":"invalid_client","error_description":"Client authentication failed"}`)
				return
			}
			io.WriteString(w, `{"access_token":"`+lwaAccess+`","token_type":"bearer","expires_in":3600}`)
		case RotationPath:
			apiCalls++
			if r.Method != http.MethodPost || r.Header.Get("x-amz-access-token") != lwaAccess || len(body) != 0 {
				t.Errorf("rotation request: %s %v %q", r.Method, r.Header, body)
			}
			switch apiMode {
			case "204":
				w.WriteHeader(http.StatusNoContent)
			case "400":
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, `{"errors":[{"code":"InvalidInput","message":"Application is not enrolled for rotation notification. Please subscribe to APPLICATION_OAUTH_CLIENT_NEW_SECRET notification","details":""}]}`)
			case "429":
				w.WriteHeader(http.StatusTooManyRequests)
				io.WriteString(w, `{"errors":[{"code":"QuotaExceeded","message":"You exceeded your quota for the requested resource.","details":""}]}`)
			case "echo":
				w.WriteHeader(http.StatusForbidden)
				io.WriteString(w, `{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":"token `+r.Header.Get("x-amz-access-token")+`"}]}`)
			}
		default:
			t.Errorf("unexpected %s", r.URL.Path)
		}
	}))
	defer srv.Close()
	p := NewProber(channels.NewRedactor())
	a := config.LWA{ClientID: "amzn1.application-oa2-client.rot", ClientSecret: lwaSecret, TokenURL: srv.URL + "/auth/o2/token", APIURL: srv.URL + "/"}
	tests := []struct {
		token, api, outcome, detail string
		called                      bool
	}{
		{"", "204", domain.RequestAccepted, "Amazon accepted the rotation request (No Content)", true},
		{"", "400", domain.RequestRefused, "SP-API /applications/2023-11-30/clientSecret: 400 InvalidInput: Application is not enrolled for rotation notification. Please subscribe to APPLICATION_OAUTH_CLIENT_NEW_SECRET notification", true},
		{"", "429", domain.RequestRefused, "429 QuotaExceeded: You exceeded your quota for the requested resource.", true},
		{"", "echo", domain.RequestRefused, "403 Unauthorized: Access to requested resource is denied. (token <redacted>)", true},
		{"invalid_client", "204", domain.RequestFailed, "401 invalid_client: Client authentication failed", false},
	}
	for _, tt := range tests {
		t.Run(tt.token+tt.api, func(t *testing.T) {
			tokenMode, apiMode = tt.token, tt.api
			before := apiCalls
			outcome, detail, called := p.RequestRotation(t.Context(), a)
			if outcome != tt.outcome || !strings.Contains(detail, tt.detail) || called != tt.called || (apiCalls > before) != tt.called {
				t.Errorf("= %s, %q, called %v; want %s, %q, %v", outcome, detail, called, tt.outcome, tt.detail, tt.called)
			}
			for _, s := range []string{lwaSecret, lwaAccess, "SEKRIT"} {
				if strings.Contains(detail, s) {
					t.Errorf("the detail shows %q: %s", s, detail)
				}
			}
		})
	}
}
