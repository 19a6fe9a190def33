package amazon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/domain"
)

// WriteNewSecret keeps a new client secret where the operator's tooling
// takes it from: the file named by the client id in dir, mode 0600,
// replaced atomically (a new file, synced, renamed over the old one, the
// folder synced). The file's modification time is the notification's
// eventTime: an older notification that SQS delivers late does not
// overwrite a newer secret (written reports whether the file was written).
// Errors never hold the secret.
func WriteNewSecret(dir string, n domain.Notice, secret channels.Secret) (written bool, err error) {
	if !domain.IsLWAClientID(n.ClientID) {
		return false, fmt.Errorf("amazon: new secret of notification %s: the client id is not of the form amzn1.application-oa2-client.…", n.ID)
	}
	if secret == "" {
		return false, fmt.Errorf("amazon: notification %s carries no newClientSecret", n.ID)
	}
	path := filepath.Join(dir, n.ClientID)
	if fi, err := os.Lstat(path); err == nil {
		if !fi.Mode().IsRegular() {
			return false, fmt.Errorf("amazon: %s is not a regular file; the new secret is not written", path)
		}
		if fi.ModTime().After(n.EventTime) {
			return false, nil // a newer secret is there
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("amazon: new secret: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+n.ClientID+".*")
	if err != nil {
		return false, fmt.Errorf("amazon: new secret: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename there is nothing to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return false, fmt.Errorf("amazon: new secret: %w", err)
	}
	if _, err := tmp.WriteString(string(secret)); err != nil {
		tmp.Close()
		return false, fmt.Errorf("amazon: new secret: writing %s: %w", tmp.Name(), errors.Unwrap(err))
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return false, fmt.Errorf("amazon: new secret: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return false, fmt.Errorf("amazon: new secret: %w", err)
	}
	at := n.EventTime
	if at.IsZero() {
		at = time.Now()
	}
	if err := os.Chtimes(tmp.Name(), at, at); err != nil {
		return false, fmt.Errorf("amazon: new secret: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return false, fmt.Errorf("amazon: new secret: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return true, nil
}

// ParameterSink hands a new client secret to Parameter Store, as Amazon's
// recipe keeps it: PutParameter, SecureString, Overwrite, under a name
// whose {client_id} is replaced by the application's client id, encrypted
// with KeyID (empty: the account's aws/ssm key). A parameter modified
// after the notification's eventTime is left alone: an older notification
// delivered late does not overwrite a newer secret. Errors are redacted
// and never hold the secret.
type ParameterSink struct {
	Name  string // may hold {client_id}
	KeyID string
	src   domain.AWSSource
	r     *SourceReader
}

// NewParameterSink returns a sink writing through the SDK's default chain,
// in region (empty: the SDK's), at endpoint (empty: the region's).
func NewParameterSink(name, keyID, region, endpoint string, red *channels.Redactor) *ParameterSink {
	return &ParameterSink{Name: name, KeyID: keyID, src: domain.AWSSource{Kind: domain.SourceSSM, Region: region, Endpoint: endpoint}, r: NewSourceReader(red)}
}

// ParameterName is the parameter a client id's secret goes to.
func (p *ParameterSink) ParameterName(clientID string) string {
	return strings.ReplaceAll(p.Name, "{client_id}", clientID)
}

// Put writes the secret of a new-secret notification; written reports
// whether it did (false: a newer value is there).
func (p *ParameterSink) Put(ctx context.Context, n domain.Notice, secret channels.Secret) (written bool, err error) {
	if secret == "" {
		return false, fmt.Errorf("amazon: notification %s carries no newClientSecret", n.ID)
	}
	ctx, cancel := context.WithTimeout(ctx, p.r.Timeout)
	defer cancel()
	name := p.ParameterName(n.ClientID)
	fail := func(err error) (bool, error) {
		return false, errors.New(p.r.red.String(fmt.Sprintf("amazon: new secret to parameter %s: %v", name, err)))
	}
	c, err := p.r.ssmClient(ctx, p.src)
	if err != nil {
		return fail(err)
	}
	cur, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(false)})
	var notFound *ssmtypes.ParameterNotFound
	switch {
	case errors.As(err, &notFound):
	case err != nil:
		return fail(err)
	case cur.Parameter != nil && cur.Parameter.LastModifiedDate != nil && cur.Parameter.LastModifiedDate.After(n.EventTime):
		return false, nil
	}
	in := &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(string(secret)), Type: ssmtypes.ParameterTypeSecureString, Overwrite: aws.Bool(true),
		Description: aws.String("LWA client secret of " + n.ClientID + ", from SP-API notification " + n.ID + " (notifier)")}
	if p.KeyID != "" {
		in.KeyId = aws.String(p.KeyID)
	}
	if _, err := c.PutParameter(ctx, in); err != nil {
		return fail(err)
	}
	return true, nil
}
