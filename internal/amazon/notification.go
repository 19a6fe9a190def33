// Package amazon reads what Amazon tells notifier about a Login With Amazon
// client secret: SP-API notifications (APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY,
// APPLICATION_OAUTH_CLIENT_NEW_SECRET) from the SQS queue the Developer
// Console's subscription sends them to. It parses them into domain.Notice
// values and hands them to a store.NoticeRecorder (the engine); it knows
// nothing of SQL.
//
// The new secret a notification carries is registered with the Redactor
// the moment it is parsed and then dropped: it is never stored, logged or
// printed, and no error of this package quotes a message's body.
package amazon

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/domain"
)

// envelope is an SP-API notification as SQS delivers it.
type envelope struct {
	NotificationVersion string    `json:"notificationVersion"`
	NotificationType    string    `json:"notificationType"`
	PayloadVersion      string    `json:"payloadVersion"`
	EventTime           string    `json:"eventTime"`
	Payload             payload   `json:"payload"`
	Metadata            *metadata `json:"notificationMetadata"`
}

type metadata struct {
	ApplicationID  string `json:"applicationId"`
	SubscriptionID string `json:"subscriptionId"`
	PublishTime    string `json:"publishTime"`
	NotificationID string `json:"notificationId"`
}

type payload struct {
	Expiry    *secretExpiry `json:"applicationOAuthClientSecretExpiry"`
	NewSecret *newSecret    `json:"applicationOAuthClientNewSecret"`
}

type secretExpiry struct {
	ClientID   string `json:"clientId"`
	ExpiryTime string `json:"clientSecretExpiryTime"`
	Reason     string `json:"clientSecretExpiryReason"`
}

type newSecret struct {
	ClientID      string `json:"clientId"`
	Secret        string `json:"newClientSecret"`
	NewExpiryTime string `json:"newClientSecretExpiryTime"`
	OldExpiryTime string `json:"oldClientSecretExpiryTime"`
}

// ErrMalformed is the error of a message that is not a usable SP-API
// client-secret notification. Its text never quotes the message.
var ErrMalformed = errors.New("not a usable SP-API client-secret notification")

// Parse reads one SQS message body. A new secret is registered with red
// before anything else is done with the message; it is not part of the
// Notice, and is returned apart, as a channels.Secret that prints as
// "<secret>", for the configured sink, if any. Errors wrap ErrMalformed
// and name the field at fault, never a value.
func Parse(body []byte, red *channels.Redactor) (domain.Notice, channels.Secret, error) {
	n, err := parse(body, red)
	if err != nil || n.Type != domain.NoticeNewSecret {
		return n, "", err
	}
	return n, newSecretOf(body), nil
}

// newSecretOf is the new secret of a body parse accepted.
func newSecretOf(body []byte) channels.Secret {
	var env envelope
	if json.Unmarshal(body, &env) != nil || env.Payload.NewSecret == nil {
		return ""
	}
	return channels.Secret(env.Payload.NewSecret.Secret)
}

func parse(body []byte, red *channels.Redactor) (domain.Notice, error) {
	var env envelope
	err := json.Unmarshal(body, &env)
	// Registered before the error is even looked at: a message that is
	// valid JSON but wrong elsewhere still carries a live secret.
	if env.Payload.NewSecret != nil && env.Payload.NewSecret.Secret != "" {
		red.Add(env.Payload.NewSecret.Secret)
		env.Payload.NewSecret.Secret = ""
	}
	if err != nil {
		return domain.Notice{}, fmt.Errorf("%w: %s", ErrMalformed, jsonProblem(err))
	}
	if env.Metadata == nil || env.Metadata.NotificationID == "" {
		return domain.Notice{}, fmt.Errorf("%w: notificationMetadata.notificationId is missing", ErrMalformed)
	}
	n := domain.Notice{ID: env.Metadata.NotificationID, Type: env.NotificationType}
	fail := func(format string, args ...any) (domain.Notice, error) {
		return domain.Notice{}, fmt.Errorf("%w: notification %s: %s", ErrMalformed, clip(n.ID), fmt.Sprintf(format, args...))
	}
	var ok bool
	if n.EventTime, ok = parseTime(env.EventTime); !ok {
		return fail("eventTime is missing or not an RFC 3339 time")
	}
	switch env.NotificationType {
	case domain.NoticeSecretExpiry:
		p := env.Payload.Expiry
		if p == nil {
			return fail("payload.applicationOAuthClientSecretExpiry is missing")
		}
		n.ClientID, n.Reason = p.ClientID, p.Reason
		if n.Deadline, ok = parseTime(p.ExpiryTime); !ok {
			return fail("clientSecretExpiryTime is missing or not an RFC 3339 time")
		}
	case domain.NoticeNewSecret:
		p := env.Payload.NewSecret
		if p == nil {
			return fail("payload.applicationOAuthClientNewSecret is missing")
		}
		n.ClientID = p.ClientID
		if n.Deadline, ok = parseTime(p.NewExpiryTime); !ok {
			return fail("newClientSecretExpiryTime is missing or not an RFC 3339 time")
		}
		if n.OldSecretExpiresAt, ok = parseTime(p.OldExpiryTime); !ok {
			return fail("oldClientSecretExpiryTime is missing or not an RFC 3339 time")
		}
	default:
		return fail("notificationType %q is not one notifier handles (%s, %s)", clip(env.NotificationType), domain.NoticeSecretExpiry, domain.NoticeNewSecret)
	}
	if n.ClientID == "" {
		return fail("clientId is missing")
	}
	if len(n.ID) > 200 || len(n.ClientID) > 200 {
		return fail("notificationId or clientId is longer than 200 characters")
	}
	return n, nil
}

// The times a notification may carry: those the config accepts.
var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// parseTime reads Amazon's times ("2026-06-01T00:00:00.000Z"), to the
// second, in UTC, from 1970 to 9999.
func parseTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Before(minTime) || t.After(maxTime) {
		return time.Time{}, false
	}
	return t.UTC().Truncate(time.Second), true
}

// jsonProblem says what is wrong with the JSON without quoting it: the
// offset of a syntax error, the field of a type error.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %s is a JSON %s, not a %s", typ.Field, typ.Value, typ.Type)
	}
	return "invalid JSON"
}

// clip shortens a value that is shown (a notification type): a message is
// not quoted at length.
func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// ErrRefused is the error of a well-formed notification notifier does not
// believe: sent by someone other than Amazon, or with dates no genuine one
// carries. It is handled as a malformed message is (left for the
// dead-letter queue, recorded at max_receives), and its text quotes no
// secret.
var ErrRefused = errors.New("refused SP-API notification")

// Bounds of a notification's dates. An LWA client secret lives 180 days;
// a genuine notification is sent at most 90 days before the expiry it
// states, and waits in SQS at most 14 days.
const (
	// EventSkew is how far ahead of the wall clock an eventTime may be.
	EventSkew = 10 * time.Minute
	// SecretLife is an LWA client secret's life.
	SecretLife = 180 * 24 * time.Hour
	// maxAge is how old an eventTime may be: a year, past any queue's
	// retention and dead-letter redrive.
	maxAge = 365 * 24 * time.Hour
)

// CheckDates refuses a notification whose dates are not sane at wall, the
// wall clock (never --at): an eventTime ahead of the clock (EventSkew
// allowed) or more than a year old, an expiry more than two secret lives
// (360 days) after the eventTime or more than one life before it (a 1970
// expiry), a new secret that expires before it was issued. The error wraps
// ErrRefused and names the field.
func CheckDates(n domain.Notice, wall time.Time) error {
	refuse := func(format string, args ...any) error {
		return fmt.Errorf("%w: notification %s: %s", ErrRefused, clip(n.ID), fmt.Sprintf(format, args...))
	}
	at := n.EventTime
	switch {
	case at.After(wall.Add(EventSkew)):
		return refuse("eventTime %s is ahead of the clock (%s)", stamp(at), stamp(wall))
	case at.Before(wall.Add(-maxAge)):
		return refuse("eventTime %s is more than a year before the clock (%s)", stamp(at), stamp(wall))
	}
	window := func(field string, t time.Time, earliest time.Time) error {
		if latest := at.Add(2 * SecretLife); t.Before(earliest) || t.After(latest) {
			return refuse("%s %s is outside %s … %s (around eventTime %s)", field, stamp(t), stamp(earliest), stamp(latest), stamp(at))
		}
		return nil
	}
	switch n.Type {
	case domain.NoticeSecretExpiry:
		return window("clientSecretExpiryTime", n.Deadline, at.Add(-SecretLife))
	case domain.NoticeNewSecret:
		if err := window("newClientSecretExpiryTime", n.Deadline, at); err != nil {
			return err
		}
		return window("oldClientSecretExpiryTime", n.OldSecretExpiresAt, at.Add(-SecretLife))
	}
	return nil
}
