package sns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/notifier-dev/notifier/internal/channels"
)

// apiErr is what the SDK returns for an SNS error answer: an operation
// error around a response error around the API error.
func apiErr(status int, code string) error {
	return &smithy.OperationError{ServiceID: "SNS", OperationName: "Publish", Err: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
		Err:      &smithy.GenericAPIError{Code: code, Message: "message of " + code},
	}}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		retryable bool
	}{
		{"Throttling", apiErr(400, "Throttling"), true},
		{"ThrottledException", apiErr(400, "ThrottledException"), true},
		{"Throttled (SNS)", apiErr(429, "Throttled"), true},
		{"ThrottlingException", apiErr(400, "ThrottlingException"), true},
		{"KMSThrottling", apiErr(400, "KMSThrottling"), true},
		{"InternalError", apiErr(500, "InternalError"), true},
		{"InternalFailure", apiErr(500, "InternalFailure"), true},
		{"ServiceUnavailable", apiErr(503, "ServiceUnavailable"), true},
		{"RequestTimeTooSkewed", apiErr(403, "RequestTimeTooSkewed"), true},
		{"ExpiredToken", apiErr(403, "ExpiredToken"), true},
		{"unknown 5xx", apiErr(502, "BadGateway"), true},
		{"unknown 429", apiErr(429, "Whatever"), true},

		{"NotFound", apiErr(404, "NotFound"), false},
		{"InvalidParameter", apiErr(400, "InvalidParameter"), false},
		{"InvalidParameterValue", apiErr(400, "InvalidParameterValue"), false},
		{"ParameterValueInvalid", apiErr(400, "ParameterValueInvalid"), false},
		{"AuthorizationError", apiErr(403, "AuthorizationError"), false},
		{"EndpointDisabled", apiErr(400, "EndpointDisabled"), false},
		{"InvalidClientTokenId", apiErr(403, "InvalidClientTokenId"), false},
		{"SignatureDoesNotMatch", apiErr(403, "SignatureDoesNotMatch"), false},
		{"KMSDisabled", apiErr(400, "KMSDisabled"), false},
		{"KMSAccessDenied", apiErr(400, "KMSAccessDenied"), false},
		{"OptedOut", apiErr(400, "OptedOut"), false},
		{"unknown 4xx", apiErr(400, "AWS.SimpleNotificationService.NonExistentTopic"), false},
		{"permanent code beats a 5xx status", apiErr(500, "InvalidParameter"), false},
		{"retryable code beats a 4xx status", apiErr(400, "ServiceUnavailable"), true},

		{"connection refused", &smithy.OperationError{Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}, true},
		{"deadline", fmt.Errorf("publish: %w", context.DeadlineExceeded), true},
		{"canceled", fmt.Errorf("publish: %w", context.Canceled), true},
		{"no credentials", errors.New("failed to refresh cached credentials, no EC2 IMDS role found"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classify(tt.err)
			retryable, after := channels.Classify(err)
			if retryable != tt.retryable {
				t.Errorf("retryable = %v, want %v", retryable, tt.retryable)
			}
			if after != 0 {
				t.Errorf("retry after %v, want the engine's backoff", after)
			}
			if !errors.Is(err, tt.err) {
				t.Error("classify lost the original error")
			}
		})
	}
	if classify(nil) != nil {
		t.Error("classify(nil) != nil")
	}
}

// TestErrorAnswers has the real SDK parse SNS's error answers (query
// protocol XML, as SNS sends them) from a server on 127.0.0.1, and checks
// the verdict and that the SDK tried only once even when the environment
// asks for more attempts.
func TestErrorAnswers(t *testing.T) {
	tests := []struct {
		status    int
		code      string // "" answers a non-XML body, as a load balancer would
		retryable bool
	}{
		{503, "ServiceUnavailable", true},
		{500, "InternalError", true},
		{502, "", true},
		{400, "Throttling", true},
		{400, "KMSThrottling", true},
		{404, "NotFound", false},
		{403, "AuthorizationError", false},
		{403, "InvalidClientTokenId", false},
		{400, "InvalidParameter", false},
		{400, "EndpointDisabled", false},
		{400, "SomethingNew", false},
		{429, "", true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %s", tt.status, tt.code), func(t *testing.T) {
			isolateAWS(t)
			t.Setenv("AWS_MAX_ATTEMPTS", "5") // must not bring the SDK's retries back
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				if tt.code == "" {
					w.WriteHeader(tt.status)
					fmt.Fprint(w, "<html><body>Bad Gateway</body></html>")
					return
				}
				w.Header().Set("Content-Type", "text/xml")
				w.WriteHeader(tt.status)
				fmt.Fprintf(w, `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <Error><Type>Sender</Type><Code>%s</Code><Message>Answer %s</Message></Error>
  <RequestId>9c0b0a3e-8b4b-5d2b-a2c9-4e9a7c1c7f00</RequestId>
</ErrorResponse>`, tt.code, tt.code)
			}))
			defer srv.Close()
			ch := mustNew(t, Config{TopicARN: testTopic, Endpoint: srv.URL})

			err := ch.Send(context.Background(), reminder())
			if err == nil {
				t.Fatal("Send succeeded on an error answer")
			}
			if retryable, _ := channels.Classify(err); retryable != tt.retryable {
				t.Errorf("retryable = %v, want %v: %v", retryable, tt.retryable, err)
			}
			if n := hits.Load(); n != 1 {
				t.Errorf("the SDK sent %d requests, want 1: the engine owns retries", n)
			}
			if want := "sns ops: publish " + testTopic + ": "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %q", err, want)
			}
			if tt.code != "" && !strings.Contains(err.Error(), tt.code) {
				t.Errorf("error %q does not name the code %s", err, tt.code)
			}
		})
	}
}

func TestUnreachableEndpointIsRetryable(t *testing.T) {
	isolateAWS(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there any more: connection refused

	ch := mustNew(t, Config{PhoneNumber: testPhone, Endpoint: "http://" + addr})
	err = ch.Send(context.Background(), reminder())
	if err == nil {
		t.Fatal("Send succeeded without a server")
	}
	if retryable, _ := channels.Classify(err); !retryable {
		t.Errorf("not retryable: %v", err)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("want a *net.OpError in the chain: %v", err)
	}
	if want := "sns ops: publish +*******678: "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q (the masked phone number)", err, want)
	}
	if strings.Contains(err.Error(), testPhone) || strings.Contains(err.Error(), "15112345678") {
		t.Errorf("error quotes the phone number: %v", err)
	}
}

func TestSilentServerTimesOutRetryable(t *testing.T) {
	isolateAWS(t)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // never answers before the client gives up
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	ch := mustNew(t, Config{TopicARN: testTopic, Endpoint: srv.URL})

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := ch.Send(ctx, reminder())
	if err == nil {
		t.Fatal("Send succeeded without an answer")
	}
	if retryable, _ := channels.Classify(err); !retryable {
		t.Errorf("not retryable: %v", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("want context.DeadlineExceeded in the chain: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send took %v; it should give up with its context", d)
	}
}

// TestRedirectToAnotherOriginIsNotFollowed: the AWS SDK's own client
// follows a 307 or 308 to another host, with the signed body (the message
// and its ack link); the channel's client follows none. The Publish fails
// permanently, naming the status, and the other host receives nothing.
func TestRedirectToAnotherOriginIsNotFollowed(t *testing.T) {
	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			isolateAWS(t)
			var stolen atomic.Int32
			other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				stolen.Add(1)
			}))
			defer other.Close()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+"/", status)
			}))
			defer srv.Close()
			ch := mustNew(t, Config{TopicARN: testTopic, Endpoint: srv.URL})

			err := ch.Send(context.Background(), reminder())
			if n := stolen.Load(); n != 0 {
				t.Errorf("the other host received %d requests, want 0", n)
			}
			if err == nil {
				t.Fatal("Send succeeded on a redirect")
			}
			if !channels.IsPermanent(err) {
				t.Errorf("a redirect is retryable: %v", err)
			}
			if want := "StatusCode: " + strconv.Itoa(status); !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %q", err, want)
			}
		})
	}
}
