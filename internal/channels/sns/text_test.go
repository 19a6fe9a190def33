package sns

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/notifier-dev/notifier/internal/channels"
)

var cet = time.FixedZone("CET", 3600)

// reminder is the 7-day reminder of sp-api-prod, as the engine renders it.
func reminder() channels.Message {
	deadline := time.Date(2026, 11, 28, 12, 0, 0, 0, cet)
	now := deadline.Add(-7*24*time.Hour + time.Hour) // 6d23h: "7 days remaining"
	return channels.Message{
		DeliveryID:    42,
		DeliveryKey:   "sp-api-prod/3/7d/ops/0",
		Credential:    "sp-api-prod",
		Name:          "SP-API production (LWA client secret)",
		Owner:         "marketplace-team",
		Stage:         "7d",
		RotatedAt:     deadline.Add(-180 * 24 * time.Hour),
		Deadline:      deadline,
		Now:           now,
		DaysRemaining: 7,
		Subject:       "SP-API production (LWA client secret): 7 days remaining",
		Text: "SP-API production (LWA client secret) (sp-api-prod), owned by marketplace-team: 7 days remaining.\n" +
			"Deadline: Sat 28 Nov 2026 12:00 CET (last rotated Mon 1 Jun 2026 12:00 CET).\n" +
			"Acknowledge: notifier ack sp-api-prod --by YOU\n" +
			"Once rotated, set rotated_at in the config or run: notifier rotate sp-api-prod",
	}
}

func overdue() channels.Message {
	m := reminder()
	m.Stage, m.Now = "overdue", m.Deadline.Add(30*time.Hour)
	m.DaysRemaining, m.Overdue, m.DaysOverdue = -1, true, 1 // one rule: overdue is minus remaining
	m.DeliveryKey = "sp-api-prod/3/overdue/ops/1"
	m.Subject = "SP-API production (LWA client secret): overdue by 1 day"
	return m
}

func TestSanitizeSubject(t *testing.T) {
	long := strings.Repeat("abcdefghij", 12) // 120 characters
	tests := []struct{ name, in, want string }{
		{"plain", "sp-api-prod: 7 days remaining", "sp-api-prod: 7 days remaining"},
		{"line breaks and tabs", "line one\r\nline two\tend", "line one line two end"},
		{"leading and trailing space", "  \n hello \n", "hello"},
		{"typographic", "“SP-API” – Amazon’s secret…", `"SP-API" - Amazon's secret...`},
		{"non-ascii", "Zugangsdaten für Müller 🔑 läuft ab", "Zugangsdaten f?r M?ller ? l?uft ab"},
		{"control characters", "a\x00b\x1bc\x7fd", "a b c d"},
		{"exactly 100", long[:100], long[:100]},
		{"101 is cut", long[:101], long[:97] + "..."},
		{"long", long, long[:97] + "..."},
		{"space before the cut is dropped", strings.Repeat("a", 96) + "  bcdefgh", strings.Repeat("a", 96) + "..."},
		{"empty", " \n ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SanitizeSubject(tt.in)
			if got != tt.want {
				t.Errorf("SanitizeSubject(%q) =\n %q, want\n %q", tt.in, got, tt.want)
			}
			if len(got) > MaxSubject {
				t.Errorf("len = %d > %d", len(got), MaxSubject)
			}
			for _, r := range got {
				if r < 0x20 || r > 0x7e {
					t.Errorf("%q contains %U, not printable ASCII", got, r)
				}
			}
		})
	}
}

func TestSMSText(t *testing.T) {
	final := reminder()
	final.Final, final.DaysRemaining = true, 1
	final.Now = final.Deadline.Add(-20 * time.Hour)

	acked := overdue()
	acked.Acknowledged, acked.AcknowledgedBy = true, "alice"

	test := channels.Sample(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))

	linked := reminder()
	linked.AckURL = "https://notifier.example.com/ack/AQEBAHriK8rxxwKzRCuxMuSCz4k"
	tooLong := reminder()
	tooLong.AckURL = "https://notifier.example.com/" + strings.Repeat("x", 100) + "/ack/AQEBAHriK8rxxwKzRCuxMuSCz4k"

	tests := []struct {
		name string
		m    channels.Message
		want string
	}{
		{"7 days", reminder(), "notifier: sp-api-prod 7 days remaining, deadline 2026-11-28. Ack: notifier ack sp-api-prod"},
		{"final notice has the hour", final, "notifier: sp-api-prod 24-hour notice, deadline 2026-11-28 12:00 CET. Ack: notifier ack sp-api-prod"},
		{"overdue", overdue(), "notifier: sp-api-prod overdue by 1 day, deadline 2026-11-28. Ack: notifier ack sp-api-prod"},
		{"acknowledged", acked, "notifier: sp-api-prod overdue by 1 day, deadline 2026-11-28. Acked by alice."},
		{"ack link that fits", linked, "notifier: sp-api-prod 7 days remaining, deadline 2026-11-28. Ack: https://notifier.example.com/ack/AQEBAHriK8rxxwKzRCuxMuSCz4k"},
		{"ack link too long for one segment: the command", tooLong, "notifier: sp-api-prod 7 days remaining, deadline 2026-11-28. Ack: notifier ack sp-api-prod"},
		{"test", test, "notifier test: sample-credential 7 days remaining, deadline 2026-05-08. Ack: notifier ack sample-credential"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SMSText(tt.m); got != tt.want {
				t.Errorf("SMSText =\n %q, want\n %q", got, tt.want)
			}
		})
	}
}

func TestSMSTextLongCredentialKeepsTheStartAndOneSegment(t *testing.T) {
	m := reminder()
	m.Credential = "amazon-sp-api-" + strings.Repeat("eu-marketplace-", 3) + "prod-" + "0123456789" + "x" // 75 characters
	got := SMSText(m)
	if len(got) != MaxSMS {
		t.Fatalf("len = %d, want cut to %d: %q", len(got), MaxSMS, got)
	}
	// The id and the status come first and survive; what is cut is the end.
	wantStart := "notifier: " + m.Credential + " 7 days remaining, deadline 2026-11-28. Ack: "
	if !strings.HasPrefix(got, wantStart) || !strings.HasSuffix(got, "...") {
		t.Errorf("SMSText = %q, want it to start with %q and end with ...", got, wantStart)
	}

	m = overdue()
	m.Acknowledged, m.AcknowledgedBy = true, "Zoë {ops} ~ [x]"
	got = SMSText(m)
	if want := "Acked by Zo? ?ops? ? ?x?."; !strings.HasSuffix(got, want) {
		t.Errorf("SMSText = %q, want non-GSM-basic characters replaced: ...%q", got, want)
	}
}

func TestInput(t *testing.T) {
	m := reminder()

	t.Run("topic", func(t *testing.T) {
		c := &Channel{cfg: Config{TopicARN: testTopic}}
		in, err := c.input(m)
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(in.TopicArn) != testTopic || in.PhoneNumber != nil || in.TargetArn != nil {
			t.Errorf("target: topic %v phone %v target %v", aws.ToString(in.TopicArn), in.PhoneNumber, in.TargetArn)
		}
		if got := aws.ToString(in.Subject); got != m.Subject {
			t.Errorf("Subject = %q, want %q", got, m.Subject)
		}
		if got := aws.ToString(in.Message); got != m.Text {
			t.Errorf("Message = %q, want the rendered text", got)
		}
		if in.MessageGroupId != nil || in.MessageDeduplicationId != nil {
			t.Errorf("standard topic got FIFO ids %v %v", in.MessageGroupId, in.MessageDeduplicationId)
		}
		wantAttrs(t, in.MessageAttributes, map[string][2]string{
			"credential": {"String", "sp-api-prod"}, "stage": {"String", "7d"}, "days_remaining": {"Number", "7"},
		})
	})

	t.Run("fifo topic", func(t *testing.T) {
		c := &Channel{cfg: Config{TopicARN: testFIFO}, fifo: true}
		in, err := c.input(m)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte("sp-api-prod/3/7d/ops/0"))
		if got, want := aws.ToString(in.MessageDeduplicationId), hex.EncodeToString(sum[:]); got != want {
			t.Errorf("MessageDeduplicationId = %q, want sha256(DeliveryKey) %q", got, want)
		}
		if got := aws.ToString(in.MessageGroupId); got != "sp-api-prod" {
			t.Errorf("MessageGroupId = %q, want the credential id", got)
		}
	})

	t.Run("sms", func(t *testing.T) {
		c := &Channel{cfg: Config{PhoneNumber: testPhone}}
		in, err := c.input(m)
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(in.PhoneNumber) != testPhone || in.TopicArn != nil || in.Subject != nil {
			t.Errorf("phone %v topic %v subject %v: want the phone only and no subject",
				aws.ToString(in.PhoneNumber), in.TopicArn, in.Subject)
		}
		if got := aws.ToString(in.Message); got != SMSText(m) {
			t.Errorf("Message = %q, want the SMS text", got)
		}
		wantAttrs(t, in.MessageAttributes, map[string][2]string{
			"credential": {"String", "sp-api-prod"}, "stage": {"String", "7d"}, "days_remaining": {"Number", "7"},
			"AWS.SNS.SMS.SMSType": {"String", "Transactional"},
		})
	})

	t.Run("mobile push", func(t *testing.T) {
		c := &Channel{cfg: Config{TargetARN: testEndpoint}}
		in, err := c.input(overdue())
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(in.TargetArn) != testEndpoint || in.Subject != nil {
			t.Errorf("target %v subject %v", aws.ToString(in.TargetArn), in.Subject)
		}
		if got := aws.ToString(in.Message); got != SMSText(overdue()) {
			t.Errorf("Message = %q, want the short text", got)
		}
		wantAttrs(t, in.MessageAttributes, map[string][2]string{
			"credential": {"String", "sp-api-prod"}, "stage": {"String", "overdue"}, "days_remaining": {"Number", "-1"},
		})
	})

	t.Run("subject template", func(t *testing.T) {
		tmpl, err := channels.ParseTemplate("subject", "{{upper .Credential}} — {{.Status}}\n{{.Name}}")
		if err != nil {
			t.Fatal(err)
		}
		c := &Channel{cfg: Config{TopicARN: testTopic}, subject: tmpl}
		in, err := c.input(m)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := aws.ToString(in.Subject), "SP-API-PROD - 7 days remaining SP-API production (LWA client secret)"; got != want {
			t.Errorf("Subject = %q, want %q", got, want)
		}
	})

	t.Run("empty text and subject", func(t *testing.T) {
		m := reminder()
		m.Subject, m.Text, m.Stage = "", "", ""
		c := &Channel{cfg: Config{TopicARN: testTopic}}
		in, err := c.input(m)
		if err != nil {
			t.Fatal(err)
		}
		if in.Subject != nil {
			t.Errorf("Subject = %q, want none (SNS refuses an empty one)", aws.ToString(in.Subject))
		}
		if got := aws.ToString(in.Message); got != SMSText(m) {
			t.Errorf("Message = %q, want the short text rather than an empty message", got)
		}
		if _, ok := in.MessageAttributes["stage"]; ok {
			t.Error("empty stage sent as an attribute; SNS refuses empty String values")
		}
	})
}

func TestFIFOIDs(t *testing.T) {
	a, b := reminder(), overdue()
	if dedupID(a) == dedupID(b) {
		t.Error("two deliveries share a deduplication id")
	}
	again := reminder()
	again.Now = again.Now.Add(time.Minute) // the engine's retry renders later
	if dedupID(a) != dedupID(again) {
		t.Error("a retried delivery got a new deduplication id; SNS would deliver it twice")
	}
	test1 := channels.Sample(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	test2 := channels.Sample(time.Date(2026, 5, 1, 9, 1, 0, 0, time.UTC))
	if dedupID(test1) == dedupID(test2) {
		t.Error("two `notifier test` runs share a deduplication id; SNS would drop the second")
	}
	for _, m := range []channels.Message{a, b, test1} {
		id := dedupID(m)
		if len(id) != 64 || strings.Trim(id, "0123456789abcdef") != "" {
			t.Errorf("dedupID = %q, want 64 hex digits", id)
		}
	}

	long := strings.Repeat("x", 200)
	tests := []struct{ in, want string }{
		{"sp-api-prod", "sp-api-prod"},
		{"", "notifier"},
		{"with space/é", "with_space/_"},
		{long, long[:128]},
	}
	for _, tt := range tests {
		if got := groupID(tt.in); got != tt.want {
			t.Errorf("groupID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func wantAttrs(t *testing.T, got map[string]typesAttr, want map[string][2]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("attributes %v, want %v", attrStrings(got), want)
	}
	for k, w := range want {
		a, ok := got[k]
		if !ok || aws.ToString(a.DataType) != w[0] || aws.ToString(a.StringValue) != w[1] {
			t.Errorf("attribute %s = %v, want %v", k, attrStrings(got)[k], w)
		}
	}
}

func attrStrings(attrs map[string]typesAttr) map[string][2]string {
	out := map[string][2]string{}
	for k, a := range attrs {
		out[k] = [2]string{aws.ToString(a.DataType), aws.ToString(a.StringValue)}
	}
	return out
}

type typesAttr = types.MessageAttributeValue
