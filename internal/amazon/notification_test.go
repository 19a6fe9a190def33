package amazon

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/domain"
)

// The payloads below are shaped as Amazon's notification schemas and
// samples give them.
const (
	testClient = "amzn1.application-oa2-client.0123456789abcdef"
	// newSecretValue holds characters that escaping changes.
	newSecretValue = "amzn1.oa2-cs.v1.NEWSEKRIT+abc/def=0042"
)

func expiryBody(id, client, expiry string) string {
	return `{
  "notificationVersion": "1.0",
  "notificationType": "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY",
  "payloadVersion": "2023-12-13",
  "eventTime": "2026-06-01T12:00:00.000Z",
  "payload": {
    "applicationOAuthClientSecretExpiry": {
      "clientId": "` + client + `",
      "clientSecretExpiryTime": "` + expiry + `",
      "clientSecretExpiryReason": "PERIODIC_ROTATION"
    }
  },
  "notificationMetadata": {
    "applicationId": "amzn1.sellerapps.app.11111111-2222-3333-4444-555555555555",
    "subscriptionId": "subscription-0001",
    "publishTime": "2026-06-01T12:00:01.000Z",
    "notificationId": "` + id + `"
  }
}`
}

func newSecretBody(id, client, eventTime, newExpiry, oldExpiry string) string {
	return `{"notificationVersion":"1.0","notificationType":"APPLICATION_OAUTH_CLIENT_NEW_SECRET","payloadVersion":"2023-12-13",
"eventTime":"` + eventTime + `",
"payload":{"applicationOAuthClientNewSecret":{"clientId":"` + client + `","newClientSecret":"` + strings.ReplaceAll(newSecretValue, "/", `\/`) + `",
"newClientSecretExpiryTime":"` + newExpiry + `","oldClientSecretExpiryTime":"` + oldExpiry + `"}},
"notificationMetadata":{"applicationId":"amzn1.sellerapps.app.1","subscriptionId":"subscription-0001","publishTime":"` + eventTime + `","notificationId":"` + id + `"}}`
}

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParse(t *testing.T) {
	red := channels.NewRedactor()
	n, _, err := Parse([]byte(expiryBody("n-1", testClient, "2026-08-30T00:00:00.000Z")), red)
	if err != nil {
		t.Fatal(err)
	}
	want := domain.Notice{ID: "n-1", Type: domain.NoticeSecretExpiry, ClientID: testClient, EventTime: date("2026-06-01T12:00:00Z"),
		Deadline: date("2026-08-30T00:00:00Z"), Reason: "PERIODIC_ROTATION"}
	if n.ID != want.ID || n.Type != want.Type || n.ClientID != want.ClientID || !n.EventTime.Equal(want.EventTime) || !n.Deadline.Equal(want.Deadline) || n.Reason != want.Reason {
		t.Errorf("expiry = %+v, want %+v", n, want)
	}

	n, secret, err := Parse([]byte(newSecretBody("n-2", testClient, "2026-06-02T08:30:00.123Z", "2026-11-29T08:30:00Z", "2026-06-09T08:30:00Z")), red)
	if err != nil {
		t.Fatal(err)
	}
	if n.Type != domain.NoticeNewSecret || !n.EventTime.Equal(date("2026-06-02T08:30:00Z")) || !n.Deadline.Equal(date("2026-11-29T08:30:00Z")) ||
		!n.OldSecretExpiresAt.Equal(date("2026-06-09T08:30:00Z")) {
		t.Errorf("new secret = %+v", n)
	}
	if string(secret) != newSecretValue || fmt.Sprint(secret) != "<secret>" {
		t.Errorf("the new secret is returned as %q (prints %q), want it apart and printing as <secret>", string(secret), fmt.Sprint(secret))
	}
	if got := red.String("token " + newSecretValue + " end"); strings.Contains(got, "NEWSEKRIT") {
		t.Errorf("the new secret is not registered with the redactor: %q", got)
	}
}

func TestParseMalformed(t *testing.T) {
	good := newSecretBody("n-3", testClient, "2026-06-02T08:30:00Z", "2026-11-29T08:30:00Z", "2026-06-09T08:30:00Z")
	tests := []struct {
		name, body, want string
		secretSeen       bool // the body carried the secret where it could be read
	}{
		{"not JSON", "{\"payload\": NEWSEKRIT", "invalid JSON at byte", false},
		{"truncated", good[:len(good)/2], "invalid JSON", false},
		{"a JSON array", `["NEWSEKRIT"]`, "field  is a JSON array", false},
		{"no notification id", strings.Replace(good, `"notificationId":"n-3"`, `"notificationId":""`, 1), "notificationId is missing", true},
		{"no event time", strings.Replace(good, `"eventTime":"2026-06-02T08:30:00Z",`, ``, 1), "notification n-3: eventTime is missing", true},
		{"a bad expiry time", strings.Replace(good, `"newClientSecretExpiryTime":"2026-11-29T08:30:00Z"`, `"newClientSecretExpiryTime":"next year"`, 1), "newClientSecretExpiryTime is missing or not an RFC 3339 time", true},
		{"no old expiry", strings.Replace(good, `,"oldClientSecretExpiryTime":"2026-06-09T08:30:00Z"`, ``, 1), "oldClientSecretExpiryTime is missing", true},
		{"no client id", strings.Replace(good, `"clientId":"`+testClient+`",`, ``, 1), "clientId is missing", true},
		{"a type notifier does not handle", strings.Replace(good, "APPLICATION_OAUTH_CLIENT_NEW_SECRET", "ANY_OFFER_CHANGED", 1), `notificationType "ANY_OFFER_CHANGED" is not one notifier handles`, true},
		{"a payload of the other type", strings.Replace(good, "APPLICATION_OAUTH_CLIENT_NEW_SECRET", "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY", 1), "payload.applicationOAuthClientSecretExpiry is missing", true},
		{"a time before 1970", strings.Replace(good, `"newClientSecretExpiryTime":"2026-11-29T08:30:00Z"`, `"newClientSecretExpiryTime":"0001-01-01T00:00:00Z"`, 1), "newClientSecretExpiryTime is missing or not an RFC 3339 time", true},
		{"an id too long", strings.Replace(good, `"notificationId":"n-3"`, `"notificationId":"`+strings.Repeat("x", 201)+`"`, 1), "notificationId or clientId is longer than 200 characters", true},
		{"a number for a time", strings.Replace(good, `"eventTime":"2026-06-02T08:30:00Z"`, `"eventTime":42`, 1), "field eventTime is a JSON number, not a string", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			red := channels.NewRedactor()
			_, _, err := Parse([]byte(tt.body), red)
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrMalformed saying %q", err, tt.want)
			}
			for _, leak := range []string{"NEWSEKRIT", "payload\":", testClient, "2026-11-29"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("the error quotes the message (%s): %v", leak, err)
				}
			}
			if got := strings.Contains(red.String(newSecretValue), "NEWSEKRIT"); got == tt.secretSeen {
				t.Errorf("secret registered = %v, want %v", !got, tt.secretSeen)
			}
		})
	}
}
