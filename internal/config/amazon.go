package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/notifier-dev/notifier/internal/domain"
)

// Amazon is the amazon: block: where Amazon's SP-API notifications arrive.
// The Parameter Store and Secrets Manager sources, the probe and rotation
// through Amazon will add their keys here and under a credential's lwa:.
type Amazon struct {
	// SQSQueueURL is the queue the Developer Console's notification
	// subscription sends to.
	SQSQueueURL string
	Region      string // the queue's AWS region
	// Endpoint overrides the SQS endpoint (a local emulator, a VPC
	// endpoint); empty: the region's.
	Endpoint string
	// NewSecretDir is the folder (absolute) where the new client secret of
	// a new-secret notification is written, as a file named by the client
	// id, mode 0600; empty: the secret is not kept.
	NewSecretDir string
	// NewSecretParameter is the Parameter Store name (its {client_id}
	// replaced) the new client secret is put to, SecureString, Overwrite;
	// empty: none. NewSecretKMSKey encrypts it (empty: aws/ssm), and
	// SSMEndpoint overrides Parameter Store's endpoint in Region.
	NewSecretParameter string
	NewSecretKMSKey    string
	SSMEndpoint        string
	// MaxReceives is how many times a malformed message is received
	// (SQS's ApproximateReceiveCount) before notifier records it in the
	// history and deletes it; below it the message is left for the queue's
	// dead-letter policy. DefaultMaxReceives when not set.
	MaxReceives int
	// SenderIDs are the SQS SenderId values of Amazon's messages
	// (amazon.sender_ids): a message whose SenderId is not one of them is
	// refused. DefaultSenderIDs when not set.
	SenderIDs []string
}

// DefaultMaxReceives is amazon.max_receives when it is not set.
const DefaultMaxReceives = 5

// DefaultSenderIDs is amazon.sender_ids when it is not set: the account
// the SP-API documentation names as the sender of notifications (the
// principal of the queue policy).
var DefaultSenderIDs = []string{"437568002678"}

// senderIDRE is an SQS SenderId: an account id, an IAM user id, or a role
// id and its session name.
var senderIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9:._@=,+/-]{0,199}$`)

// amazonBlock is the amazon: block.
type amazonBlock struct {
	SQSQueueURL        *yaml.Node `yaml:"sqs_queue_url"`
	Region             *yaml.Node `yaml:"region"`
	Endpoint           *yaml.Node `yaml:"endpoint"`
	NewSecretDir       *yaml.Node `yaml:"new_secret_dir"`
	NewSecretParameter *yaml.Node `yaml:"new_secret_parameter"`
	NewSecretKMSKey    *yaml.Node `yaml:"new_secret_kms_key"`
	SSMEndpoint        *yaml.Node `yaml:"ssm_endpoint"`
	MaxReceives        *yaml.Node `yaml:"max_receives"`
	SenderIDs          *yaml.Node `yaml:"sender_ids"`
}

// lwaBlock is a credential's lwa: block.
type lwaBlock struct {
	ClientID         *yaml.Node `yaml:"client_id"`
	ClientSecret     *yaml.Node `yaml:"client_secret"`
	RefreshToken     *yaml.Node `yaml:"refresh_token"`
	Region           *yaml.Node `yaml:"region"`
	TokenURL         *yaml.Node `yaml:"token_url"`
	APIURL           *yaml.Node `yaml:"api_url"`
	Probe            *yaml.Node `yaml:"probe"`
	AutoRotateBefore *yaml.Node `yaml:"auto_rotate_before"`
}

var regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// amazon reads the amazon: block.
func (l *loader) amazon(n *yaml.Node, dir string) *Amazon {
	var b amazonBlock
	if !l.decode(n, "amazon", &b) {
		return nil
	}
	a := &Amazon{MaxReceives: DefaultMaxReceives}
	if v := b.SQSQueueURL; v == nil {
		l.errf(n, "amazon.sqs_queue_url", "missing: the SQS queue SP-API notifications are sent to (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)")
	} else if s, ok := l.str(v, "amazon.sqs_queue_url"); ok {
		if msg := httpURLProblem(s, true); msg != "" {
			l.errf(v, "amazon.sqs_queue_url", "%s is not a queue URL: %s", quoted(s), msg)
		}
		a.SQSQueueURL = s
	}
	if v := b.Region; v == nil {
		l.errf(n, "amazon.region", "missing: the queue's AWS region (e.g. us-east-1)")
	} else if s, ok := l.str(v, "amazon.region"); ok {
		if !regionRE.MatchString(s) {
			l.errf(v, "amazon.region", "%s is not an AWS region (e.g. us-east-1, eu-west-1)", quoted(s))
		}
		a.Region = s
	}
	if v := b.Endpoint; v != nil {
		if s, ok := l.str(v, "amazon.endpoint"); ok && s != "" {
			if msg := httpURLProblem(s, false); msg != "" {
				l.errf(v, "amazon.endpoint", "%s is not an endpoint URL: %s", quoted(s), msg)
			}
			a.Endpoint = s
		}
	}
	if v := b.NewSecretDir; v != nil {
		if s, ok := l.str(v, "amazon.new_secret_dir"); ok && s != "" {
			a.NewSecretDir = l.secretDir(v, s, dir)
		}
	}
	if v := b.NewSecretParameter; v != nil {
		if s, ok := l.str(v, "amazon.new_secret_parameter"); ok && s != "" {
			if !ssmNameRE.MatchString(strings.ReplaceAll(s, "{client_id}", "x")) || len(s) > 1000 {
				l.errf(v, "amazon.new_secret_parameter", "%s is not a Parameter Store name (letters, digits and _ . - /, and {client_id})", quoted(s))
			}
			a.NewSecretParameter = s
		}
	}
	if v := b.NewSecretKMSKey; v != nil {
		a.NewSecretKMSKey, _ = l.str(v, "amazon.new_secret_kms_key")
		if a.NewSecretParameter == "" && a.NewSecretKMSKey != "" {
			l.errf(v, "amazon.new_secret_kms_key", "is the key of new_secret_parameter, which is not set")
		}
	}
	if v := b.SSMEndpoint; v != nil {
		if s, ok := l.str(v, "amazon.ssm_endpoint"); ok && s != "" {
			if msg := httpURLProblem(s, false); msg != "" {
				l.errf(v, "amazon.ssm_endpoint", "%s is not an endpoint URL: %s", quoted(s), msg)
			}
			a.SSMEndpoint = s
		}
	}
	if v := b.MaxReceives; v != nil {
		if s, ok := l.str(v, "amazon.max_receives"); ok {
			if i, err := strconv.Atoi(s); err != nil || i < 1 || i > 1000 {
				l.errf(v, "amazon.max_receives", "%q is not a whole number from 1 to 1000", s)
			} else {
				a.MaxReceives = i
			}
		}
	}
	a.SenderIDs = DefaultSenderIDs
	if v := b.SenderIDs; v != nil {
		var ids []string
		if v.Kind != yaml.SequenceNode {
			l.errf(v, "amazon.sender_ids", "must be a list")
		} else if len(v.Content) == 0 {
			l.errf(v, "amazon.sender_ids", "is empty: no message would be accepted; leave it out for Amazon's (%s)", strings.Join(DefaultSenderIDs, ", "))
		}
		for i, item := range v.Content {
			key := fmt.Sprintf("amazon.sender_ids[%d]", i)
			if id, ok := l.str(item, key); ok && !senderIDRE.MatchString(id) {
				l.errf(item, key, "%s is not an SQS SenderId (an account, IAM user or role id)", quoted(id))
			} else if ok {
				ids = append(ids, id)
			}
		}
		if len(ids) > 0 {
			a.SenderIDs = ids
		}
	}
	return a
}

// secretDir resolves new_secret_dir against the config's folder and checks
// that it is a folder that only its owner can enter.
func (l *loader) secretDir(n *yaml.Node, s, base string) string {
	dir := s
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(base, dir)
	}
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		l.errf(n, "amazon.new_secret_dir", "%s is not a folder notifier can use: %v", quoted(s), errors.Unwrap(err))
	case !fi.IsDir():
		l.errf(n, "amazon.new_secret_dir", "%s is not a folder", quoted(s))
	case fi.Mode().Perm()&0o077 != 0:
		l.errf(n, "amazon.new_secret_dir", "%s can be entered by others (mode %04o): it will hold client secrets; chmod 700 it", quoted(s), fi.Mode().Perm())
	}
	return dir
}

// LWA is what the probe needs of an SP-API credential's lwa: block beyond
// its client id: the client secret and a refresh token (from ${ENV} only,
// registered as secrets, never stored), the region and the URLs. It is
// kept by the config, never given to the store.
type LWA struct {
	ClientID     string
	ClientSecret string
	RefreshToken string
	Region       string // na, eu or fe
	TokenURL     string // the LWA token endpoint
	APIURL       string // the regional SP-API host
	// Probe is how often the daemon exchanges the refresh token to learn
	// that Amazon still accepts the secret; zero: never.
	Probe time.Duration
	// AutoRotateBefore is how long before the deadline the daemon asks
	// Amazon to rotate the secret; zero: never.
	AutoRotateBefore time.Duration
}

// DefaultTokenURL is Login With Amazon's token endpoint.
const DefaultTokenURL = "https://api.amazon.com/auth/o2/token"

// spAPIHosts are the regional SP-API hosts.
var spAPIHosts = map[string]string{
	"na": "https://sellingpartnerapi-na.amazon.com",
	"eu": "https://sellingpartnerapi-eu.amazon.com",
	"fe": "https://sellingpartnerapi-fe.amazon.com",
}

// LWAOf returns the lwa: settings of a credential of the main file that
// has a client secret, or false.
func (c *Config) LWAOf(id string) (LWA, bool) {
	a, ok := c.lwa[id]
	return a, ok
}

// Probed lists the ids of the main file's credentials with lwa.probe set,
// sorted.
func (c *Config) Probed() []string { return c.lwaWhere(func(a LWA) bool { return a.Probe > 0 }) }

// lwaWhere lists the ids of the credentials whose lwa: settings match,
// sorted.
func (c *Config) lwaWhere(match func(LWA) bool) []string {
	var ids []string
	for id, a := range c.lwa {
		if match(a) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// lwa reads a credential's lwa: block and returns its client id; the
// probe's settings go to l.lwaSettings under the credential's id.
func (l *credReader) lwa(n *yaml.Node, key string, m *credMeta) string {
	var b lwaBlock
	if !l.decode(n, key, &b) {
		return ""
	}
	m.lwa = l.lwaSettings(&b, key)
	v := b.ClientID
	if v == nil {
		l.errf(n, key+".client_id", "missing: the LWA client id of the SP-API application (amzn1.application-oa2-client.…)")
		return ""
	}
	s, ok := l.str(v, key+".client_id")
	if !ok {
		return ""
	}
	if !domain.IsLWAClientID(s) {
		l.errf(v, key+".client_id", "%s is not an LWA client id (amzn1.application-oa2-client.…)", quoted(s))
		return ""
	}
	m.clientLine = v.Line
	return s
}

// checkClients reports an lwa.client_id that two credentials share: a
// notification about it could not say which one it is about. seen holds
// the client ids met before, and gets these.
func (l *loader) checkClients(creds []Credential, meta []credMeta, seen map[string]place) {
	for i, c := range creds {
		if c.LWAClientID == "" {
			continue
		}
		if where, dup := seen[c.LWAClientID]; dup {
			l.errAt(c.File, meta[i].clientLine, meta[i].key()+".lwa.client_id", "%s is already the client id of another credential at %s:%d; each SP-API application is one credential",
				c.LWAClientID, where.file, where.line)
			continue
		}
		seen[c.LWAClientID] = place{c.File, meta[i].clientLine}
	}
}

// httpURLProblem says what is wrong with an http(s) URL, or "".
func httpURLProblem(s string, needPath bool) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "it does not parse"
	case u.Scheme != "https" && u.Scheme != "http":
		return "give an https:// URL"
	case u.Host == "":
		return "it names no host"
	case u.User != nil:
		return "it must not carry a user or password"
	case needPath && strings.Count(strings.Trim(u.Path, "/"), "/") != 1:
		return "the path must be /ACCOUNT/QUEUE-NAME"
	}
	return ""
}

// quoted is how a problem shows a value. No value that reaches it came
// from the environment: str refuses ${NAME} in the keys it reads.
func quoted(s string) string {
	return `"` + s + `"`
}

// SPAPICredentials maps each LWA client id to the credential that has it,
// among Credentials.
func (c *Config) SPAPICredentials() map[string]domain.Credential {
	out := map[string]domain.Credential{}
	for _, cr := range c.Credentials {
		if cr.LWAClientID != "" {
			out[cr.LWAClientID] = cr
		}
	}
	return out
}

// lwaSettings reads the probe's keys of an lwa: block; nil when it has no
// client_secret.
func (l *credReader) lwaSettings(b *lwaBlock, key string) *LWA {
	a := &LWA{Region: "na", TokenURL: DefaultTokenURL}
	secret := func(name string, v *yaml.Node) string {
		if v == nil {
			return ""
		}
		s, fromEnv, ok := l.secret(v, key+"."+name)
		switch {
		case !ok:
			return ""
		case !fromEnv:
			l.errf(v, key+"."+name, "must come from the environment (${NAME}), never be written in the file")
			return ""
		case l.inCredentialFile:
			l.errf(v, key+"."+name, "belongs in the main config file, whose ${NAME} values are registered as secrets, not in a credential file")
			return ""
		}
		return s
	}
	a.ClientSecret, a.RefreshToken = secret("client_secret", b.ClientSecret), secret("refresh_token", b.RefreshToken)
	if v := b.Region; v != nil {
		if s, ok := l.str(v, key+".region"); ok {
			if _, known := spAPIHosts[s]; !known {
				l.errf(v, key+".region", "%s is not an SP-API region (na, eu or fe)", quoted(s))
			}
			a.Region = s
		}
	}
	a.APIURL = spAPIHosts[a.Region]
	for _, u := range []struct {
		name string
		v    *yaml.Node
		dst  *string
	}{{"token_url", b.TokenURL, &a.TokenURL}, {"api_url", b.APIURL, &a.APIURL}} {
		v := u.v
		if v == nil {
			continue
		}
		if s, ok := l.str(v, key+"."+u.name); ok && s != "" {
			if msg := httpURLProblem(s, false); msg != "" {
				l.errf(v, key+"."+u.name, "%s is not a URL: %s", quoted(s), msg)
			}
			*u.dst = s
		}
	}
	if v := b.Probe; v != nil {
		if sp, _, ok := l.span(v, key+".probe"); ok {
			a.Probe = time.Duration(sp.Days)*24*time.Hour + sp.Clock
			switch {
			case a.Probe < time.Minute:
				l.errf(v, key+".probe", "must be at least 1m (the token endpoint is Amazon's)")
			case a.ClientSecret == "" || a.RefreshToken == "":
				l.errf(v, key+".probe", "needs client_secret and refresh_token (from ${NAME}) to exchange")
			}
		}
	}
	if v := b.AutoRotateBefore; v != nil {
		if sp, _, ok := l.span(v, key+".auto_rotate_before"); ok {
			a.AutoRotateBefore = time.Duration(sp.Days)*24*time.Hour + sp.Clock
			if a.AutoRotateBefore > 0 && a.ClientSecret == "" {
				l.errf(v, key+".auto_rotate_before", "needs client_secret (from ${NAME}) to ask Amazon")
			}
		}
	}
	if a.ClientSecret == "" {
		return nil
	}
	return a
}

// AutoRotated lists the ids of the main file's credentials with
// lwa.auto_rotate_before set, sorted.
func (c *Config) AutoRotated() []string {
	return c.lwaWhere(func(a LWA) bool { return a.AutoRotateBefore > 0 })
}
