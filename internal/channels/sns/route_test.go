package sns

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/notifier-dev/notifier/internal/channels"
)

// A message with To (the owner's topic) is published there, as a FIFO
// topic when the owner's is one, instead of to the channel's topic_arn.
func TestPublishToOwnerRoute(t *testing.T) {
	c, err := New("ops", Config{TopicARN: testTopic, Region: "eu-west-1"}, channels.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		to        []string
		topic     string
		fifoDedup bool
	}{
		{nil, testTopic, false},
		{[]string{"arn:aws:sns:eu-west-1:123456789012:payments"}, "arn:aws:sns:eu-west-1:123456789012:payments", false},
		{[]string{"arn:aws:sns:eu-west-1:123456789012:payments.fifo"}, "arn:aws:sns:eu-west-1:123456789012:payments.fifo", true},
	} {
		m := channels.Sample(time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))
		m.DeliveryKey, m.To = "pay/1/7d/ops/0", tt.to
		in, err := c.input(m)
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(in.TopicArn); got != tt.topic || (in.MessageDeduplicationId != nil) != tt.fifoDedup {
			t.Errorf("To %q: topic %q, dedup id %v; want %q, dedup %v", tt.to, got, in.MessageDeduplicationId, tt.topic, tt.fifoDedup)
		}
	}
}
