package config

import (
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"github.com/notifier-dev/notifier/internal/domain"
)

// retryBlock is the retry: block.
type retryBlock struct {
	MaxAttempts    *yaml.Node `yaml:"max_attempts"`
	InitialBackoff *yaml.Node `yaml:"initial_backoff"`
	MaxBackoff     *yaml.Node `yaml:"max_backoff"`
}

// defaultsBlock is the defaults: block.
type defaultsBlock struct {
	RotationPeriod *yaml.Node `yaml:"rotation_period"`
	Policy         *yaml.Node `yaml:"policy"`
	Runbook        *yaml.Node `yaml:"runbook"`
	Impact         *yaml.Node `yaml:"impact"`
}

// settings reads the top level's single settings into cfg, and judges the
// rest by them: the zone first, which now depends on.
func (l *mainLoad) settings(top *topBlock, cfg *Config, clock Clock) {
	if n := top.Timezone; n != nil {
		if s, ok := l.str(n, "timezone"); ok {
			cfg.Timezone = s
		}
	}
	loc := l.zone(top.Timezone, "timezone", cfg.Timezone)
	if loc == nil {
		loc = time.UTC
	}
	cfg.Location, l.loc = loc, loc
	l.now = clock(loc)

	if n := top.Database; n != nil {
		if s, _, ok := l.secret(n, "database"); ok && s != "" {
			cfg.Database = s
		} else if ok {
			l.errf(n, "database", "must not be empty")
		}
	}
	// A PostgreSQL URL (several replicas share one database) is kept as
	// written, ${ENV} expanded; a relative file path is relative to the
	// state directory systemd gives the service (StateDirectory=, handed
	// over as STATE_DIRECTORY, the first of its folders), else to the
	// config's folder: the config may live in a read-only /etc.
	if !domain.IsDatabaseURL(cfg.Database) && !filepath.IsAbs(cfg.Database) {
		base := filepath.Dir(cfg.Path)
		if state, ok := l.env("STATE_DIRECTORY"); ok && filepath.IsAbs(strings.Split(state, ":")[0]) {
			base = strings.Split(state, ":")[0]
		}
		cfg.Database = filepath.Join(base, cfg.Database)
	}
	if n := top.CheckSchedule; n != nil {
		if s, ok := l.str(n, "check_schedule"); ok {
			cfg.CheckSchedule = s
		}
	}
	if _, err := cron.ParseStandard(cfg.CheckSchedule); err != nil {
		l.errf(top.CheckSchedule, "check_schedule", "%q is not a cron spec: %v", cfg.CheckSchedule, err)
	}
	if n := top.Retry; n != nil {
		l.retry(n, &cfg.Retry)
	}
	if n := top.Audit; n != nil {
		cfg.Audit = l.audit(n)
	}
	if n := top.Defaults; n != nil {
		l.defaults(n, cfg)
	}
}

func (l *loader) retry(n *yaml.Node, r *Retry) {
	var b retryBlock
	l.decode(n, "retry", &b)
	if v := b.MaxAttempts; v != nil {
		if s, ok := l.str(v, "retry.max_attempts"); ok {
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
		n   *yaml.Node
		dst *time.Duration
	}{{"initial_backoff", b.InitialBackoff, &r.InitialBackoff}, {"max_backoff", b.MaxBackoff, &r.MaxBackoff}} {
		v := k.n
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

// defaults reads the defaults: block into what credentials without
// rotation_period: or policy: get.
func (l *mainLoad) defaults(n *yaml.Node, cfg *Config) {
	var b defaultsBlock
	l.decode(n, "defaults", &b)
	if v := b.RotationPeriod; v != nil {
		if sp, _, ok := l.span(v, "defaults.rotation_period"); ok {
			cfg.defaultPeriod = l.positive(v, "defaults.rotation_period", sp)
		}
	}
	if v := b.Policy; v != nil {
		l.defaultPolicyNode = v
		cfg.defaultPolicy, _ = l.str(v, "defaults.policy")
	}
	if v := b.Runbook; v != nil {
		l.runbook(v, "defaults.runbook", &cfg.defaultRunbook)
	}
	if v := b.Impact; v != nil {
		cfg.defaultRunbook.Impact = l.impact(v, "defaults.impact")
	}
}
