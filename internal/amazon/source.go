package amazon

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/channels/awsauth"
	"github.com/notifier-dev/notifier/internal/domain"
)

// SourceTimeout bounds the reading of one source: a Parameter Store or
// Secrets Manager endpoint that hangs delays only its credential, and
// only this long.
const SourceTimeout = 20 * time.Second

// SourceReader reads the current version of a secret kept in Parameter
// Store or Secrets Manager: its id and date, never keeping its value. It
// builds one client per kind, region and endpoint, with credentials from
// the SDK's default chain, registered with the redactor as the SDK
// obtains them; every error it returns is redacted.
type SourceReader struct {
	red *channels.Redactor
	// Timeout bounds one CurrentVersion (SourceTimeout by default).
	Timeout time.Duration

	mu  sync.Mutex
	ssm map[clientKey]*ssm.Client
	sm  map[clientKey]*secretsmanager.Client
}

type clientKey struct{ region, endpoint string }

// NewSourceReader returns a reader whose errors red redacts. Nothing is
// contacted.
func NewSourceReader(red *channels.Redactor) *SourceReader {
	return &SourceReader{red: red, Timeout: SourceTimeout, ssm: map[clientKey]*ssm.Client{}, sm: map[clientKey]*secretsmanager.Client{}}
}

// CurrentVersion returns the version of src's secret in use now and when
// it was created.
//
// Parameter Store: a new version is made by every PutParameter, also one
// that changes only the policies or puts the same value again, and its
// LastModifiedDate moves with it. So the parameter's history is read with
// the values decrypted, each value is hashed in memory (and dropped), and
// the current value's version is the oldest of the unbroken run of
// versions with the current value's hash: its number and date are
// returned. Neither the value nor its hash leaves this function.
//
// Secrets Manager: the version with the AWSCURRENT stage, its VersionId
// and CreatedDate (DescribeSecret's LastRotatedDate or LastChangedDate
// when the list gives no date). No value is read.
func (r *SourceReader) CurrentVersion(ctx context.Context, src domain.AWSSource) (domain.SourceVersion, error) {
	ctx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()
	var v domain.SourceVersion
	var err error
	switch src.Kind {
	case domain.SourceSSM:
		v, err = r.parameterVersion(ctx, src)
	case domain.SourceSecretsManager:
		v, err = r.secretVersion(ctx, src)
	default:
		err = fmt.Errorf("unknown source kind %q", src.Kind)
	}
	if err != nil {
		return v, errors.New(r.red.String(fmt.Sprintf("%s: %v", src, err)))
	}
	v.Source = src.Kind
	return v, nil
}

// awsConfig is the SDK configuration of src's region, credentials
// redacted.
func (r *SourceReader) awsConfig(ctx context.Context, src domain.AWSSource, name string) (aws.Config, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if src.Region != "" {
		opts = append(opts, awsconfig.WithRegion(src.Region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return cfg, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return cfg, errors.New("no AWS region: set the credential's aws.region (or AWS_REGION)")
	}
	if cfg.Credentials != nil {
		cfg.Credentials = awsauth.RedactingCredentials(cfg.Credentials, r.red, name)
	}
	return cfg, nil
}

func (r *SourceReader) ssmClient(ctx context.Context, src domain.AWSSource) (*ssm.Client, error) {
	return cachedClient(ctx, r, r.ssm, src, "parameter store", func(cfg aws.Config, endpoint *string) *ssm.Client {
		return ssm.NewFromConfig(cfg, func(o *ssm.Options) {
			o.RetryMaxAttempts = 2 // the next sync tries again
			o.BaseEndpoint = endpoint
		})
	})
}

func (r *SourceReader) smClient(ctx context.Context, src domain.AWSSource) (*secretsmanager.Client, error) {
	return cachedClient(ctx, r, r.sm, src, "secrets manager", func(cfg aws.Config, endpoint *string) *secretsmanager.Client {
		return secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
			o.RetryMaxAttempts = 2
			o.BaseEndpoint = endpoint
		})
	})
}

// cachedClient is the client of src's region and endpoint in cache, built
// by build the first time (endpoint nil: the region's).
func cachedClient[C any](ctx context.Context, r *SourceReader, cache map[clientKey]C, src domain.AWSSource, name string,
	build func(cfg aws.Config, endpoint *string) C) (C, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := clientKey{src.Region, src.Endpoint}
	if c, ok := cache[k]; ok {
		return c, nil
	}
	cfg, err := r.awsConfig(ctx, src, name)
	if err != nil {
		var zero C
		return zero, err
	}
	var endpoint *string
	if src.Endpoint != "" {
		endpoint = aws.String(src.Endpoint)
	}
	c := build(cfg, endpoint)
	cache[k] = c
	return c, nil
}

// valueVersion is one version of a parameter: its number, date and the
// hash of its value.
type valueVersion struct {
	number int64
	at     time.Time
	hash   [sha256.Size]byte
}

func (r *SourceReader) parameterVersion(ctx context.Context, src domain.AWSSource) (domain.SourceVersion, error) {
	c, err := r.ssmClient(ctx, src)
	if err != nil {
		return domain.SourceVersion{}, err
	}
	cur, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(src.Name), WithDecryption: aws.Bool(false)})
	if err != nil {
		return domain.SourceVersion{}, fmt.Errorf("GetParameter: %w", err)
	}
	if cur.Parameter == nil {
		return domain.SourceVersion{}, errors.New("GetParameter: no parameter in the answer")
	}
	current := cur.Parameter.Version
	var versions []valueVersion
	p := ssm.NewGetParameterHistoryPaginator(c, &ssm.GetParameterHistoryInput{Name: aws.String(src.Name), WithDecryption: aws.Bool(true), MaxResults: aws.Int32(50)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return domain.SourceVersion{}, fmt.Errorf("GetParameterHistory: %w", err)
		}
		for i := range page.Parameters {
			h := &page.Parameters[i]
			if h.Version > current || h.LastModifiedDate == nil {
				continue // written after GetParameter: the next sync sees it
			}
			versions = append(versions, valueVersion{number: h.Version, at: *h.LastModifiedDate, hash: sha256.Sum256([]byte(aws.ToString(h.Value)))})
			h.Value = nil
		}
	}
	at, number, ok := valueRunStart(versions, current)
	if !ok {
		// The history does not hold the current version (a history
		// read before the put's replication): its own date.
		if cur.Parameter.LastModifiedDate == nil {
			return domain.SourceVersion{}, errors.New("GetParameter: no LastModifiedDate")
		}
		at, number = *cur.Parameter.LastModifiedDate, current
	}
	return domain.SourceVersion{Version: strconv.FormatInt(number, 10), At: at.UTC()}, nil
}

// valueRunStart finds, among versions in any order, the version current
// and walks back while the value stays the same: the number and date of
// the version that first held the current value.
func valueRunStart(versions []valueVersion, current int64) (time.Time, int64, bool) {
	byNumber := make(map[int64]valueVersion, len(versions))
	for _, v := range versions {
		byNumber[v.number] = v
	}
	start, ok := byNumber[current]
	if !ok {
		return time.Time{}, 0, false
	}
	for {
		prev, ok := byNumber[start.number-1]
		if !ok || prev.hash != start.hash {
			return start.at, start.number, true
		}
		start = prev
	}
}

func (r *SourceReader) secretVersion(ctx context.Context, src domain.AWSSource) (domain.SourceVersion, error) {
	c, err := r.smClient(ctx, src)
	if err != nil {
		return domain.SourceVersion{}, err
	}
	desc, err := c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(src.Name)})
	if err != nil {
		return domain.SourceVersion{}, fmt.Errorf("DescribeSecret: %w", err)
	}
	p := secretsmanager.NewListSecretVersionIdsPaginator(c, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(src.Name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return domain.SourceVersion{}, fmt.Errorf("ListSecretVersionIds: %w", err)
		}
		for _, v := range page.Versions {
			current := false
			for _, st := range v.VersionStages {
				current = current || st == "AWSCURRENT"
			}
			if !current || v.VersionId == nil {
				continue
			}
			at := v.CreatedDate
			if at == nil {
				at = desc.LastRotatedDate
			}
			if at == nil {
				at = desc.LastChangedDate
			}
			if at == nil {
				return domain.SourceVersion{}, fmt.Errorf("version %s has no date", *v.VersionId)
			}
			return domain.SourceVersion{Version: *v.VersionId, At: at.UTC()}, nil
		}
	}
	return domain.SourceVersion{}, errors.New("ListSecretVersionIds: no version has the stage AWSCURRENT")
}
