package sns

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/testutil/leak"
)

const (
	echoAccessKey    = "AKIAECHOEXAMPLE00042"
	echoSecretKey    = "wJalrXUtnFEMI/K7MDENG+SEKRITsecretKEY42"
	echoSessionToken = "FwoGZXIvYXdzEJr//////////wEaDSEKRITsessionTOKEN+abc/def42=="
)

// snsEchoServer answers every request with an SNS query-protocol error
// whose message quotes the request's headers (X-Amz-Security-Token,
// Authorization) and body. It counts the requests that carried the session
// token.
func snsEchoServer(t *testing.T, status int, code string, sawToken *atomic.Int32) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Amz-Security-Token") == echoSessionToken {
			sawToken.Add(1)
		}
		msg := fmt.Sprintf("The security token included in the request is invalid. X-Amz-Security-Token=%s Authorization=%s Body=%s",
			r.Header.Get("X-Amz-Security-Token"), r.Header.Get("Authorization"), body)
		var esc bytes.Buffer
		_ = xml.EscapeText(&esc, []byte(msg))
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>echo-1</RequestId></ErrorResponse>`,
			code, esc.String())
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestEchoedCredentialsAreRedacted: through the real SDK, with a static
// credentials provider that has a session token, an SNS error quoting the
// request's headers gets neither the session token nor the secret key
// into the error; the classification survives.
func TestEchoedCredentialsAreRedacted(t *testing.T) {
	isolateAWS(t)
	for _, tc := range []struct {
		status int
		code   string
		retry  bool
	}{
		{403, "InvalidClientTokenId", false},
		{400, "Throttling", true},
		{500, "InternalError", true},
	} {
		t.Run(tc.code, func(t *testing.T) {
			var sawToken atomic.Int32
			srv := snsEchoServer(t, tc.status, tc.code, &sawToken)
			red := channels.NewRedactor()
			provider := credentials.NewStaticCredentialsProvider(echoAccessKey, echoSecretKey, echoSessionToken)
			ch, err := newChannel("ops", Config{TopicARN: testTopic, Endpoint: srv.URL}, channels.Options{Redactor: red},
				awsconfig.WithCredentialsProvider(provider))
			if err != nil {
				t.Fatal(err)
			}
			err = ch.Send(context.Background(), reminder())
			if err == nil {
				t.Fatal("Send succeeded")
			}
			t.Logf("error: %.400s", err)
			if sawToken.Load() != 1 {
				t.Fatalf("the server saw the session token %d times, want 1", sawToken.Load())
			}
			forms := append(leak.Forms(echoSessionToken, echoSecretKey), "SEKRIT")
			if found := leak.Find(err.Error(), forms); len(found) > 0 {
				t.Errorf("the error shows %q: %s", found, err)
			}
			if !strings.Contains(err.Error(), "X-Amz-Security-Token="+channels.Redacted) {
				t.Errorf("the error does not show the redacted echo: %s", err)
			}
			if !strings.Contains(err.Error(), echoAccessKey) {
				t.Errorf("the access key id (not a secret) was redacted: %s", err)
			}
			if retry, _ := channels.Classify(err); retry != tc.retry {
				t.Errorf("retryable = %v, want %v", retry, tc.retry)
			}
			if got := red.String(echoSessionToken + " " + echoSecretKey); strings.Contains(got, "SEKRIT") {
				t.Errorf("the options' Redactor does not know the credentials: %s", got)
			}
		})
	}
}
