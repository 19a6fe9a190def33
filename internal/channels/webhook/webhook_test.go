package webhook

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
)

func TestSendPostsPayloadAndHeaders(t *testing.T) {
	var got Payload
	var hdr http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr = r.Header.Clone()
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Error(err)
		}
	}))
	defer srv.Close()
	ch := New("ops", Config{URL: channels.Secret(srv.URL + "/hook"), Headers: map[string]channels.Secret{"Authorization": "Bearer s3cr3t"}}, channels.Options{})
	m := channels.Sample(time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))
	m.DeliveryID, m.DeliveryKey, m.Subject = 42, "sp-api-prod/1/7d/ops/0", "subject"
	if err := ch.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got.Credential != m.Credential || got.DaysRemaining != 7 || got.Delivery != 42 || got.Subject != "subject" ||
		got.Deadline != "2026-11-28T00:00:00Z" {
		t.Errorf("payload %+v", got)
	}
	if hdr.Get("Authorization") != "Bearer s3cr3t" || hdr.Get("Idempotency-Key") != "sp-api-prod/1/7d/ops/0" || hdr.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", hdr)
	}
}

// TestSendClassifiesAnswers pins the verdict on every kind of answer: 2xx is
// success, 408, 429 and 5xx are worth retrying (429 after its Retry-After),
// other 4xx are permanent. A 5xx is never success: the reminder would be
// recorded as sent and never retried.
func TestSendClassifiesAnswers(t *testing.T) {
	for _, tc := range []struct {
		status    int
		header    string // Retry-After
		ok        bool   // Send returns nil
		retryable bool
		after     time.Duration
	}{
		{status: http.StatusOK, ok: true},
		{status: http.StatusCreated, ok: true},
		{status: http.StatusAccepted, ok: true},
		{status: http.StatusNoContent, ok: true},
		{status: http.StatusRequestTimeout, retryable: true},
		{status: http.StatusTooManyRequests, header: "7", retryable: true, after: 7 * time.Second},
		{status: http.StatusTooManyRequests, retryable: true},
		{status: http.StatusInternalServerError, retryable: true},
		{status: http.StatusBadGateway, retryable: true},
		{status: http.StatusServiceUnavailable, retryable: true},
		{status: http.StatusGatewayTimeout, retryable: true},
		{status: http.StatusBadRequest},
		{status: http.StatusUnauthorized},
		{status: http.StatusNotFound},
		// Since the shared classifier: an HTTP-date is read (here past the
		// cap), a negative delay is none, 503 honours Retry-After, and 409
		// (an Idempotency-Key in flight) and 425 are retried.
		{status: http.StatusTooManyRequests, header: time.Now().Add(48 * time.Hour).UTC().Format(http.TimeFormat), retryable: true, after: channels.MaxRetryAfter},
		{status: http.StatusTooManyRequests, header: "-5", retryable: true},
		{status: http.StatusServiceUnavailable, header: "30", retryable: true, after: 30 * time.Second},
		{status: http.StatusConflict, retryable: true},
		{status: http.StatusTooEarly, retryable: true},
	} {
		name := strconv.Itoa(tc.status)
		if tc.header != "" {
			name += " Retry-After " + tc.header
		}
		t.Run(name, func(t *testing.T) {
			var posts atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				posts.Add(1)
				if tc.header != "" {
					w.Header().Set("Retry-After", tc.header)
				}
				w.WriteHeader(tc.status)
				w.Write([]byte("nope"))
			}))
			defer srv.Close()
			url := srv.URL + "/services/T000/B000/tokenXYZ?key=abc123"
			err := New("ops", Config{URL: channels.Secret(url)}, channels.Options{}).Send(context.Background(), channels.Sample(time.Now()))
			if n := posts.Load(); n != 1 {
				t.Fatalf("the server got %d POSTs, want 1", n)
			}
			if tc.ok {
				if err != nil {
					t.Fatalf("err %v, want success", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("err nil: a %d answer is taken as success", tc.status)
			}
			retry, after := channels.Classify(err)
			if retry != tc.retryable || after != tc.after {
				t.Errorf("err %v: retryable %v after %v; want %v %v", err, retry, after, tc.retryable, tc.after)
			}
			if channels.IsPermanent(err) == tc.retryable {
				t.Errorf("IsPermanent = %v for a retryable=%v answer", channels.IsPermanent(err), tc.retryable)
			}
			if strings.Contains(err.Error(), "tokenXYZ") || strings.Contains(err.Error(), "abc123") {
				t.Errorf("the URL's secret leaks: %v", err)
			}
			if !strings.Contains(err.Error(), "webhook ops: POST") || !strings.Contains(err.Error(), strconv.Itoa(tc.status)) ||
				!strings.Contains(err.Error(), "nope") {
				t.Errorf("error lacks context, the status or the answer: %v", err)
			}
		})
	}
}

func TestSendUnreachableIsRetryable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	err := New("ops", Config{URL: channels.Secret(url + "/x?token=zzz")}, channels.Options{}).Send(context.Background(), channels.Sample(time.Now()))
	if retry, _ := channels.Classify(err); err == nil || !retry {
		t.Fatalf("err %v, retryable %v", err, retry)
	}
	if strings.Contains(err.Error(), "zzz") {
		t.Errorf("token leaks: %v", err)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "url: missing"},
		{Config{URL: "ftp://x/y"}, "url: is not an absolute http(s) URL"},
		{Config{URL: "http://h/p", Headers: map[string]channels.Secret{"Bad Name": "v"}}, `headers: "Bad Name" is not a header name`},
		{Config{URL: "http://h/p", Timeout: -time.Second}, "timeout: must not be negative"},
		{Config{URL: "https://h/p"}, ""},
	} {
		var got []string
		for _, fe := range tc.cfg.Validate() {
			got = append(got, fe.Error())
		}
		joined := strings.Join(got, "; ")
		if (tc.want == "" && joined != "") || !strings.Contains(joined, tc.want) {
			t.Errorf("%+v: %q, want %q", tc.cfg, joined, tc.want)
		}
	}
}

// The error names the channel, the URL without its secret parts, the status
// and what the receiver said.
func TestSendErrorText(t *testing.T) {
	for _, tc := range []struct {
		body, want string
	}{
		{"no such hook\n", "404 Not Found: no such hook"},
		{"", "404 Not Found"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(tc.body))
		}))
		err := New("ops", Config{URL: channels.Secret(srv.URL + "/hook/tokenXYZ")}, channels.Options{}).Send(context.Background(), channels.Sample(time.Now()))
		srv.Close()
		if want := "webhook ops: POST " + srv.URL + "/…: " + tc.want; err == nil || err.Error() != want {
			t.Errorf("error = %v, want %q", err, want)
		}
	}
}

// TestSendRefusesRedirectToAnotherOrigin: a webhook answering 307 to
// another host does not get the secret header and the body (its ack link)
// sent there: the delivery fails permanently, naming the status and the
// other origin, never the Location's path or query. The engine's client
// (Options.HTTPClient) gets the same policy as the channel's own.
func TestSendRefusesRedirectToAnotherOrigin(t *testing.T) {
	var stolen atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/collect?k=LOCATION-SEKRIT", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name string
		opts channels.Options
	}{
		{"own client", channels.Options{}},
		{"engine's client", channels.Options{HTTPClient: &http.Client{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stolen.Store(0)
			ch := New("ops", Config{URL: channels.Secret(srv.URL + "/hook"), Headers: map[string]channels.Secret{"X-Api-Key": "HEADER-SEKRIT"}}, tc.opts)
			err := ch.Send(context.Background(), channels.Sample(time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)))
			if n := stolen.Load(); n != 0 {
				t.Errorf("the other host received %d requests, want 0", n)
			}
			want := "webhook ops: POST " + srv.URL + "/…: 307 Temporary Redirect (redirect to " + other.URL + " not followed)"
			if err == nil || err.Error() != want {
				t.Fatalf("Send = %v, want %q", err, want)
			}
			if !channels.IsPermanent(err) {
				t.Errorf("Send = %v, want a permanent failure", err)
			}
		})
	}
}
