package sns

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/testutil/goaws"
)

// isolateAWS gives the SDK static test credentials and a region, and keeps
// this machine's AWS configuration (shared files, profiles, roles, endpoint
// overrides) out of the test.
func isolateAWS(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	t.Setenv("AWS_REGION", goaws.Region)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, k := range []string{
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SNS", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE",
		"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	} {
		t.Setenv(k, "") // the SDK treats empty as unset
	}
}

func mustNew(t *testing.T, cfg Config) *Channel {
	t.Helper()
	ch, err := New("ops", cfg, channels.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

var topicSeq atomic.Int32

// topicName is a topic name unique in this process (goaws' topics are
// global).
func topicName(t *testing.T, suffix string) string {
	name := regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(t.Name(), "-")
	return name + "-" + strconv.Itoa(int(topicSeq.Add(1))) + suffix
}

const wait = 5 * time.Second

func TestPublishToTopic(t *testing.T) {
	srv := goaws.MustStart(t)
	longTitle := reminder()
	longTitle.Subject = "Amazon SP-API „production“ — EU, NA and FE marketplaces\nLWA client secret for the order, listing and report integrations: 7 days remaining"

	tests := []struct {
		name        string
		subject     string // the channel's subject template
		m           channels.Message
		wantSubject string
		wantAttrs   map[string]goaws.Attribute
	}{
		{
			name: "default subject", m: reminder(),
			wantSubject: "SP-API production (LWA client secret): 7 days remaining",
			wantAttrs: map[string]goaws.Attribute{
				"credential":     {Type: "String", Value: "sp-api-prod"},
				"stage":          {Type: "String", Value: "7d"},
				"days_remaining": {Type: "Number", Value: "7"},
			},
		},
		{
			name: "overdue", m: overdue(),
			wantSubject: "SP-API production (LWA client secret): overdue by 1 day",
			wantAttrs: map[string]goaws.Attribute{
				"credential":     {Type: "String", Value: "sp-api-prod"},
				"stage":          {Type: "String", Value: "overdue"},
				"days_remaining": {Type: "Number", Value: "-1"},
			},
		},
		{
			name: "long non-ascii subject is sanitized", m: longTitle,
			wantSubject: `Amazon SP-API "production" - EU, NA and FE marketplaces LWA client secret for the order, listing...`,
			wantAttrs: map[string]goaws.Attribute{
				"credential":     {Type: "String", Value: "sp-api-prod"},
				"stage":          {Type: "String", Value: "7d"},
				"days_remaining": {Type: "Number", Value: "7"},
			},
		},
		{
			name: "subject template", subject: "[notifier] {{.Credential}}: {{.Status}} (deadline {{day .Deadline}})", m: overdue(),
			wantSubject: "[notifier] sp-api-prod: overdue by 1 day (deadline 2026-11-28)",
			wantAttrs: map[string]goaws.Attribute{
				"credential":     {Type: "String", Value: "sp-api-prod"},
				"stage":          {Type: "String", Value: "overdue"},
				"days_remaining": {Type: "Number", Value: "-1"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolateAWS(t)
			rec := goaws.NewRecorder(t)
			arn := srv.CreateTopic(topicName(t, ""), rec.URL)
			ch := mustNew(t, Config{TopicARN: arn, Endpoint: srv.URL, Subject: tt.subject})

			if err := ch.Send(context.Background(), tt.m); err != nil {
				t.Fatal(err)
			}
			n, err := rec.Next(wait)
			if err != nil {
				t.Fatal(err)
			}
			if n.Type != "Notification" || n.TopicArn != arn {
				t.Errorf("got a %q from %q, want a Notification from %q", n.Type, n.TopicArn, arn)
			}
			if n.Subject != tt.wantSubject {
				t.Errorf("Subject =\n %q, want\n %q", n.Subject, tt.wantSubject)
			}
			if n.Message != tt.m.Text {
				t.Errorf("Message =\n %q, want the rendered text\n %q", n.Message, tt.m.Text)
			}
			if len(n.MessageAttributes) != len(tt.wantAttrs) {
				t.Errorf("MessageAttributes = %v, want %v", n.MessageAttributes, tt.wantAttrs)
			}
			for k, want := range tt.wantAttrs {
				if got := n.MessageAttributes[k]; got != want {
					t.Errorf("attribute %s = %+v, want %+v", k, got, want)
				}
			}
			if extra := rec.Pending(); len(extra) != 0 {
				t.Errorf("%d more notifications for one Send: %+v", len(extra), extra)
			}
		})
	}
}

// TestFIFOIDsOnTheWire checks that MessageGroupId and MessageDeduplicationId
// reach SNS. goaws ignores both (it neither forwards them to subscribers
// nor deduplicates), so a recording proxy in front of it reads them off the
// Publish request the SDK sent.
func TestFIFOIDsOnTheWire(t *testing.T) {
	isolateAWS(t)
	srv := goaws.MustStart(t)
	proxy := goaws.NewProxy(t, srv.URL)
	rec := goaws.NewRecorder(t)
	arn := srv.CreateTopic(topicName(t, ".fifo"), rec.URL)
	ch := mustNew(t, Config{TopicARN: arn, Endpoint: proxy.URL})

	first, retry, next := reminder(), reminder(), overdue()
	retry.Now = retry.Now.Add(10 * time.Minute) // the engine's retry of the same delivery
	for _, m := range []channels.Message{first, retry, next} {
		if err := ch.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		if _, err := rec.Next(wait); err != nil { // it went through to goaws
			t.Fatal(err)
		}
	}

	reqs := proxy.Requests()
	if len(reqs) != 3 {
		t.Fatalf("proxy saw %d requests, want 3 Publish", len(reqs))
	}
	hash := func(key string) string {
		sum := sha256.Sum256([]byte(key))
		return hex.EncodeToString(sum[:])
	}
	want := []string{hash(first.DeliveryKey), hash(first.DeliveryKey), hash(next.DeliveryKey)}
	for i, form := range reqs {
		if form.Get("Action") != "Publish" || form.Get("TopicArn") != arn {
			t.Errorf("request %d: Action %q TopicArn %q", i, form.Get("Action"), form.Get("TopicArn"))
		}
		if got := form.Get("MessageGroupId"); got != "sp-api-prod" {
			t.Errorf("request %d: MessageGroupId = %q, want the credential id", i, got)
		}
		if got := form.Get("MessageDeduplicationId"); got != want[i] {
			t.Errorf("request %d: MessageDeduplicationId = %q, want sha256 of %q", i, got, []string{first.DeliveryKey, first.DeliveryKey, next.DeliveryKey}[i])
		}
	}
	if reqs[0].Get("MessageDeduplicationId") != reqs[1].Get("MessageDeduplicationId") {
		t.Error("a retry of the same delivery has a new deduplication id: SNS would deliver it twice")
	}
}

// TestSMSOnTheWire reads an SMS Publish off the wire: goaws has no SMS (it
// answers a Publish without TopicArn as a missing topic), so only the
// request is checked.
func TestSMSOnTheWire(t *testing.T) {
	isolateAWS(t)
	srv := goaws.MustStart(t)
	proxy := goaws.NewProxy(t, srv.URL)
	ch := mustNew(t, Config{PhoneNumber: testPhone, Endpoint: proxy.URL})
	_ = ch.Send(context.Background(), reminder()) // goaws can't deliver it; see above

	reqs := proxy.Requests()
	if len(reqs) != 1 {
		t.Fatalf("proxy saw %d requests, want 1", len(reqs))
	}
	form := reqs[0]
	if form.Get("PhoneNumber") != testPhone || form.Has("TopicArn") || form.Has("Subject") {
		t.Errorf("PhoneNumber %q TopicArn %q Subject %q: want the phone number, no topic, no subject",
			form.Get("PhoneNumber"), form.Get("TopicArn"), form.Get("Subject"))
	}
	wantText := "notifier: sp-api-prod 7 days remaining, deadline 2026-11-28. Ack: notifier ack sp-api-prod"
	if got := form.Get("Message"); got != wantText {
		t.Errorf("Message = %q, want %q", got, wantText)
	}
	attrs := map[string]string{}
	for i := 1; form.Has(entry(i, "Name")); i++ {
		attrs[form.Get(entry(i, "Name"))] = form.Get(entry(i, "Value.DataType")) + ":" + form.Get(entry(i, "Value.StringValue"))
	}
	wantAttrs := map[string]string{
		"AWS.SNS.SMS.SMSType": "String:Transactional",
		"credential":          "String:sp-api-prod",
		"stage":               "String:7d",
		"days_remaining":      "Number:7",
	}
	if len(attrs) != len(wantAttrs) {
		t.Errorf("attributes %v, want %v", attrs, wantAttrs)
	}
	for k, v := range wantAttrs {
		if attrs[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, attrs[k], v)
		}
	}
}

func entry(i int, field string) string {
	return "MessageAttributes.entry." + strconv.Itoa(i) + "." + field
}

// TestMissingTopicIsPermanent publishes to a topic goaws does not have.
// goaws answers HTTP 400 with code AWS.SimpleNotificationService.NonExistentTopic;
// real SNS answers HTTP 404 with code NotFound ("Topic does not exist"),
// which TestClassify and TestErrorAnswers cover. Both are permanent.
func TestMissingTopicIsPermanent(t *testing.T) {
	isolateAWS(t)
	srv := goaws.MustStart(t)
	arn := srv.TopicARN(topicName(t, "-never-created"))
	ch := mustNew(t, Config{TopicARN: arn, Endpoint: srv.URL})

	err := ch.Send(context.Background(), reminder())
	if err == nil {
		t.Fatal("Send to a missing topic succeeded")
	}
	if !channels.IsPermanent(err) {
		t.Errorf("not permanent: %v", err)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AWS.SimpleNotificationService.NonExistentTopic" {
		t.Errorf("want goaws' NonExistentTopic API error in the chain: %v", err)
	}
	if want := "sns ops: publish " + arn + ": "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}
}

func TestNew(t *testing.T) {
	t.Run("region from the topic ARN", func(t *testing.T) {
		isolateAWS(t) // AWS_REGION=us-east-1
		ch := mustNew(t, Config{TopicARN: testTopic})
		if got := ch.client.Options().Region; got != "eu-west-1" {
			t.Errorf("region = %q, want the ARN's eu-west-1", got)
		}
		if ch.Name() != "ops" || ch.Type() != "sns" {
			t.Errorf("Name %q Type %q", ch.Name(), ch.Type())
		}
		if got := ch.client.Options().RetryMaxAttempts; got != 1 {
			t.Errorf("RetryMaxAttempts = %d, want 1", got)
		}
	})
	t.Run("region from the environment", func(t *testing.T) {
		isolateAWS(t)
		ch := mustNew(t, Config{PhoneNumber: testPhone})
		if got := ch.client.Options().Region; got != goaws.Region {
			t.Errorf("region = %q, want AWS_REGION's %q", got, goaws.Region)
		}
	})
	t.Run("no region anywhere", func(t *testing.T) {
		isolateAWS(t)
		t.Setenv("AWS_REGION", "")
		_, err := New("ops", Config{PhoneNumber: testPhone}, channels.Options{})
		if err == nil || !strings.Contains(err.Error(), "sns ops: region: not set") {
			t.Errorf("New = %v, want a missing region error", err)
		}
	})
	t.Run("profile", func(t *testing.T) {
		isolateAWS(t)
		config := filepath.Join(t.TempDir(), "config")
		if err := os.WriteFile(config, []byte("[profile notifier]\nregion = ap-southeast-2\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("AWS_CONFIG_FILE", config)
		t.Setenv("AWS_REGION", "") // it would win over the profile's region
		ch := mustNew(t, Config{PhoneNumber: testPhone, Profile: "notifier"})
		if got := ch.client.Options().Region; got != "ap-southeast-2" {
			t.Errorf("region = %q, want the profile's ap-southeast-2", got)
		}
		_, err := New("ops", Config{PhoneNumber: testPhone, Profile: "nope"}, channels.Options{})
		if err == nil || !strings.Contains(err.Error(), "nope") {
			t.Errorf("New with a missing profile = %v, want an error naming it", err)
		}
	})
	t.Run("invalid config", func(t *testing.T) {
		isolateAWS(t)
		_, err := New("ops", Config{PhoneNumber: "0151", Endpoint: "nope"}, channels.Options{})
		if err == nil || !strings.Contains(err.Error(), "phone_number: ") || !strings.Contains(err.Error(), "endpoint: ") {
			t.Errorf("New = %v, want both problems", err)
		}
	})
	t.Run("Build", func(t *testing.T) {
		isolateAWS(t)
		cfg := &Config{TopicARN: testFIFO, Endpoint: "http://127.0.0.1:1"}
		ch, err := cfg.Build("alerts", channels.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if ch.Name() != "alerts" || ch.Type() != Type || !ch.(*Channel).fifo {
			t.Errorf("Build = %q %q fifo=%v", ch.Name(), ch.Type(), ch.(*Channel).fifo)
		}
	})
}
