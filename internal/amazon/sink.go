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
	at := n.EventTime
	if at.IsZero() {
		at = time.Now()
	}
	if err := writeAtomic(dir, n.ClientID, secret, at); err != nil {
		return false, err
	}
	return true, nil
}

// writeAtomic writes secret to dir/name, mode 0600, dated at: a new file,
// synced, renamed over the old one, the folder synced. Errors never hold
// the secret.
func writeAtomic(dir, name string, secret channels.Secret, at time.Time) error {
	tmp, err := os.CreateTemp(dir, "."+name+".*")
	if err != nil {
		return fmt.Errorf("amazon: new secret: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename there is nothing to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("amazon: new secret: %w", err)
	}
	if _, err := tmp.WriteString(string(secret)); err != nil {
		tmp.Close()
		return fmt.Errorf("amazon: new secret: writing %s: %w", tmp.Name(), errors.Unwrap(err))
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("amazon: new secret: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("amazon: new secret: %w", err)
	}
	if err := os.Chtimes(tmp.Name(), at, at); err != nil {
		return fmt.Errorf("amazon: new secret: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("amazon: new secret: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// VersionsDir is the folder beside a client id's file in dir where every
// new secret received for it is kept (a client id that is not one, from a
// refused message: "invalid-client-id.versions").
func VersionsDir(dir, clientID string) string {
	if !domain.IsLWAClientID(clientID) {
		clientID = "invalid-client-id"
	}
	return filepath.Join(dir, clientID+".versions")
}

// RefusedSuffix ends the name of a version whose notification was refused.
const RefusedSuffix = ".refused"

// KeepSecretVersion keeps a new secret received, whatever becomes of its
// notification, so that no secret Amazon sent is ever lost to a forged or
// late message: a file in VersionsDir, mode 0600, named by when it was
// received (UTC, to the nanosecond: the names sort in the order received)
// and the notification id, with RefusedSuffix when the notification was
// refused. The same secret of the same notification id is kept once
// (written reports whether it was written now). Errors never hold the
// secret.
func KeepSecretVersion(dir string, n domain.Notice, secret channels.Secret, received time.Time, refused bool) (written bool, err error) {
	if secret == "" {
		return false, fmt.Errorf("amazon: notification %s carries no newClientSecret", n.ID)
	}
	vdir := VersionsDir(dir, n.ClientID)
	if err := os.Mkdir(vdir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return false, fmt.Errorf("amazon: new secret versions: %w", err)
	}
	id := safeName(n.ID)
	entries, err := os.ReadDir(vdir)
	if err != nil {
		return false, fmt.Errorf("amazon: new secret versions: %w", err)
	}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), RefusedSuffix)
		if !e.Type().IsRegular() || !strings.HasSuffix(name, "-"+id) {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(vdir, e.Name())); err == nil && string(b) == string(secret) {
			return false, nil // kept before: SQS delivered it again
		}
	}
	name := received.UTC().Format("20060102T150405.000000000Z") + "-" + id
	if refused {
		name += RefusedSuffix
	}
	if err := writeAtomic(vdir, name, secret, received); err != nil {
		return false, err
	}
	return true, nil
}

// safeName is s as a file name: letters, digits, '.', '_' and '-' kept,
// anything else '_', at most 100 characters.
func safeName(s string) string {
	b := []byte(s)
	if len(b) > 100 {
		b = b[:100]
	}
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	if len(b) == 0 || b[0] == '.' {
		return "_" + string(b)
	}
	return string(b)
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
