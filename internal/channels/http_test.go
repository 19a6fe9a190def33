package channels_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
)

// now is the moment every test classifies at; HTTP-dates are relative to it.
var now = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

// answerServer answers each request with the status, Retry-After and body
// its query asks for.
func answerServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if v := q.Get("retry_after"); v != "" {
			w.Header().Set("Retry-After", v)
		}
		code, _ := strconv.Atoi(q.Get("status"))
		w.WriteHeader(code)
		_, _ = io.WriteString(w, q.Get("body"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, srv *httptest.Server, status int, retryAfter, body string) error {
	t.Helper()
	q := url.Values{"status": {strconv.Itoa(status)}, "retry_after": {retryAfter}, "body": {body}}
	resp, err := srv.Client().Get(srv.URL + "/?" + q.Encode())
	if resp != nil {
		defer resp.Body.Close()
	}
	return channels.ClassifyHTTP(resp, err, now)
}

func TestClassifyHTTP(t *testing.T) {
	srv := answerServer(t)
	const (
		ok = iota
		permanent
		retryable
	)
	tests := []struct {
		status     int
		retryAfter string
		body       string
		want       int
		after      time.Duration
		msg        string // the exact error text; "" for nil
	}{
		{status: 200, want: ok},
		{status: 201, want: ok},
		{status: 204, want: ok},
		{status: 299, body: "odd but 2xx", want: ok},

		// The service's answer to this request: sending it again gives the same.
		{status: 300, want: permanent, msg: "300 Multiple Choices"},
		{status: 400, body: "bad payload", want: permanent, msg: "400 Bad Request: bad payload"},
		{status: 401, want: permanent, msg: "401 Unauthorized"},
		{status: 403, body: "invalid_token", want: permanent, msg: "403 Forbidden: invalid_token"},
		{status: 404, body: "no_service\n", want: permanent, msg: "404 Not Found: no_service"},
		{status: 410, want: permanent, msg: "410 Gone"},
		{status: 413, retryAfter: "60", want: permanent, msg: "413 Request Entity Too Large"},
		{status: 422, want: permanent, msg: "422 Unprocessable Entity"},

		// Later, the same request may succeed.
		{status: 408, want: retryable, msg: "408 Request Timeout"},
		{status: 409, body: "request with this key in progress", want: retryable, msg: "409 Conflict: request with this key in progress"},
		{status: 425, want: retryable, msg: "425 Too Early"},
		{status: 429, want: retryable, msg: "429 Too Many Requests"},
		{status: 429, retryAfter: "7", body: "rate_limited", want: retryable, after: 7 * time.Second, msg: "429 Too Many Requests: rate_limited"},
		{status: 429, retryAfter: now.Add(90 * time.Second).Format(http.TimeFormat), want: retryable, after: 90 * time.Second, msg: "429 Too Many Requests"},
		{status: 429, retryAfter: "-5", want: retryable, msg: "429 Too Many Requests"},
		{status: 429, retryAfter: "soon", want: retryable, msg: "429 Too Many Requests"},
		{status: 429, retryAfter: "31536000", want: retryable, after: channels.MaxRetryAfter, msg: "429 Too Many Requests"},
		{status: 500, body: "<html>oops</html>", want: retryable, msg: "500 Internal Server Error: <html>oops</html>"},
		{status: 500, retryAfter: "120", want: retryable, msg: "500 Internal Server Error"}, // Retry-After only with 429 and 503
		{status: 501, want: retryable, msg: "501 Not Implemented"},
		{status: 502, want: retryable, msg: "502 Bad Gateway"},
		{status: 503, retryAfter: "120", want: retryable, after: 2 * time.Minute, msg: "503 Service Unavailable"},
		{status: 503, retryAfter: now.Add(-time.Hour).Format(http.TimeFormat), want: retryable, msg: "503 Service Unavailable"},
		{status: 504, want: retryable, msg: "504 Gateway Timeout"},
		{status: 599, want: retryable, msg: "599 status code 599"},
		{status: 600, want: retryable, msg: "600 status code 600"},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status)+" "+tt.retryAfter, func(t *testing.T) {
			err := get(t, srv, tt.status, tt.retryAfter, tt.body)
			if tt.want == ok {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("err = nil")
			}
			retry, after := channels.Classify(err)
			if retry != (tt.want == retryable) || after != tt.after {
				t.Errorf("Classify = (%v, %v), want (%v, %v)", retry, after, tt.want == retryable, tt.after)
			}
			if err.Error() != tt.msg {
				t.Errorf("error = %q, want %q", err, tt.msg)
			}
			var se *channels.StatusError
			if !errors.As(err, &se) || se.Code != tt.status {
				t.Errorf("errors.As(*StatusError) = %+v", se)
			}
		})
	}
}

func TestClassifyHTTPLongBody(t *testing.T) {
	srv := answerServer(t)
	err := get(t, srv, http.StatusBadGateway, "", strings.Repeat("x", 2000))
	var se *channels.StatusError
	if !errors.As(err, &se) || len(se.Body) != 512 {
		t.Errorf("body of %d bytes in the error, want the first 512: %v", len(se.Body), err)
	}
}

func TestClassifyHTTPTransportError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	resp, err := http.Post(srv.URL, "application/json", strings.NewReader("{}"))
	if resp != nil {
		resp.Body.Close()
	}
	got := channels.ClassifyHTTP(resp, err, now)
	if retry, after := channels.Classify(got); !retry || after != 0 {
		t.Errorf("Classify = (%v, %v), want retryable now", retry, after)
	}
	if !errors.Is(got, err) || got.Error() != err.Error() {
		t.Errorf("error = %v, want %v unchanged", got, err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	tests := []struct {
		name, v string
		want    time.Duration
	}{
		{"absent", "", 0},
		{"zero", "0", 0},
		{"seconds", "7", 7 * time.Second},
		{"padded", " 7 ", 7 * time.Second},
		{"a day", "86400", 24 * time.Hour},
		{"capped", "86401", channels.MaxRetryAfter},
		{"beyond int64", "99999999999999999999", channels.MaxRetryAfter},
		{"negative", "-5", 0},
		{"very negative", "-99999999999999999999", 0},
		{"fraction", "1.5", 0},
		{"garbage", "soon", 0},
		{"garbage date", "Sat, 32 Foo 2026 09:00:00 GMT", 0},
		{"IMF-fixdate", "Sat, 21 Nov 2026 09:01:30 GMT", 90 * time.Second},
		{"RFC 850 date", "Saturday, 21-Nov-26 09:01:30 GMT", 90 * time.Second},
		{"asctime date", "Sat Nov 21 09:01:30 2026", 90 * time.Second},
		{"date now", "Sat, 21 Nov 2026 09:00:00 GMT", 0},
		{"date in the past", "Fri, 20 Nov 2026 09:00:00 GMT", 0},
		{"date far ahead", "Mon, 01 Jan 2035 00:00:00 GMT", channels.MaxRetryAfter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := channels.ParseRetryAfter(tt.v, now); got != tt.want {
				t.Errorf("ParseRetryAfter(%q) = %v, want %v", tt.v, got, tt.want)
			}
		})
	}
}
