// Package sns sends reminders through Amazon SNS: to a topic (whose
// subscribers may be email addresses, SQS queues, Lambda functions, HTTP
// endpoints, ...), as a direct SMS to a phone number, or to a mobile push
// endpoint.
//
// Credentials and, unless configured, the region come from the AWS SDK's
// default chain (environment variables, shared config and credentials
// files, SSO, web identity, ECS/EC2 roles), optionally with a named profile.
// The IAM permission needed is sns:Publish on the topic or endpoint (for an
// SMS, on "*"), plus kms:GenerateDataKey and kms:Decrypt on the key of a
// topic encrypted with a customer managed KMS key.
package sns

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"text/template"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/channels/awsauth"
)

// Type is the channel type in the config.
const Type = "sns"

// Channel publishes messages to one SNS target. Formatted (%v, %+v, %#v)
// or logged, it shows only its name and type.
type Channel struct {
	name    string
	cfg     Config
	client  *sns.Client
	subject *template.Template // nil: use m.Subject
	target  string             // for error messages: the ARN or the masked phone number
	fifo    bool
	log     *slog.Logger
	red     *channels.Redactor
}

var _ channels.Channel = (*Channel)(nil)

// New returns a channel named name publishing as cfg says. It validates cfg
// and loads the AWS configuration (environment, shared files, profile)
// without contacting AWS: credentials are resolved on the first Send.
//
// The SDK's own retries are turned off (one attempt per Send): the engine
// owns the retry loop, with its backoff, its record of every attempt and its
// visibility in status and metrics. SDK retries inside Send would multiply
// the attempts (3 SDK attempts for each of the engine's), hold a Send up to
// the SDK's backoff, and hide failures from the delivery history.
//
// The secret access key and the session token the SDK signs with are
// registered with opts.Redactor as the SDK obtains them (see
// awsauth.RedactingCredentials), so an error that echoes the request's headers does
// not show them; the phone number of an SMS channel is registered too.
func New(name string, cfg Config, opts channels.Options) (*Channel, error) {
	return newChannel(name, cfg, opts)
}

// newChannel is New with extra options for the AWS configuration (tests:
// a static credentials provider).
func newChannel(name string, cfg Config, opts channels.Options, extra ...func(*awsconfig.LoadOptions) error) (*Channel, error) {
	if errs := cfg.Validate(); len(errs) > 0 {
		joined := make([]error, len(errs))
		for i, e := range errs {
			joined[i] = e
		}
		return nil, fmt.Errorf("sns %s: %w", name, errors.Join(joined...))
	}
	c := &Channel{name: name, cfg: cfg, log: opts.Logger, red: opts.RedactorOrNew()}
	c.red.Add(cfg.PhoneNumber)
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	switch {
	case cfg.TopicARN != "":
		c.target = cfg.TopicARN
		c.fifo = isFIFO(cfg.TopicARN)
	case cfg.TargetARN != "":
		c.target = cfg.TargetARN
	default:
		c.target = maskPhone(cfg.PhoneNumber)
	}
	if cfg.Subject != "" {
		t, err := channels.ParseTemplate("subject", cfg.Subject)
		if err != nil {
			return nil, fmt.Errorf("sns %s: subject: %w", name, err)
		}
		c.subject = t
	}

	region := cfg.Region
	if region == "" {
		if a, ok := parseARN(cfg.TopicARN + cfg.TargetARN); ok {
			region = a.Region
		}
	}
	loadOpts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryMaxAttempts(1),
	}
	if region != "" {
		loadOpts = append(loadOpts, awsconfig.WithRegion(region))
	}
	if cfg.Profile != "" {
		loadOpts = append(loadOpts, awsconfig.WithSharedConfigProfile(cfg.Profile))
	}
	if opts.HTTPClient != nil {
		loadOpts = append(loadOpts, awsconfig.WithHTTPClient(opts.HTTP(0)))
	}
	loadOpts = append(loadOpts, extra...)
	// LoadDefaultConfig reads environment variables and the shared files;
	// it does not call AWS (credentials are fetched lazily, on first use).
	awsCfg, err := awsconfig.LoadDefaultConfig(context.Background(), loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("sns %s: load AWS configuration: %w", name, err)
	}
	if awsCfg.Credentials != nil {
		awsCfg.Credentials = awsauth.RedactingCredentials(awsCfg.Credentials, c.red, "sns "+name)
	}
	if awsCfg.Region == "" {
		return nil, fmt.Errorf("sns %s: region: not set, and the environment provides none (set region, AWS_REGION or the profile's region)", name)
	}
	c.client = sns.NewFromConfig(awsCfg, func(o *sns.Options) {
		// Also overrides AWS_MAX_ATTEMPTS and a profile's max_attempts.
		o.RetryMaxAttempts = 1
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
	})
	return c, nil
}

// Name is the channel's name in the config.
func (c *Channel) Name() string { return c.name }

// Type is "sns".
func (c *Channel) Type() string { return Type }

// String is the channel's name and type.
func (c *Channel) String() string { return channels.Describe(c) }

// GoString is String, for %#v.
func (c *Channel) GoString() string { return channels.Describe(c) }

// LogValue is what slog shows of the channel: its name and type.
func (c *Channel) LogValue() slog.Value { return channels.LogValue(c) }

// Send publishes m once. A nil error means SNS accepted the message (for a
// topic: it will deliver it to the subscribers). Errors are Permanent or
// Retryable, see classify.
func (c *Channel) Send(ctx context.Context, m channels.Message) error {
	in, err := c.input(m)
	if err != nil {
		return channels.Permanent(fmt.Errorf("sns %s: %w", c.name, err))
	}
	out, err := c.client.Publish(ctx, in)
	if err != nil {
		return c.red.Error(classify(fmt.Errorf("sns %s: publish %s: %w", c.name, c.target, err)))
	}
	c.log.Debug("sns: published", "channel", c.name, "target", c.target,
		"credential", m.Credential, "stage", m.Stage, "message_id", aws.ToString(out.MessageId))
	return nil
}

// MaxMessageBytes bounds a digest's text: SNS takes at most 256 KB a
// message, attributes included, so a larger digest is cut at a row and
// says how many more it had.
const MaxMessageBytes = 250 * 1024

// input builds the Publish request for m.
func (c *Channel) input(m channels.Message) (*sns.PublishInput, error) {
	in := &sns.PublishInput{MessageAttributes: attributes(m)}
	topic, fifo := c.cfg.TopicARN, c.fifo
	if len(m.To) > 0 {
		topic, fifo = m.To[0], isFIFO(m.To[0]) // the owner's topic
	}
	switch {
	case topic != "":
		in.TopicArn = aws.String(topic)
		subject := m.Subject
		if c.subject != nil {
			s, err := channels.Render(c.subject, m)
			if err != nil {
				return nil, err
			}
			subject = s
		}
		if s := SanitizeSubject(subject); s != "" {
			in.Subject = aws.String(s)
		}
		text := m.Text
		if m.Digest != nil {
			text = m.Digest.TextWithin(MaxMessageBytes)
		}
		if text == "" {
			// SNS refuses an empty message.
			text = SMSText(m)
		}
		in.Message = aws.String(text)
		if fifo {
			in.MessageGroupId = aws.String(groupID(m.Credential))
			in.MessageDeduplicationId = aws.String(dedupID(m))
		}
	case c.cfg.TargetARN != "":
		// A push notification is a short banner: the SMS text fits it.
		in.TargetArn = aws.String(c.cfg.TargetARN)
		in.Message = aws.String(SMSText(m))
	default:
		in.PhoneNumber = aws.String(c.cfg.PhoneNumber)
		in.Message = aws.String(SMSText(m))
		// A rotation reminder is transactional: SNS then prefers the
		// routes with the highest delivery reliability (and does not apply
		// the account's default, which may be Promotional).
		in.MessageAttributes["AWS.SNS.SMS.SMSType"] = types.MessageAttributeValue{
			DataType: aws.String("String"), StringValue: aws.String("Transactional"),
		}
	}
	return in, nil
}

// attributes are the message attributes subscribers can filter on:
// credential, stage (String) and days_remaining (Number). SNS refuses an
// empty String value, so empty fields are left out.
func attributes(m channels.Message) map[string]types.MessageAttributeValue {
	attrs := map[string]types.MessageAttributeValue{
		"days_remaining": {DataType: aws.String("Number"), StringValue: aws.String(strconv.Itoa(m.DaysRemaining))},
	}
	if m.Credential != "" {
		attrs["credential"] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(m.Credential)}
	}
	if m.Stage != "" {
		attrs["stage"] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(m.Stage)}
	}
	return attrs
}

// maskPhone keeps a phone number out of error messages and logs but for
// its last three digits: "+4915112345678" becomes "+*******678".
func maskPhone(p string) string {
	if len(p) <= 4 {
		return "+***"
	}
	return "+*******" + p[len(p)-3:]
}
