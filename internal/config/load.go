package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/notifier-dev/notifier/internal/domain"
)

// LookupEnv finds an environment variable; os.LookupEnv in production.
type LookupEnv func(string) (string, bool)

// Clock gives the moment the config is judged at (a rotated_at after it is
// an error), given the configured zone: `--at 2026-06-01` means midnight
// there.
type Clock func(loc *time.Location) time.Time

// At is a Clock that always says t.
func At(t time.Time) Clock { return func(*time.Location) time.Time { return t } }

// Timeless is the Clock of commands that do not depend on the time
// (history, migrate): it skips the checks against now.
func Timeless(*time.Location) time.Time { return time.Time{} }

// Load reads and validates the config at path and every credential file
// its credential_files match: LoadMain, ReadCredentialFile of each file,
// and ids unique across all of them. Credentials holds every credential.
// On any problem it returns Problems, with every problem found. A nil env
// reads the process environment. Channel blocks are decoded into reg's
// configs, and a channel's concurrency defaults to reg's for its type.
func Load(path string, now Clock, env LookupEnv, reg Registry) (*Config, error) {
	data, cf, err := readMain(path)
	if err != nil {
		return nil, err
	}
	l, cfg, err := loadMain(path, data, cf, now, env, reg)
	if err != nil {
		return nil, err
	}
	if cfg != nil {
		l.loadFiles(cfg)
	}
	if ps := l.done(); len(ps) > 0 {
		return nil, ps
	}
	cfg.index()
	return cfg, nil
}

// LoadMain reads and validates the config file at path alone: settings,
// channels, policies, its own credentials: (in Credentials) and the files
// its credential_files globs match (in Files), which it does not open; the
// engine reads those that changed with ReadCredentialFile. On any problem
// it returns Problems, with every problem found. A nil env reads the
// process environment; reg is as for Load.
func LoadMain(path string, now Clock, env LookupEnv, reg Registry) (*Config, error) {
	data, cf, err := readMain(path)
	if err != nil {
		return nil, err
	}
	return loadMainData(path, data, cf, now, env, reg, false)
}

// LoadMainDeferred is LoadMain for the commands that sync the config into
// the database (tick, run): when the main file's credentials: block is a
// plain block list without ${NAME} (the layout credential files are read
// in parts), it is cut out and its credentials are not decoded: the rest
// (database, channels, policies, settings) is. Credentials is then empty
// and Deferred true until Settle, which decodes them unless the file is
// the version last synced. Anything else is read as LoadMain reads it.
func LoadMainDeferred(path string, now Clock, env LookupEnv, reg Registry) (*Config, error) {
	data, cf, err := readMain(path)
	if err != nil {
		return nil, err
	}
	return loadMainData(path, data, cf, now, env, reg, true)
}

// Deferred reports whether the main file's own credentials are still to
// be decoded by Settle.
func (c *Config) Deferred() bool { return c.deferred != nil }

// Settle decodes the main file's own credentials that LoadMainDeferred
// left out, unless the file read is the one last synced (synced, with its
// content hash; ok false: none was), whose credentials the database
// holds already. Its problems are those LoadMain would have returned;
// the Config is then unchanged. Without deferred credentials it does
// nothing.
func (c *Config) Settle(synced domain.ConfigFile, ok bool) error {
	data := c.deferred
	if data == nil {
		return nil
	}
	if ok && synced.Path == c.Main.Path && synced.Hash == c.Main.Hash {
		c.deferred = nil
		return nil
	}
	full, err := loadMainData(c.Path, data, c.Main, c.clock, c.env, c.reg, false)
	if err != nil {
		return err
	}
	*c = *full
	return nil
}

// readMain reads the config file at path, described with its name.
func readMain(path string) ([]byte, domain.ConfigFile, error) {
	data, cf, err := readRegular(path)
	if err != nil {
		return nil, cf, fmt.Errorf("config: %w", err)
	}
	cf.Path = filepath.Base(path)
	return data, cf, nil
}

// loadMainData is LoadMain of the file's bytes; with defer, of its bytes
// without its credentials: block when it can be cut out (cutCredentials)
// and the rest has no problem, else of them all.
func loadMainData(path string, data []byte, cf domain.ConfigFile, now Clock, env LookupEnv, reg Registry, deferred bool) (*Config, error) {
	if deferred {
		if rest, ok := cutCredentials(data); ok {
			l, cfg, err := loadMain(path, rest, cf, now, env, reg)
			if err != nil {
				return nil, err
			}
			if cfg != nil && l.found() == 0 {
				cfg.deferred = data
				cfg.index()
				return cfg, nil
			}
		}
	}
	l, cfg, err := loadMain(path, data, cf, now, env, reg)
	if err != nil {
		return nil, err
	}
	if cfg != nil {
		// Credential files that rely on a missing default policy are
		// refused one by one, by ReadCredentialFile.
		l.checkDefaultPolicy(cfg, l.mainUsesDefault)
	}
	if ps := l.done(); len(ps) > 0 {
		return nil, ps
	}
	cfg.index()
	return cfg, nil
}

// cutCredentials returns data with its top-level credentials: block
// replaced by `credentials: []` and blank lines, so that every other line
// keeps its number, when that block is in the layout a credential file is
// read in parts (splitItems) and holds no ${NAME}: its values are then
// neither secrets nor lwa: settings, and nothing but the sync needs
// them (runbook: and impact: are read by messages: a block with either
// is not cut). Every other top-level line must be a plain key; anything else
// (flow style, documents, directives, tabs) says false.
func cutCredentials(data []byte) ([]byte, bool) {
	if len(data) == 0 || data[0] >= 0x80 || bytes.ContainsAny(data, "\t\r\x00") {
		return nil, false
	}
	start, end := -1, -1
	for pos := 0; pos < len(data); {
		next := len(data)
		if i := bytes.IndexByte(data[pos:], '\n'); i >= 0 {
			next = pos + i + 1
		}
		at, line := pos, bytes.TrimRight(data[pos:next], "\n")
		pos = next
		if len(line) == 0 || line[0] == ' ' || line[0] == '#' {
			continue // inside a block, or a comment
		}
		if start >= 0 && end < 0 {
			if isItem(line) {
				continue // credentials:' items may start at column 0
			}
			end = at
		}
		if c := line[0]; !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return nil, false
		}
		if isHeader(line) {
			if start >= 0 {
				return nil, false // given twice: the whole parse says so
			}
			start = at
		}
	}
	if start < 0 {
		return nil, false
	}
	if end < 0 {
		end = len(data)
	}
	block := data[start:end]
	if bytes.Contains(block, []byte("${")) {
		return nil, false
	}
	if bytes.Contains(block, []byte("runbook:")) || bytes.Contains(block, []byte("impact:")) {
		return nil, false // messages read them from the config, not the database
	}
	if _, ok := splitItems(block, chunkItems); !ok {
		return nil, false
	}
	rest := make([]byte, 0, len(data)-len(block)+32)
	rest = append(rest, data[:start]...)
	rest = append(rest, "credentials: []"...)
	rest = append(rest, bytes.Repeat([]byte("\n"), bytes.Count(block, []byte("\n")))...)
	return append(rest, data[end:]...), true
}

// loadMain reads the config file into a Config and l.problems; the Config
// is nil only when the file is not a YAML mapping. The error is for a file
// that cannot be read.
func loadMain(path string, data []byte, cf domain.ConfigFile, now Clock, env LookupEnv, reg Registry) (*mainLoad, *Config, error) {
	if env == nil {
		env = os.LookupEnv
	}
	if reg == nil {
		return nil, nil, errNoRegistry
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	l := &mainLoad{loader: &loader{file: cf.Path, env: env, reg: reg}}
	cfg := l.load(path, dir, data, now)
	if cfg != nil {
		cfg.Main, cfg.env, cfg.clock, cfg.reg = cf, env, now, reg
		slices.Sort(l.secrets)
		cfg.secrets = slices.Compact(l.secrets)
	}
	return l, cfg, nil
}

// mainLoad reads the config file, and with Load its credential files:
// the loader, and what the checks across files need of the main file.
type mainLoad struct {
	*loader
	defaultPolicyNode *yaml.Node // defaults.policy, if given
	mainUsesDefault   bool       // one of its own credentials has no policy:
	// clients are the lwa.client_ids met so far, where first written.
	clients map[string]place
}

// topBlock is the config file's top level; the known keys, in the order
// a problem lists them.
type topBlock struct {
	Database        *yaml.Node `yaml:"database"`
	Timezone        *yaml.Node `yaml:"timezone"`
	CheckSchedule   *yaml.Node `yaml:"check_schedule"`
	Retry           *yaml.Node `yaml:"retry"`
	Defaults        *yaml.Node `yaml:"defaults"`
	Policies        *yaml.Node `yaml:"policies"`
	Channels        *yaml.Node `yaml:"channels"`
	Credentials     *yaml.Node `yaml:"credentials"`
	CredentialFiles *yaml.Node `yaml:"credential_files"`
	Amazon          *yaml.Node `yaml:"amazon"`
	HTTP            *yaml.Node `yaml:"http"`
	Audit           *yaml.Node `yaml:"audit"`
	NotifyAdmins    *yaml.Node `yaml:"notify_admins"`
	Owners          *yaml.Node `yaml:"owners"`
}

// load reads the config file's blocks, each in its own file: settings.go,
// channels.go, policies.go, credentials.go, amazon.go, http.go.
func (l *mainLoad) load(path, dir string, data []byte, clock Clock) *Config {
	root := l.parse(data)
	if root == nil {
		return nil
	}
	var top topBlock
	l.decode(root, "", &top)
	cfg := &Config{
		Path:          path,
		Dir:           dir,
		Database:      DefaultDatabase,
		Timezone:      DefaultTimezone,
		CheckSchedule: DefaultCheckSchedule,
		Retry:         Retry{DefaultMaxAttempts, DefaultInitialBackoff, DefaultMaxBackoff},
		defaultPeriod: DefaultRotationPeriod,
		defaultPolicy: DefaultPolicy,
	}
	l.settings(&top, cfg, clock)

	chans, chanNodes := l.channels(top.Channels)
	cfg.Channels = chans
	cfg.Policies = l.policies(top.Policies, cfg.Channels)

	if n := top.Credentials; n != nil {
		creds, meta := cfg.credentialReader(l.loader, false).credentials(n)
		first := l.check(creds, meta, cfg.Policies, map[string]place{})
		cfg.Credentials, l.mainUsesDefault = creds, first >= 0
		l.clients = map[string]place{}
		l.checkClients(creds, meta, l.clients)
		cfg.lwa = map[string]LWA{}
		for i, m := range meta {
			if m.lwa != nil && creds[i].LWAClientID != "" {
				a := *m.lwa
				a.ClientID = creds[i].LWAClientID
				cfg.lwa[creds[i].ID] = a
			}
		}
		cfg.runbooks = map[string]Runbook{}
		for i, m := range meta {
			if m.runbook != nil {
				cfg.runbooks[creds[i].ID] = *m.runbook
			}
		}
	}
	if n := top.Amazon; n != nil {
		cfg.Amazon = l.amazon(n, dir)
	}
	cfg.Sources = []string{path}
	if n := top.CredentialFiles; n != nil {
		cfg.Files, cfg.Sources = l.credentialFiles(n, dir, cfg.Sources)
	}
	if n := top.HTTP; n != nil {
		cfg.HTTP = l.http(n, cfg.Channels, chanNodes, dir)
	}
	if n := top.NotifyAdmins; n != nil {
		cfg.NotifyAdmins = l.notifyAdmins(n, cfg.Channels)
	}
	if n := top.Owners; n != nil {
		cfg.Owners = l.owners(n)
	}
	if top.Credentials == nil && top.CredentialFiles == nil {
		l.errf(root, "credentials", "no credentials: list at least one under credentials: or credential_files:")
	}
	return cfg
}
