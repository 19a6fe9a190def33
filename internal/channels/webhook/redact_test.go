package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/testutil/leak"
)

// echoServer answers every request with status and a body that quotes
// everything it received: the request URL (raw and decoded), every header
// and the body.
func echoServer(t *testing.T, status int) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var b strings.Builder
		fmt.Fprintf(&b, "cannot handle %s %s (path %s, query %v)\n", r.Method, r.RequestURI, r.URL.Path, r.URL.Query())
		names := make([]string, 0, len(r.Header))
		for k := range r.Header {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(r.Header[k], ", "))
		}
		b.Write(body)
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, b.String())
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestEchoedSecretsAreRedacted: a receiver that quotes the request URL,
// headers and body in its error answer gets none of the URL's key, the
// bearer token or the API key into the error, nor into the StatusError
// errors.As finds; the classification survives.
func TestEchoedSecretsAreRedacted(t *testing.T) {
	const (
		key    = "qk+SEKRIT/query=key42"
		token  = "bt-SEKRIT-bearer-token-0042"
		apiKey = "ak-SEKRIT-api-key-0042"
		path   = "PathSEKRITkey0042abcd"
	)
	for _, tc := range []struct {
		status int
		retry  bool
		after  time.Duration
	}{
		{http.StatusInternalServerError, true, 0},
		{http.StatusServiceUnavailable, true, 120 * time.Second},
		{http.StatusForbidden, false, 0},
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			srv := echoServer(t, tc.status)
			red := channels.NewRedactor()
			cfg := Config{
				URL: channels.Secret(srv.URL + "/hooks/" + path + "?key=" + key),
				Headers: map[string]channels.Secret{
					"Authorization": channels.Secret("Bearer " + token),
					"X-Api-Key":     apiKey,
				},
			}
			err := New("ops", cfg, channels.Options{Redactor: red}).Send(context.Background(), channels.Sample(time.Now()))
			if err == nil {
				t.Fatal("Send succeeded")
			}
			forms := leak.Forms(key, token, apiKey, path, strings.ReplaceAll(key, "+", " "))
			if found := leak.Find(err.Error(), append(forms, "SEKRIT")); len(found) > 0 {
				t.Errorf("the error shows %q: %s", found, err)
			}
			if !strings.Contains(err.Error(), "cannot handle POST") || !strings.Contains(err.Error(), channels.Redacted) {
				t.Errorf("the error does not show the redacted echo: %s", err)
			}
			t.Logf("error: %s", err)
			var se *channels.StatusError
			if errors.As(err, &se) && strings.Contains(se.Body, "SEKRIT") {
				t.Errorf("StatusError.Body holds a secret: %s", se.Body)
			}
			if retry, after := channels.Classify(err); retry != tc.retry || after != tc.after {
				t.Errorf("Classify = (%v, %v), want (%v, %v)", retry, after, tc.retry, tc.after)
			}
			// The shared Redactor now knows the channel's secrets too: the
			// engine redacts with it.
			if got := red.String(url.QueryEscape(key) + " " + token); strings.Contains(got, "SEKRIT") {
				t.Errorf("the options' Redactor does not know the channel's secrets: %s", got)
			}
		})
	}
}
