package sns

import (
	"strings"
	"testing"
)

const (
	testTopic    = "arn:aws:sns:eu-west-1:123456789012:rotation-reminders"
	testFIFO     = "arn:aws:sns:eu-west-1:123456789012:rotation-reminders.fifo"
	testEndpoint = "arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/notifier-app/5e3e9847-3183-3f18-a7e0-3b5e1a4b5c2d"
	testPhone    = "+4915112345678"
)

func TestValidate(t *testing.T) {
	// want: the fields of the expected problems, in order, each with a
	// fragment its message must contain.
	type problem struct{ field, contains string }
	tests := []struct {
		name string
		cfg  Config
		want []problem
	}{
		{"topic", Config{TopicARN: testTopic}, nil},
		{"fifo topic", Config{TopicARN: testFIFO}, nil},
		{"gov cloud topic", Config{TopicARN: "arn:aws-us-gov:sns:us-gov-west-1:123456789012:t"}, nil},
		{"phone", Config{PhoneNumber: testPhone}, nil},
		{"mobile endpoint", Config{TargetARN: testEndpoint}, nil},
		{"everything set", Config{TopicARN: testTopic, Region: "eu-west-1", Endpoint: "http://127.0.0.1:4100",
			Subject: "{{.Credential}}: {{.Status}}", Profile: "notifier"}, nil},
		{"https endpoint", Config{TopicARN: testTopic, Endpoint: "https://sns.eu-west-1.amazonaws.com"}, nil},

		{"no target", Config{}, []problem{{"topic_arn", "one of topic_arn, phone_number or target_arn is required"}}},
		{"two targets", Config{TopicARN: testTopic, PhoneNumber: testPhone},
			[]problem{{"phone_number", "found topic_arn and phone_number"}}},
		{"three targets", Config{TopicARN: testTopic, PhoneNumber: testPhone, TargetARN: testEndpoint},
			[]problem{{"phone_number", "found topic_arn and phone_number and target_arn"}}},
		{"sqs arn", Config{TopicARN: "arn:aws:sqs:eu-west-1:123456789012:q"}, []problem{{"topic_arn", `"arn:aws:sqs:eu-west-1:123456789012:q" is not a topic ARN`}}},
		{"short account", Config{TopicARN: "arn:aws:sns:eu-west-1:1234:t"}, []problem{{"topic_arn", "is not a topic ARN"}}},
		{"topic name with slash", Config{TopicARN: "arn:aws:sns:eu-west-1:123456789012:a/b"}, []problem{{"topic_arn", "is not a topic ARN"}}},
		{"topic name only", Config{TopicARN: "rotation-reminders"}, []problem{{"topic_arn", "is not a topic ARN"}}},
		{"topic as target_arn", Config{TargetARN: testTopic}, []problem{{"target_arn", "is not a mobile endpoint ARN"}}},
		{"phone with spaces", Config{PhoneNumber: "+49 151 12345678"}, []problem{{"phone_number", "no spaces"}}},
		{"phone with 00", Config{PhoneNumber: "004915112345678"}, []problem{{"phone_number", "is not an E.164 number"}}},
		{"phone too long", Config{PhoneNumber: "+1234567890123456"}, []problem{{"phone_number", "is not an E.164 number"}}},
		{"bad region", Config{PhoneNumber: testPhone, Region: "EU West"}, []problem{{"region", `"EU West" is not an AWS region`}}},
		{"region differs from arn", Config{TopicARN: testTopic, Region: "us-east-1"},
			[]problem{{"region", `"us-east-1" differs from the region of the ARN (eu-west-1)`}}},
		{"endpoint without scheme", Config{TopicARN: testTopic, Endpoint: "localhost:4100"}, []problem{{"endpoint", "is not an http(s) URL"}}},
		{"ftp endpoint", Config{TopicARN: testTopic, Endpoint: "ftp://127.0.0.1"}, []problem{{"endpoint", "is not an http(s) URL"}}},
		{"endpoint with password", Config{TopicARN: testTopic, Endpoint: "http://me:hunter2@127.0.0.1:4100"},
			[]problem{{"endpoint", "must not contain credentials"}}},
		{"subject does not parse", Config{TopicARN: testTopic, Subject: "{{.Name"}, []problem{{"subject", "template subject"}}},
		{"subject unknown field", Config{TopicARN: testTopic, Subject: "{{.Nope}}"}, []problem{{"subject", "Nope"}}},
		{"subject for sms", Config{PhoneNumber: testPhone, Subject: "{{.Name}}"}, []problem{{"subject", "only used for topic_arn"}}},
		{"profile with space", Config{TopicARN: testTopic, Profile: "notifier "}, []problem{{"profile", "spaces"}}},
		{"every problem at once", Config{Region: "x", Endpoint: "nope", Subject: "{{if}}"}, []problem{
			{"topic_arn", "is required"}, {"region", "is not an AWS region"},
			{"endpoint", "is not an http(s) URL"}, {"subject", "template subject"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cfg.Validate()
			if len(got) != len(tt.want) {
				t.Fatalf("Validate() = %v, want %d problems: %v", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if got[i].Field != w.field || !strings.Contains(got[i].Msg, w.contains) {
					t.Errorf("problem %d = %q, want field %q with %q", i, got[i].Error(), w.field, w.contains)
				}
			}
			for _, p := range got {
				if strings.Contains(p.Msg, "hunter2") {
					t.Errorf("problem quotes the endpoint's password: %q", p.Error())
				}
			}
		})
	}
}
