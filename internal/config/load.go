package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
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
	l, cfg, err := loadMain(path, now, env, reg)
	if err != nil {
		return nil, err
	}
	if cfg != nil {
		l.loadFiles(cfg)
	}
	if len(l.problems) > 0 {
		l.problems.sort()
		return nil, l.problems
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
	l, cfg, err := loadMain(path, now, env, reg)
	if err != nil {
		return nil, err
	}
	if cfg != nil {
		// Credential files that rely on a missing default policy are
		// refused one by one, by ReadCredentialFile.
		l.checkDefaultPolicy(cfg, l.mainUsesDefault)
	}
	if len(l.problems) > 0 {
		l.problems.sort()
		return nil, l.problems
	}
	cfg.index()
	return cfg, nil
}

// loadMain reads the config file into a Config and l.problems; the Config
// is nil only when the file is not a YAML mapping. The error is for a file
// that cannot be read.
func loadMain(path string, now Clock, env LookupEnv, reg Registry) (*loader, *Config, error) {
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
	data, cf, err := readRegular(path)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	cf.Path = filepath.Base(path)
	l := &loader{file: cf.Path, env: env, reg: reg}
	cfg := l.load(path, dir, data, now)
	if cfg != nil {
		cfg.Main, cfg.env, cfg.clock = cf, env, now
		slices.Sort(l.secrets)
		cfg.secrets = slices.Compact(l.secrets)
	}
	return l, cfg, nil
}

var (
	slugRE     = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	envRE      = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)
	yamlLineRE = regexp.MustCompile(`^line (\d+): `)
	topLevel   = []string{"database", "timezone", "check_schedule", "retry", "defaults", "policies", "channels", "credentials", "credential_files", "amazon", "http", "audit"}
	credKeys   = []string{"id", "name", "owner", "rotated_at", "rotation_period", "expires_at", "policy", "lwa", "source", "aws"}
	stageKeys  = []string{"name", "before", "after", "repeat", "channels", "unless_acknowledged", "subject", "template"}
)

// yamlValueRE is how yaml quotes a value in a type error; a value from the
// environment may be a secret, so it is cut out.
var yamlValueRE = regexp.MustCompile("`[^`]*`")

type loader struct {
	file     string // as problems name it
	env      LookupEnv
	reg      Registry
	now      time.Time // zero: no check against now
	loc      *time.Location
	problems Problems

	// The defaults a credential without rotation_period: or policy: gets.
	period schedule.Span
	policy string

	// Of the main file only.
	defaultPolicyNode *yaml.Node // defaults.policy, if given
	mainUsesDefault   bool       // one of its own credentials has no policy:

	// secrets are the values ${NAME} put into the file: each variable's
	// value and each whole value it was part of ("Bearer ${TOKEN}").
	secrets []string

	// inCredentialFile: a credential file, not the main file (no secrets).
	inCredentialFile bool

	// clients are the lwa.client_ids met so far, where first written.
	clients map[string]place
	// chanNodes are the channels' keys, for problems found after the
	// channels were read (a missing signing_secret).
	chanNodes map[string]*yaml.Node
}

func (l *loader) errf(n *yaml.Node, key, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	l.problems = append(l.problems, Problem{File: l.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (l *loader) errAt(file string, line int, key, format string, args ...any) {
	l.problems = append(l.problems, Problem{File: file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// parse reads one YAML document into its root mapping.
func (l *loader) parse(data []byte) *yaml.Node {
	var doc yaml.Node
	return l.root(&doc, yaml.Unmarshal(data, &doc))
}

// root turns a parsed document, or the parser's error, into the root
// mapping or problems.
func (l *loader) root(doc *yaml.Node, err error) *yaml.Node {
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 0
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = msg[len(m[0]):]
		}
		l.problems = append(l.problems, Problem{File: l.file, Line: line, Msg: "invalid YAML: " + msg})
		return nil
	}
	if len(doc.Content) == 0 {
		l.problems = append(l.problems, Problem{File: l.file, Msg: "the file is empty"})
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		l.errf(root, "", "the file must be a mapping of keys (database, channels, credentials, ...)")
		return nil
	}
	return root
}

// refusedTopLevel are keys an operator may expect that notifier refuses
// with a reason rather than as merely unknown.
var refusedTopLevel = map[string]string{
	// The database keeps facts only (who was told, when, where, with what
	// outcome; who acknowledged; who rotated), never a message's body:
	// there is nothing a retention period could prune, and facts are
	// evidence, kept for good.
	"retention": "nothing to prune: notifier keeps facts only (reminders' outcomes, acknowledgments, rotations), never message bodies, and keeps facts for good; remove the key",
}

// fields checks that n is a mapping whose keys are all in allowed, and
// returns the value node of each key present.
func (l *loader) fields(n *yaml.Node, key string, allowed []string) map[string]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		l.errf(n, key, "must be a mapping")
		return nil
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if why, ok := refusedTopLevel[k.Value]; ok && key == "" {
			l.errf(k, k.Value, "%s", why)
			continue
		}
		if !contains(allowed, k.Value) {
			l.errf(k, join(key, k.Value), "unknown key (known: %s)", strings.Join(allowed, ", "))
			continue
		}
		if _, dup := out[k.Value]; dup {
			l.errf(k, join(key, k.Value), "key given twice")
			continue
		}
		out[k.Value] = v
	}
	return out
}

// str returns a scalar's value with ${NAME} replaced. fromEnv says whether
// anything was replaced: such a value must not be quoted in messages.
func (l *loader) str(n *yaml.Node, key string) (val string, fromEnv bool, ok bool) {
	if n.Kind != yaml.ScalarNode {
		l.errf(n, key, "must be a single value")
		return "", false, false
	}
	val, fromEnv, err := l.expand(n.Value)
	if err != nil {
		l.errf(n, key, "%v", err)
		return "", fromEnv, false
	}
	return val, fromEnv, true
}

func (l *loader) expand(s string) (string, bool, error) {
	if !strings.Contains(s, "${") { // the regexp costs more than the rest of a credential
		return s, false, nil
	}
	var missing []string
	found := false
	out := envRE.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		v, ok := l.env(name)
		if !ok {
			missing = append(missing, m)
			return ""
		}
		found = true
		l.secrets = append(l.secrets, v)
		return v
	})
	if len(missing) > 0 {
		return "", true, fmt.Errorf("%s is not set in the environment", strings.Join(missing, ", "))
	}
	if found {
		l.secrets = append(l.secrets, out)
	}
	return out, found, nil
}

// span reads a duration of at most schedule.MaxSpan. The bound is here,
// not in schedule.ParseSpan, because only here is the key known (check says
// which one is out of range), and because the store must still read a span
// an older version wrote, so that a corrected config can replace it.
func (l *loader) span(n *yaml.Node, key string) (schedule.Span, string, bool) {
	s, fromEnv, ok := l.str(n, key)
	if !ok {
		return schedule.Span{}, "", false
	}
	sp, err := schedule.ParseSpan(s)
	if err == nil && sp.TooLong() {
		err = fmt.Errorf("%q is longer than %s (100 years)", s, schedule.MaxSpan)
	}
	if err != nil {
		l.errf(n, key, "%s", unquoteEnv(err, s, n.Value, fromEnv))
		return schedule.Span{}, "", false
	}
	return sp, s, true
}

// unquoteEnv is err's message, with a value that came from the environment
// (a secret, maybe) replaced by the reference the operator wrote.
func unquoteEnv(err error, value, written string, fromEnv bool) string {
	if !fromEnv {
		return err.Error()
	}
	return strings.ReplaceAll(err.Error(), strconv.Quote(value), written)
}

func (l *loader) time(n *yaml.Node, key string) (time.Time, bool) {
	s, fromEnv, ok := l.str(n, key)
	if !ok {
		return time.Time{}, false
	}
	t, err := ParseTime(s, l.loc)
	if err != nil {
		l.errf(n, key, "%s", unquoteEnv(err, s, n.Value, fromEnv))
		return time.Time{}, false
	}
	// The store keeps whole seconds: a fraction would make every sync see
	// rotated_at move forward and record the same rotation again.
	return t.Truncate(time.Second), true
}

func (l *loader) strList(n *yaml.Node, key string) []string {
	if n.Kind != yaml.SequenceNode {
		l.errf(n, key, "must be a list")
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, item := range n.Content {
		if s, _, ok := l.str(item, fmt.Sprintf("%s[%d]", key, i)); ok {
			out = append(out, s)
		}
	}
	return out
}

func (l *loader) bool(n *yaml.Node, key string) bool {
	s, _, ok := l.str(n, key)
	if !ok {
		return false
	}
	switch s {
	case "true":
		return true
	case "false":
		return false
	}
	l.errf(n, key, "%q is not true or false", s)
	return false
}

func (l *loader) load(path, dir string, data []byte, clock Clock) *Config {
	root := l.parse(data)
	if root == nil {
		return nil
	}
	f := l.fields(root, "", topLevel)
	cfg := &Config{
		Path:          path,
		Dir:           dir,
		Database:      DefaultDatabase,
		Timezone:      DefaultTimezone,
		CheckSchedule: DefaultCheckSchedule,
		Retry:         Retry{DefaultMaxAttempts, DefaultInitialBackoff, DefaultMaxBackoff},
	}
	if n := f["timezone"]; n != nil {
		if s, _, ok := l.str(n, "timezone"); ok {
			cfg.Timezone = s
		}
	}
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil || cfg.Timezone == "" || strings.EqualFold(cfg.Timezone, "local") {
		l.errf(f["timezone"], "timezone", "%q is not an IANA time zone name (e.g. UTC, Europe/Berlin)", cfg.Timezone)
		loc = time.UTC
	}
	cfg.Location, l.loc = loc, loc
	l.now = clock(loc)

	if n := f["database"]; n != nil {
		if s, _, ok := l.str(n, "database"); ok && s != "" {
			cfg.Database = s
		} else if ok {
			l.errf(n, "database", "must not be empty")
		}
	}
	// A PostgreSQL URL (several replicas share one database) is kept as
	// written, ${ENV} expanded; a file path is relative to the config.
	if !domain.IsDatabaseURL(cfg.Database) && !filepath.IsAbs(cfg.Database) {
		cfg.Database = filepath.Join(filepath.Dir(path), cfg.Database)
	}
	if n := f["check_schedule"]; n != nil {
		if s, _, ok := l.str(n, "check_schedule"); ok {
			cfg.CheckSchedule = s
		}
	}
	if _, err := cron.ParseStandard(cfg.CheckSchedule); err != nil {
		l.errf(f["check_schedule"], "check_schedule", "%q is not a cron spec: %v", cfg.CheckSchedule, err)
	}
	if n := f["retry"]; n != nil {
		l.retry(n, &cfg.Retry)
	}
	if n := f["audit"]; n != nil {
		cfg.Audit = l.audit(n)
	}

	l.period, l.policy = DefaultRotationPeriod, DefaultPolicy
	if n := f["defaults"]; n != nil {
		d := l.fields(n, "defaults", []string{"rotation_period", "policy"})
		if v := d["rotation_period"]; v != nil {
			if sp, _, ok := l.span(v, "defaults.rotation_period"); ok {
				l.period = l.positive(v, "defaults.rotation_period", sp)
			}
		}
		if v := d["policy"]; v != nil {
			l.defaultPolicyNode = v
			l.policy, _, _ = l.str(v, "defaults.policy")
		}
	}
	cfg.defaultPeriod, cfg.defaultPolicy = l.period, l.policy

	cfg.Channels = l.channels(f["channels"])
	cfg.Policies = l.policies(f["policies"], cfg.Channels)

	if n := f["credentials"]; n != nil {
		creds, meta := l.credentials(n)
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
	}
	if n := f["amazon"]; n != nil {
		cfg.Amazon = l.amazon(n, dir)
	}
	cfg.Sources = []string{path}
	if n := f["credential_files"]; n != nil {
		cfg.Files, cfg.Sources = l.credentialFiles(n, dir, cfg.Sources)
	}
	if n := f["http"]; n != nil {
		cfg.HTTP = l.http(n, cfg.Channels)
	}
	if f["credentials"] == nil && f["credential_files"] == nil {
		l.errf(root, "credentials", "no credentials: list at least one under credentials: or credential_files:")
	}
	return cfg
}

func (l *loader) positive(n *yaml.Node, key string, sp schedule.Span) schedule.Span {
	if sp.IsZero() {
		l.errf(n, key, "must be longer than 0s")
	}
	return sp
}

func (l *loader) retry(n *yaml.Node, r *Retry) {
	f := l.fields(n, "retry", []string{"max_attempts", "initial_backoff", "max_backoff"})
	if v := f["max_attempts"]; v != nil {
		if s, _, ok := l.str(v, "retry.max_attempts"); ok {
			i, err := strconv.Atoi(s)
			if err != nil || i < 1 || i > 100 {
				l.errf(v, "retry.max_attempts", "%q is not a whole number from 1 to 100", s)
			} else {
				r.MaxAttempts = i
			}
		}
	}
	for _, k := range []struct {
		key string
		dst *time.Duration
	}{{"initial_backoff", &r.InitialBackoff}, {"max_backoff", &r.MaxBackoff}} {
		v := f[k.key]
		if v == nil {
			continue
		}
		if sp, _, ok := l.span(v, "retry."+k.key); ok {
			// Whole seconds at least: attempt times are stored to the second,
			// and a shorter wait would make a retry due again at once.
			if sp.Days != 0 || sp.Clock < time.Second {
				l.errf(v, "retry."+k.key, "must be a duration of at least 1s in h, m or s")
			} else {
				*k.dst = sp.Clock
			}
		}
	}
	if r.MaxBackoff < r.InitialBackoff {
		l.errf(n, "retry.max_backoff", "is shorter than retry.initial_backoff")
	}
}

func (l *loader) channels(n *yaml.Node) map[string]*Channel {
	out := map[string]*Channel{}
	if n == nil {
		return out
	}
	if n.Kind != yaml.MappingNode {
		l.errf(n, "channels", "must be a mapping of channel names to channels")
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := "channels." + k.Value
		if !slugRE.MatchString(k.Value) {
			l.errf(k, key, "channel name must be lowercase letters, digits, - or _")
			continue
		}
		if _, dup := out[k.Value]; dup {
			l.errf(k, key, "channel defined twice")
			continue
		}
		ch := &Channel{Name: k.Value}
		if l.chanNodes == nil {
			l.chanNodes = map[string]*yaml.Node{}
		}
		l.chanNodes[k.Value] = k
		if v.Kind != yaml.MappingNode {
			l.errf(v, key, "must be a mapping with at least type:")
			out[k.Value] = ch // defined, though broken: no second problem where a stage names it
			continue
		}
		var rest []*yaml.Node // the integration's own keys
		var typeNode *yaml.Node
		concurrency := 0 // not given
		for j := 0; j+1 < len(v.Content); j += 2 {
			ck, cv := v.Content[j], v.Content[j+1]
			switch ck.Value {
			case "type":
				typeNode = cv
				ch.Type, _, _ = l.str(cv, key+".type")
			case "subject_template":
				ch.Subject = l.template(cv, key+".subject_template")
			case "text_template":
				ch.Text = l.template(cv, key+".text_template")
			case "concurrency":
				concurrency = l.concurrency(cv, key+".concurrency")
			default:
				rest = append(rest, ck, cv)
			}
		}
		cfg, known := l.reg.Config(ch.Type)
		switch {
		case typeNode == nil:
			l.errf(v, key+".type", "missing (one of: %s)", strings.Join(l.reg.Types(), ", "))
			out[k.Value] = ch
			continue
		case !known:
			l.errf(typeNode, key+".type", "%q is not a channel type (one of: %s)", ch.Type, strings.Join(l.reg.Types(), ", "))
			out[k.Value] = ch
			continue
		}
		ch.Concurrency = l.reg.Concurrency(ch.Type)
		if concurrency > 0 {
			ch.Concurrency = concurrency
		}
		body := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: v.Line, Column: v.Column, Content: rest}
		ch.Config = l.integration(body, key, cfg)
		out[k.Value] = ch
	}
	return out
}

// MaxConcurrency bounds a channel's concurrency: key. More sends at once
// than this to one destination is a flood, not a speed-up.
const MaxConcurrency = 64

// concurrency reads a channel's concurrency: key; 0 when it is not a whole
// number from 1 to MaxConcurrency (a problem is reported then).
func (l *loader) concurrency(n *yaml.Node, key string) int {
	s, fromEnv, ok := l.str(n, key)
	if !ok {
		return 0
	}
	c, err := strconv.Atoi(s)
	if err == nil && c >= 1 && c <= MaxConcurrency {
		return c
	}
	if fromEnv {
		l.errf(n, key, "%s is not a whole number from 1 to %d", n.Value, MaxConcurrency)
	} else {
		l.errf(n, key, "%q is not a whole number from 1 to %d", s, MaxConcurrency)
	}
	return 0
}

// integration decodes a channel's own keys strictly into cfg (a pointer to
// the integration's Config), after replacing ${NAME} in every value, and
// reports cfg.Validate's problems at the key's line. A value that came from
// the environment is cut out of every problem it reports.
func (l *loader) integration(body *yaml.Node, key string, cfg channels.Config) channels.Config {
	allowed := yamlKeys(reflect.TypeOf(cfg))
	before := len(l.problems)
	lines := map[string]*yaml.Node{}
	var envValues []string
	for i := 0; i+1 < len(body.Content); i += 2 {
		k, v := body.Content[i], body.Content[i+1]
		if !contains(allowed, k.Value) {
			l.errf(k, join(key, k.Value), "unknown key for this channel type (known: type, concurrency, subject_template, text_template, %s)", strings.Join(allowed, ", "))
			continue
		}
		lines[k.Value] = k
		envValues = append(envValues, l.expandTree(v, join(key, k.Value))...)
	}
	if len(l.problems) > before {
		return nil
	}
	defer l.redact(before, envValues)
	if err := body.Decode(cfg); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, e := range te.Errors {
				if len(envValues) > 0 { // yaml quotes a value, shortened past recognition
					e = yamlValueRE.ReplaceAllString(e, "a value")
				}
				l.errf(body, key, "%s", e)
			}
		} else {
			l.errf(body, key, "%v", err)
		}
		return nil
	}
	for _, fe := range cfg.Validate() {
		n := lines[fe.Field]
		if n == nil {
			n = body
		}
		l.errf(n, join(key, fe.Field), "%s", fe.Msg)
	}
	return cfg
}

// redact cuts every value from the environment out of the problems found
// since the first.
func (l *loader) redact(first int, values []string) {
	for i := first; i < len(l.problems); i++ {
		for _, v := range values {
			if v == "" {
				continue
			}
			msg := strings.ReplaceAll(l.problems[i].Msg, strconv.Quote(v), "(a value from the environment)")
			l.problems[i].Msg = strings.ReplaceAll(msg, v, "(a value from the environment)")
		}
	}
}

// expandTree replaces ${NAME} in every scalar below n, in place, and returns
// the values that came from the environment.
func (l *loader) expandTree(n *yaml.Node, key string) []string {
	var fromEnv []string
	switch n.Kind {
	case yaml.ScalarNode:
		if v, env, ok := l.str(n, key); ok && env {
			n.Value = v
			n.Tag = "!!str"
			n.Style = yaml.DoubleQuotedStyle
			fromEnv = append(fromEnv, v)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			fromEnv = append(fromEnv, l.expandTree(c, fmt.Sprintf("%s[%d]", key, i))...)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			fromEnv = append(fromEnv, l.expandTree(n.Content[i+1], join(key, n.Content[i].Value))...)
		}
	}
	return fromEnv
}

func (l *loader) template(n *yaml.Node, key string) *template.Template {
	s, _, ok := l.str(n, key)
	if !ok {
		return nil
	}
	if err := channels.CheckTemplate(key, s); err != nil {
		l.errf(n, key, "%s", templateProblem(key, err))
		return nil
	}
	t, _ := channels.ParseTemplate(key, s)
	return t
}

// templateProblem shortens text/template's error, which repeats the
// template's name (here the key, already in the problem) up to three times:
// "template K: template: K:1:2: executing "K" at <.Nope>: ..." becomes
// "line 1:2: at <.Nope>: ...".
func templateProblem(name string, err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "template "+name+": ")
	msg = strings.TrimPrefix(msg, "template: "+name+":")
	msg = strings.Replace(msg, `executing "`+name+`" `, "", 1)
	return "line " + msg
}

func (l *loader) policies(n *yaml.Node, chans map[string]*Channel) map[string]*Policy {
	out := map[string]*Policy{}
	if n == nil {
		return out
	}
	if n.Kind != yaml.MappingNode {
		l.errf(n, "policies", "must be a mapping of policy names to ladders")
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := "policies." + k.Value
		if _, dup := out[k.Value]; dup {
			l.errf(k, key, "policy defined twice")
			continue
		}
		p := &Policy{Name: k.Value}
		if v.Kind != yaml.SequenceNode {
			l.errf(v, key, "must be a list of stages")
			out[k.Value] = p // defined, though broken: no second problem where a credential names it
			continue
		}
		if len(v.Content) == 0 {
			l.errf(v, key, "the ladder is empty: give at least one stage")
			out[k.Value] = p
			continue
		}
		names := map[string]bool{}
		for j, sn := range v.Content {
			skey := fmt.Sprintf("%s[%d]", key, j)
			st, ok := l.stage(sn, skey, chans)
			if !ok {
				continue
			}
			if names[st.Name] {
				l.errf(sn, skey+".name", "stage name %q used twice in this policy", st.Name)
				continue
			}
			names[st.Name] = true
			p.Stages = append(p.Stages, st)
		}
		sched := make([]schedule.Stage, len(p.Stages))
		for j := range p.Stages {
			sched[j] = p.Stages[j].Stage
		}
		if err := schedule.SortStages(sched); err != nil {
			l.errf(v, key, "%v", err)
		}
		byName := map[string]Stage{}
		for _, s := range p.Stages {
			byName[s.Name] = s
		}
		for j, s := range sched {
			p.Stages[j] = byName[s.Name]
		}
		out[k.Value] = p
	}
	return out
}

func (l *loader) stage(n *yaml.Node, key string, chans map[string]*Channel) (Stage, bool) {
	f := l.fields(n, key, stageKeys)
	if f == nil {
		return Stage{}, false
	}
	var st Stage
	ok := true
	before, after := f["before"], f["after"]
	var written string
	switch {
	case before != nil && after != nil:
		l.errf(after, key, "give before: or after:, not both")
		ok = false
	case before == nil && after == nil:
		l.errf(n, key, "missing before: (e.g. 30d) or after: (e.g. 0s, overdue)")
		ok = false
	case before != nil:
		sp, s, good := l.span(before, key+".before")
		st.Offset, written, ok = sp, s, good
	default:
		sp, s, good := l.span(after, key+".after")
		st.Offset, st.After, written, ok = sp, true, s, good
	}
	switch {
	case f["name"] != nil:
		st.Name, _, _ = l.str(f["name"], key+".name")
		if st.Name == "" {
			l.errf(f["name"], key+".name", "must not be empty")
			ok = false
		} else if st.Name == domain.StageRejected || st.Name == domain.StageOldSecret {
			// The stages of the alerts Amazon's answers raise share the
			// cycle's deliveries with the ladder's.
			l.errf(f["name"], key+".name", "%q is the stage of notifier's own SP-API alerts; choose another name", st.Name)
			ok = false
		}
	case st.After && st.Offset.IsZero():
		st.Name = "overdue"
	case st.After:
		st.Name = "overdue+" + written
	default:
		st.Name = written
	}
	if v := f["repeat"]; v != nil {
		if sp, _, good := l.span(v, key+".repeat"); good {
			if sp.IsZero() {
				l.errf(v, key+".repeat", "must be longer than 0s (leave it out to send once)")
				ok = false
			} else if sp.Approx() < time.Minute {
				l.errf(v, key+".repeat", "must be at least 1m")
				ok = false
			}
			st.Repeat = sp
		} else {
			ok = false
		}
	}
	if v := f["unless_acknowledged"]; v != nil {
		st.UnlessAcknowledged = l.bool(v, key+".unless_acknowledged")
	}
	if v := f["channels"]; v == nil {
		l.errf(n, key+".channels", "missing: name at least one channel")
		ok = false
	} else {
		st.Channels = l.strList(v, key+".channels")
		if len(st.Channels) == 0 && v.Kind == yaml.SequenceNode {
			l.errf(v, key+".channels", "is empty: name at least one channel")
			ok = false
		}
		seen := map[string]bool{}
		for i, c := range st.Channels {
			ckey := fmt.Sprintf("%s.channels[%d]", key, i)
			if _, defined := chans[c]; !defined {
				l.errf(v.Content[i], ckey, "channel %q is not defined under channels:", c)
				ok = false
			}
			if seen[c] {
				l.errf(v.Content[i], ckey, "channel %q listed twice", c)
				ok = false
			}
			seen[c] = true
		}
	}
	if v := f["subject"]; v != nil {
		st.Subject = l.template(v, key+".subject")
	}
	if v := f["template"]; v != nil {
		st.Text = l.template(v, key+".template")
	}
	return st, ok
}

// credMeta is what the checks after a credential's own need to know of
// it; the parse tree is gone by then (it costs about 2 KB a credential).
type credMeta struct {
	index      int // its place in its file's credentials: list
	line       int // the line of its item
	policyLine int // 0: no policy: key, the default applies
	clientLine int // the line of lwa.client_id, if given
	lwa        *LWA
}

// key is how problems name the credential.
func (m credMeta) key() string { return "credentials[" + strconv.Itoa(m.index) + "]" }

func (l *loader) credentials(n *yaml.Node) ([]Credential, []credMeta) {
	if n.Kind != yaml.SequenceNode {
		l.errf(n, "credentials", "must be a list")
		return nil, nil
	}
	return l.items(n.Content, 0, make([]Credential, 0, len(n.Content)), make([]credMeta, 0, len(n.Content)))
}

// items reads credentials: items into creds, the first being item number
// first of its file.
func (l *loader) items(items []*yaml.Node, first int, creds []Credential, meta []credMeta) ([]Credential, []credMeta) {
	for i, cn := range items {
		m := credMeta{index: first + i, line: cn.Line}
		key := m.key()
		f := l.fields(cn, key, credKeys)
		if f == nil {
			continue
		}
		c := Credential{RotationPeriod: l.period, Policy: l.policy, File: l.file}
		if v := f["id"]; v == nil {
			l.errf(cn, key+".id", "missing")
		} else if s, _, ok := l.str(v, key+".id"); ok {
			if !isSlug(s) {
				l.errf(v, key+".id", "%q is not a slug (lowercase letters, digits, - and _, at most 64)", s)
			}
			c.ID, c.Line = s, v.Line
		}
		if v := f["name"]; v != nil {
			c.Name, _, _ = l.str(v, key+".name")
		}
		if v := f["owner"]; v != nil {
			c.Owner, _, _ = l.str(v, key+".owner")
		}
		if v := f["rotation_period"]; v != nil {
			if sp, _, ok := l.span(v, key+".rotation_period"); ok {
				c.RotationPeriod = l.positive(v, key+".rotation_period", sp)
			}
		}
		if v := f["policy"]; v != nil {
			c.Policy, _, _ = l.str(v, key+".policy")
			m.policyLine = v.Line
		}
		if v := f["source"]; v != nil {
			c.Source = l.source(v, key+".source")
		}
		if v := f["aws"]; v != nil {
			if f["source"] == nil {
				l.errf(v, key+".aws", "is the AWS region and endpoint of a source:, and this credential has none")
			} else {
				l.aws(v, key+".aws", &c.Source)
			}
		}
		if v := f["rotated_at"]; v == nil {
			if f["source"] == nil {
				l.errf(cn, key+".rotated_at", "missing: when was this secret last rotated? (e.g. 2026-06-01)")
			}
		} else if t, ok := l.time(v, key+".rotated_at"); ok {
			if !l.now.IsZero() && t.After(l.now) {
				l.errf(v, key+".rotated_at", "%s is in the future (now is %s)", t.In(l.loc).Format(time.RFC3339), l.now.In(l.loc).Format(time.RFC3339))
			}
			c.RotatedAt = t
		}
		if v := f["expires_at"]; v != nil {
			if t, ok := l.time(v, key+".expires_at"); ok {
				if !c.RotatedAt.IsZero() && !t.After(c.RotatedAt) {
					l.errf(v, key+".expires_at", "is not after rotated_at")
				}
				c.ExpiresAt = t
			}
		}
		if v := f["lwa"]; v != nil {
			c.LWAClientID = l.lwa(v, key+".lwa", &m)
		}
		if c.Name == "" {
			c.Name = c.ID
		}
		creds = append(creds, c)
		meta = append(meta, m)
	}
	return creds, meta
}

// isSlug is slugRE without a regexp, which would cost more than the rest
// of a credential's checks.
func isSlug(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '-' || c == '_') && i > 0:
		default:
			return false
		}
	}
	return true
}

// credentialFiles resolves the globs, relative to dir, into the files they
// match, without opening any. A glob that matches nothing is a problem.
func (l *loader) credentialFiles(n *yaml.Node, dir string, sources []string) (files, _ []string) {
	if n.Kind != yaml.SequenceNode {
		l.errf(n, "credential_files", "must be a list")
		return nil, sources
	}
	seen := map[string]bool{}
	for i, gn := range n.Content {
		key := fmt.Sprintf("credential_files[%d]", i)
		glob, _, ok := l.str(gn, key)
		if !ok {
			continue
		}
		g := glob
		if !filepath.IsAbs(g) {
			g = filepath.Join(dir, g)
		}
		matches, err := filepath.Glob(g)
		if err != nil {
			l.errf(gn, key, "%v", err)
			continue
		}
		if len(matches) == 0 {
			l.errf(gn, key, "%q matches no file", glob)
			continue
		}
		sources = append(sources, g)
		sort.Strings(matches)
		for _, m := range matches {
			m = filepath.Clean(m)
			if !seen[m] { // a file two globs match is read once
				seen[m] = true
				files = append(files, m)
			}
		}
	}
	return files, sources
}

// place is where an id was first written.
type place struct {
	file string
	line int
}

// check reports ids used twice (seen holds those met before, and gets
// these) and policies not defined. It returns the index in creds of the
// first credential that relies on the default policy, or -1.
func (l *loader) check(creds []Credential, meta []credMeta, policies map[string]*Policy, seen map[string]place) int {
	first := -1
	for i, c := range creds {
		m := meta[i]
		if c.ID != "" {
			if where, dup := seen[c.ID]; dup {
				l.errAt(c.File, c.Line, m.key()+".id", "%q is already used at %s:%d", c.ID, where.file, where.line)
			} else {
				seen[c.ID] = place{c.File, c.Line}
			}
		}
		if m.policyLine == 0 {
			if first < 0 {
				first = i
			}
			continue
		}
		if _, ok := policies[c.Policy]; !ok {
			l.errAt(c.File, m.policyLine, m.key()+".policy", "policy %q is not defined under policies:", c.Policy)
		}
	}
	return first
}

// checkDefaultPolicy reports, at the config file, a default policy that is
// not defined though named under defaults: or relied on.
func (l *loader) checkDefaultPolicy(cfg *Config, used bool) {
	if _, ok := cfg.Policies[cfg.defaultPolicy]; ok || !used && l.defaultPolicyNode == nil {
		return
	}
	if l.defaultPolicyNode != nil {
		l.errf(l.defaultPolicyNode, "defaults.policy", "policy %q is not defined under policies:", cfg.defaultPolicy)
	} else {
		l.errf(nil, "policies", "no policy named %q, the default for credentials without policy: (define it, or set defaults.policy)", cfg.defaultPolicy)
	}
}

// yamlKeys lists the yaml keys of a pointer-to-struct type's fields.
func yamlKeys(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out = append(out, name)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// relTo names path relative to dir when it is inside it.
func relTo(dir, path string) string {
	if r, err := filepath.Rel(dir, path); err == nil && filepath.IsLocal(r) {
		return r
	}
	return path
}
