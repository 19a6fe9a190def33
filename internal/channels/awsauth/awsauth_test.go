package awsauth_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/channels/awsauth"
)

// Made-up credentials, never real.
type rotating struct{ sets []aws.Credentials }

func (r *rotating) Retrieve(context.Context) (aws.Credentials, error) {
	c := r.sets[0]
	if len(r.sets) > 1 {
		r.sets = r.sets[1:]
	}
	return c, nil
}

func (r *rotating) ProviderSources() []aws.CredentialSource {
	return []aws.CredentialSource{aws.CredentialSourceEnvVars}
}

// The secret key and the session token the SDK obtains are redacted, the
// access key id is not; refreshed credentials replace the old ones.
func TestRedactingCredentials(t *testing.T) {
	first := aws.Credentials{AccessKeyID: "AKIAFIRSTEXAMPLE0001", SecretAccessKey: "first-secret-key-0123456789", SessionToken: "first-session-token-0123456789"}
	second := aws.Credentials{AccessKeyID: "AKIASECONDEXAMPLE002", SecretAccessKey: "second-secret-key-0123456789", SessionToken: "second-session-token-0123456789"}
	red := channels.NewRedactor()
	p := awsauth.RedactingCredentials(&rotating{sets: []aws.Credentials{first, second}}, red, "test")
	if _, err := p.Retrieve(t.Context()); err != nil {
		t.Fatal(err)
	}
	line := func(c aws.Credentials) string { return c.AccessKeyID + " " + c.SecretAccessKey + " " + c.SessionToken }
	got := red.String(line(first))
	if strings.Contains(got, first.SecretAccessKey) || strings.Contains(got, first.SessionToken) || !strings.Contains(got, first.AccessKeyID) {
		t.Errorf("after the first Retrieve: %q", got)
	}
	if _, err := p.Retrieve(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := red.String(line(second)); strings.Contains(got, second.SecretAccessKey) || strings.Contains(got, second.SessionToken) {
		t.Errorf("after a refresh: %q", got)
	}
	ps, ok := p.(aws.CredentialProviderSource)
	if !ok || len(ps.ProviderSources()) != 1 || ps.ProviderSources()[0] != aws.CredentialSourceEnvVars {
		t.Error("the inner provider's sources are not passed on")
	}
}
