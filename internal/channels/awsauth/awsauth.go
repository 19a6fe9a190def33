// Package awsauth keeps the secrets of AWS credentials out of notifier's
// output: every AWS client of notifier (the SNS channel, the SQS consumer
// of SP-API notifications, the Secrets Manager and Parameter Store
// sources) wraps its credentials provider with RedactingCredentials. It is
// no integration: the sns channel and the amazon package both use it.
package awsauth

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/notifier-dev/notifier/internal/channels"
)

// RedactingCredentials wraps an AWS credentials provider so that the
// secret parts of what it hands the SDK are registered with red under
// source.
func RedactingCredentials(inner aws.CredentialsProvider, red *channels.Redactor, source string) aws.CredentialsProvider {
	return &redactingProvider{inner: inner, red: red, source: source}
}

// redactingProvider hands the SDK its credentials and registers the secret
// ones, the secret access key and the session token (the access key id is
// not a secret), with the Redactor as the SDK obtains them: on the first
// call, and again whenever temporary credentials are refreshed. Rotate
// keeps only the current and the previous set.
type redactingProvider struct {
	inner  aws.CredentialsProvider
	red    *channels.Redactor
	source string

	mu   sync.Mutex
	last string // the secret key and session token last registered
}

func (p *redactingProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	creds, err := p.inner.Retrieve(ctx)
	if err != nil {
		return creds, err
	}
	key := creds.SecretAccessKey + "\x00" + creds.SessionToken
	p.mu.Lock()
	defer p.mu.Unlock()
	if key != p.last {
		p.red.Rotate(p.source, creds.SecretAccessKey, creds.SessionToken)
		p.last = key
	}
	return creds, nil
}

// ProviderSources passes on where the credentials come from (the SDK puts
// it in its User-Agent).
func (p *redactingProvider) ProviderSources() []aws.CredentialSource {
	if ps, ok := p.inner.(aws.CredentialProviderSource); ok {
		return ps.ProviderSources()
	}
	return nil
}
