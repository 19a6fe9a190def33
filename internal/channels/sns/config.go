package sns

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/notifier-dev/notifier/internal/channels"
)

// Config is the block of a channel of `type: sns` (the type key itself is
// handled by the config package). Exactly one of TopicARN, PhoneNumber and
// TargetARN says where messages go.
type Config struct {
	// TopicARN publishes to an SNS topic, arn:aws:sns:REGION:ACCOUNT:NAME
	// (a name ending in .fifo is a FIFO topic).
	TopicARN string `yaml:"topic_arn"`
	// PhoneNumber sends an SMS directly to an E.164 number (+4915112345678).
	PhoneNumber string `yaml:"phone_number"`
	// TargetARN publishes to a mobile push endpoint,
	// arn:aws:sns:REGION:ACCOUNT:endpoint/PLATFORM/APP/ID.
	TargetARN string `yaml:"target_arn"`
	// Region is the AWS region. Empty means the region of TopicARN or
	// TargetARN, else the environment's (AWS_REGION, the profile).
	Region string `yaml:"region"`
	// Endpoint overrides the SNS endpoint URL (a local emulator, a VPC
	// endpoint).
	Endpoint string `yaml:"endpoint"`
	// Subject is a template for the Subject of topic messages (email
	// subscribers see it); empty means the message's rendered subject.
	Subject string `yaml:"subject"`
	// Profile is a profile of the shared AWS config and credentials files;
	// empty means the default chain (environment, AWS_PROFILE, IAM role).
	Profile string `yaml:"profile"`
}

var _ channels.Config = (*Config)(nil)

var (
	// arn:PARTITION:sns:REGION:ACCOUNT:RESOURCE
	arnRe       = regexp.MustCompile(`^arn:(aws[a-z-]*):sns:([a-z0-9-]+):(\d{12}):(.+)$`)
	topicNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
	endpointRe  = regexp.MustCompile(`^endpoint/[^/]+/[^/]+/[^/]+$`)
	e164Re      = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
	regionRe    = regexp.MustCompile(`^[a-z]{2,}(-[a-z]+)+-[0-9]+$`)
)

// snsARN is a parsed SNS ARN.
type snsARN struct {
	Partition, Region, Account, Resource string
}

func parseARN(s string) (snsARN, bool) {
	m := arnRe.FindStringSubmatch(s)
	if m == nil {
		return snsARN{}, false
	}
	return snsARN{Partition: m[1], Region: m[2], Account: m[3], Resource: m[4]}, true
}

// isFIFO reports whether a topic ARN names a FIFO topic.
func isFIFO(topicARN string) bool { return strings.HasSuffix(topicARN, ".fifo") }

// Routable: a message may be published to the owner's topic instead.
func (c *Config) Routable() error { return nil }

// Recipient is the topic, the phone number or the endpoint.
func (c *Config) Recipient() string {
	switch {
	case c.TopicARN != "":
		return c.TopicARN
	case c.PhoneNumber != "":
		return "sms " + c.PhoneNumber
	}
	return c.TargetARN
}

// Validate returns every problem of the configuration at once. It does not
// contact AWS, and it can't know whether the environment provides a region
// or credentials: New finds out about the region.
func (c *Config) Validate() []channels.FieldError {
	var errs []channels.FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, channels.FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}

	var targets []string
	if c.TopicARN != "" {
		targets = append(targets, "topic_arn")
	}
	if c.PhoneNumber != "" {
		targets = append(targets, "phone_number")
	}
	if c.TargetARN != "" {
		targets = append(targets, "target_arn")
	}
	switch len(targets) {
	case 0:
		add("topic_arn", "one of topic_arn, phone_number or target_arn is required")
	case 1:
	default:
		add(targets[1], "only one of topic_arn, phone_number and target_arn may be set, found %s", strings.Join(targets, " and "))
	}

	arnRegion := ""
	if c.TopicARN != "" {
		a, ok := parseARN(c.TopicARN)
		name := strings.TrimSuffix(a.Resource, ".fifo")
		if !ok || !topicNameRe.MatchString(name) {
			add("topic_arn", "%q is not a topic ARN like arn:aws:sns:eu-west-1:123456789012:my-topic", c.TopicARN)
		} else {
			arnRegion = a.Region
		}
	}
	if c.TargetARN != "" {
		a, ok := parseARN(c.TargetARN)
		if !ok || !endpointRe.MatchString(a.Resource) {
			add("target_arn", "%q is not a mobile endpoint ARN like arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/my-app/0a1b2c3d (use topic_arn for a topic)", c.TargetARN)
		} else {
			arnRegion = a.Region
		}
	}
	if c.PhoneNumber != "" && !e164Re.MatchString(c.PhoneNumber) {
		add("phone_number", "%q is not an E.164 number: a + then the country code and number, digits only, no spaces (+4915112345678)", c.PhoneNumber)
	}

	if c.Region != "" {
		switch {
		case !regionRe.MatchString(c.Region):
			add("region", "%q is not an AWS region like eu-west-1", c.Region)
		case arnRegion != "" && arnRegion != c.Region:
			add("region", "%q differs from the region of the ARN (%s); SNS only publishes in the target's region", c.Region, arnRegion)
		}
	}

	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		switch {
		case err == nil && u.User != nil:
			// Not quoted: it holds a password.
			add("endpoint", "must not contain credentials; they come from the environment or profile")
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			add("endpoint", "%q is not an http(s) URL like http://127.0.0.1:4100", c.Endpoint)
		}
	}

	if c.Subject != "" {
		if err := channels.CheckTemplate("subject", c.Subject); err != nil {
			add("subject", "%v", err)
		}
		if c.TopicARN == "" && len(targets) > 0 {
			add("subject", "is only used for topic_arn; SMS and mobile push have no subject")
		}
	}

	if strings.TrimSpace(c.Profile) != c.Profile {
		add("profile", "%q has leading or trailing spaces", c.Profile)
	}
	return errs
}

// Build returns the channel; it does not contact AWS.
func (c *Config) Build(name string, opts channels.Options) (channels.Channel, error) {
	return New(name, *c, opts)
}
