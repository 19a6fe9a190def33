// Package config turns the operator's YAML into a validated Config. Every
// problem is reported at once, each naming the file, the line and the key;
// ${NAME} is replaced from the environment and such values are never quoted
// back. Channel blocks are decoded into their integration's own Config type;
// every other block (one file each: settings, channels, policies,
// credentials, amazon, http, audit) into a struct of *yaml.Node fields,
// tagged with its keys, by the one walk that also reports unknown and
// repeated keys, so that each problem found in a value keeps its line.
package config

import (
	"slices"
	"text/template"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// Defaults of the optional keys.
const (
	DefaultDatabase       = "notifier.db"
	DefaultTimezone       = "UTC"
	DefaultCheckSchedule  = "@hourly"
	DefaultPolicy         = "standard"
	DefaultMaxAttempts    = 8
	DefaultInitialBackoff = time.Minute
	DefaultMaxBackoff     = time.Hour
)

// DefaultRotationPeriod is Amazon SP-API's: a Login With Amazon client
// secret must be rotated every 180 days.
var DefaultRotationPeriod = schedule.Span{Days: 180}

// Config is a loaded, validated configuration.
type Config struct {
	Path          string         // the config file, as given
	Database      string         // path of the SQLite file, resolved against the config's folder, or a postgres:// URL
	Timezone      string         // IANA name
	Location      *time.Location // Timezone, loaded
	CheckSchedule string         // robfig/cron v3 spec
	Retry         Retry
	Audit         Audit // the history's tamper evidence
	// Amazon is where SP-API notifications arrive; nil when the config has
	// no amazon: block.
	Amazon   *Amazon
	Policies map[string]*Policy
	Channels map[string]*Channel
	// Credentials are the main file's own from LoadMain, and those of
	// every credential file too from Load.
	Credentials []Credential
	// Dir is the config file's folder, absolute: credential files are
	// named relative to it.
	Dir string
	// Files are the credential files the credential_files globs match:
	// absolute, sorted within each glob, each once, in glob order.
	Files []string
	// Main is the config file itself as it was read.
	Main domain.ConfigFile
	// Sources are the config file and the credential_files globs
	// (absolute), which CredentialFiles matches again before each sync.
	Sources []string
	// HTTP is the http: block; nil when absent (no server, no links).
	HTTP *HTTP
	// NotifyAdmins are the channels that receive notifier's notices about
	// its own problems (a refused config file, a channel whose delivery
	// finally failed); none: the notices are only recorded and logged.
	NotifyAdmins []string
	// Owners are the owners: block: where each owner's messages go, by
	// channel type, on the channels that route by owner.
	Owners map[string]Owner

	byID map[string]int // index of Credentials
	// lwa holds the lwa: settings of the main file's credentials that
	// have a client secret, by id.
	lwa map[string]LWA
	// runbooks holds the runbook: and impact: of the main file's
	// credentials that give them, by id (RunbookOf).
	runbooks map[string]Runbook
	// defaultRunbook is defaults.runbook and defaults.impact.
	defaultRunbook Runbook

	secrets []string // what Secrets returns

	// What ReadCredentialFile judges a credential file by.
	env   LookupEnv
	clock Clock
	reg   Registry
	// deferred is the main file as read, while LoadMainDeferred left its
	// credentials undecoded (Settle).
	deferred      []byte
	defaultPeriod schedule.Span
	defaultPolicy string
}

// index makes Credential find every credential in Credentials.
func (c *Config) index() {
	c.byID = make(map[string]int, len(c.Credentials))
	for i, cr := range c.Credentials {
		c.byID[cr.ID] = i
	}
}

// Secrets are the values ${NAME} put into the config file, sorted: each
// variable's value, and each whole value it was part of ("Bearer
// ${TOKEN}", "https://host/hook?key=${KEY}"). Every value from the
// environment is taken for a secret: the engine registers them all with
// its channels.Redactor, which cuts them, and the forms they take on the
// wire, out of every service's error. Credential files are not included:
// their values (ids, names, dates) are not secrets.
func (c *Config) Secrets() []string { return slices.Clone(c.secrets) }

// Credential returns the credential with that id, among Credentials.
func (c *Config) Credential(id string) (Credential, bool) {
	i, ok := c.byID[id]
	if !ok {
		return Credential{}, false
	}
	return c.Credentials[i], true
}

// Retry bounds how a failed delivery is retried: attempt n waits
// InitialBackoff*2^(n-1), at most MaxBackoff; after MaxAttempts it fails.
type Retry struct {
	MaxAttempts    int
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
}

// Policy is a named ladder, least urgent stage first.
type Policy struct {
	Name   string
	Stages []Stage
	// Runbook is the policy's runbook: and impact: (its mapping form).
	Runbook Runbook
	// Announce is the channels that receive one message for each
	// rotation recorded of a credential under the policy (announce:).
	Announce []string
}

// Schedule is the policy as the schedule package sees it.
func (p *Policy) Schedule() schedule.Policy {
	sp := schedule.Policy{Name: p.Name, Stages: make([]schedule.Stage, len(p.Stages))}
	for i, s := range p.Stages {
		sp.Stages[i] = s.Stage
	}
	return sp
}

// Stage returns the stage with that name, or nil.
func (p *Policy) Stage(name string) *Stage {
	for i := range p.Stages {
		if p.Stages[i].Name == name {
			return &p.Stages[i]
		}
	}
	return nil
}

// Stage is one rung with its optional templates.
type Stage struct {
	schedule.Stage
	Subject *template.Template // nil: the channel's or the default
	Text    *template.Template // nil: the channel's or the default
	// Deliver is the stage's delivery window, over its channels'; nil:
	// theirs.
	Deliver *schedule.DeliveryWindow
	// Urgent says whether the stage breaks through delivery windows; nil:
	// by default (schedule.Urgent: the final notice and overdue stages).
	Urgent *bool
}

// Channel is one configured destination.
type Channel struct {
	Name    string
	Type    string
	Config  channels.Config    // the integration's own, validated
	Subject *template.Template // nil: the default
	Text    *template.Template // nil: the default
	// Route is RouteOwner when the channel sends each message to the
	// credential owner's address (Config.OwnerRoute), its own recipients
	// being the fallback; empty: always its own recipients.
	Route string
	// Concurrency is how many messages the channel sends at once: the
	// concurrency: key, else the registry's default for Type.
	Concurrency int
	// Deliver is when the channel may be used (deliver:); nil: always.
	Deliver *schedule.DeliveryWindow
	// Digest is the channel's digest: key; nil when it has none.
	Digest *Digest
}

// Credential is one secret that must be rotated. It lives in the domain,
// which the store and the engine speak too; File and Line say where the
// config wrote it.
type Credential = domain.Credential
