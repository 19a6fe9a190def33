package channels_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
)

// received records what one server (one origin) was sent.
type received struct {
	mu       sync.Mutex
	requests []string // "METHOD /path X-Api-Key=… body"
}

func (rc *received) add(r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.requests = append(rc.requests, r.Method+" "+r.URL.Path+" X-Api-Key="+r.Header.Get("X-Api-Key")+" "+string(body))
}

func (rc *received) reset() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.requests = nil
}

func (rc *received) all() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.requests...)
}

// TestRedirects: the shared HTTP client of the integrations never carries
// a request (its secret header, its body) to another origin; the 3xx
// answer reaches ClassifyHTTP, a permanent failure naming the status and
// the origin it pointed to, without the Location's path and query. Within
// one origin, a redirect that keeps the method and body is followed, a few
// times at most.
func TestRedirects(t *testing.T) {
	var other received
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		other.add(r)
	}))
	defer b.Close()
	var first received
	a := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first.add(r)
		switch r.URL.Path {
		case "/to-other-307":
			http.Redirect(w, r, b.URL+"/steal?token=LOCATION-SEKRIT", http.StatusTemporaryRedirect)
		case "/to-other-308":
			http.Redirect(w, r, b.URL+"/steal", http.StatusPermanentRedirect)
		case "/to-other-302":
			http.Redirect(w, r, b.URL+"/steal", http.StatusFound)
		case "/same-307":
			http.Redirect(w, r, "/ok", http.StatusTemporaryRedirect)
		case "/same-302":
			http.Redirect(w, r, "/ok", http.StatusFound) // would turn the POST into a GET without its body
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusTemporaryRedirect)
		case "/ok":
		default:
			t.Errorf("unexpected path %s", r.URL.Path)
		}
	}))
	defer a.Close()

	const body = `{"ack_url":"http://notifier/ack/TOKEN"}`
	tests := []struct {
		path      string
		msg       string   // the error's exact text; "" for success
		firstGot  []string // the paths server a received
		otherGets int
	}{
		{path: "/to-other-307", msg: "307 Temporary Redirect (redirect to " + b.URL + " not followed)", firstGot: []string{"/to-other-307"}},
		{path: "/to-other-308", msg: "308 Permanent Redirect (redirect to " + b.URL + " not followed)", firstGot: []string{"/to-other-308"}},
		{path: "/to-other-302", msg: "302 Found (redirect to " + b.URL + " not followed)", firstGot: []string{"/to-other-302"}},
		{path: "/same-302", msg: "302 Found (redirect to " + a.URL + " not followed)", firstGot: []string{"/same-302"}},
		{path: "/same-307", firstGot: []string{"/same-307", "/ok"}},
		{path: "/loop", msg: "307 Temporary Redirect (redirect to " + a.URL + " not followed)",
			firstGot: []string{"/loop", "/loop", "/loop", "/loop"}},
	}
	client := channels.Options{}.NewHTTPClient(5 * time.Second)
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			first.reset()
			other.reset()
			req, err := http.NewRequest(http.MethodPost, a.URL+tt.path, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Api-Key", "HEADER-SEKRIT")
			resp, err := client.Do(req)
			if resp != nil {
				defer resp.Body.Close()
			}
			got := channels.NewRedactor().ClassifyHTTP(resp, err, now)
			if got := other.all(); len(got) != 0 {
				t.Errorf("the other origin received %d requests: %q", len(got), got)
			}
			var paths []string
			for _, r := range first.all() {
				paths = append(paths, strings.Fields(r)[1])
				if !strings.HasSuffix(r, "X-Api-Key=HEADER-SEKRIT "+body) {
					t.Errorf("a request within the origin lost its header or body: %q", r)
				}
			}
			if strings.Join(paths, " ") != strings.Join(tt.firstGot, " ") {
				t.Errorf("the first origin received %q, want %q", paths, tt.firstGot)
			}
			if tt.msg == "" {
				if got != nil {
					t.Fatalf("err = %v, want nil", got)
				}
				return
			}
			if got == nil {
				t.Fatalf("err = nil, want %q", tt.msg)
			}
			if got.Error() != tt.msg {
				t.Errorf("error = %q, want %q", got, tt.msg)
			}
			if !channels.IsPermanent(got) {
				t.Errorf("a redirect not followed is retryable: %v", got)
			}
			var se *channels.StatusError
			if !errors.As(got, &se) || se.Code != resp.StatusCode || se.Code < 300 || se.Code > 399 {
				t.Errorf("errors.As(*StatusError) = %+v", se)
			}
		})
	}
}
