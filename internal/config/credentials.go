package config

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/notifier-dev/notifier/internal/schedule"
)

// credMeta is what the checks after a credential's own need to know of
// it; the parse tree is gone by then (it costs about 2 KB a credential).
type credMeta struct {
	index      int // its place in its file's credentials: list
	line       int // the line of its item
	policyLine int // 0: no policy: key, the default applies
	clientLine int // the line of lwa.client_id, if given
	lwa        *LWA
	runbook    *Runbook // runbook: or impact: given
}

// key is how problems name the credential.
func (m credMeta) key() string { return "credentials[" + strconv.Itoa(m.index) + "]" }

// credReader reads credentials: items, of the main file or of a
// credential file.
type credReader struct {
	*loader
	// What a credential without rotation_period: or policy: gets.
	period schedule.Span
	policy string
	// inCredentialFile: a credential file, whose values are not registered
	// as secrets (its lwa secrets are refused: they belong in the main file).
	inCredentialFile bool
}

// credentialReader reads credentials with l, by c's defaults.
func (c *Config) credentialReader(l *loader, inCredentialFile bool) *credReader {
	return &credReader{loader: l, period: c.defaultPeriod, policy: c.defaultPolicy, inCredentialFile: inCredentialFile}
}

// credBlock is one credentials: item.
type credBlock struct {
	ID             *yaml.Node `yaml:"id"`
	Name           *yaml.Node `yaml:"name"`
	Owner          *yaml.Node `yaml:"owner"`
	RotatedAt      *yaml.Node `yaml:"rotated_at"`
	RotationPeriod *yaml.Node `yaml:"rotation_period"`
	ExpiresAt      *yaml.Node `yaml:"expires_at"`
	Policy         *yaml.Node `yaml:"policy"`
	LWA            *yaml.Node `yaml:"lwa"`
	Source         *yaml.Node `yaml:"source"`
	AWS            *yaml.Node `yaml:"aws"`
	Runbook        *yaml.Node `yaml:"runbook"`
	Impact         *yaml.Node `yaml:"impact"`
}

// credentials reads a credentials: list.
func (l *credReader) credentials(n *yaml.Node) ([]Credential, []credMeta) {
	if n.Kind != yaml.SequenceNode {
		l.errf(n, "credentials", "must be a list")
		return nil, nil
	}
	return l.items(n.Content, 0, make([]Credential, 0, len(n.Content)), make([]credMeta, 0, len(n.Content)))
}

// items reads credentials: items into creds, the first being item number
// first of its file.
func (l *credReader) items(items []*yaml.Node, first int, creds []Credential, meta []credMeta) ([]Credential, []credMeta) {
	for i, cn := range items {
		m := credMeta{index: first + i, line: cn.Line}
		key := m.key()
		var b credBlock
		if !l.decode(cn, key, &b) {
			continue
		}
		c := Credential{RotationPeriod: l.period, Policy: l.policy, File: l.file}
		if v := b.ID; v == nil {
			l.errf(cn, key+".id", "missing")
		} else if s, ok := l.str(v, key+".id"); ok {
			if !isSlug(s) {
				l.errf(v, key+".id", "%q is not a slug (lowercase letters, digits, - and _, at most 64)", s)
			}
			c.ID, c.Line = s, v.Line
		}
		if v := b.Name; v != nil {
			c.Name, _ = l.str(v, key+".name")
		}
		if v := b.Owner; v != nil {
			c.Owner, _ = l.str(v, key+".owner")
		}
		if v := b.RotationPeriod; v != nil {
			if sp, _, ok := l.span(v, key+".rotation_period"); ok {
				c.RotationPeriod = l.positive(v, key+".rotation_period", sp)
			}
		}
		if v := b.Policy; v != nil {
			c.Policy, _ = l.str(v, key+".policy")
			m.policyLine = v.Line
		}
		if v := b.Source; v != nil {
			c.Source = l.source(v, key+".source")
		}
		if v := b.AWS; v != nil {
			if b.Source == nil {
				l.errf(v, key+".aws", "is the AWS region and endpoint of a source:, and this credential has none")
			} else {
				l.aws(v, key+".aws", &c.Source)
			}
		}
		if v := b.RotatedAt; v == nil {
			if b.Source == nil {
				l.errf(cn, key+".rotated_at", "missing: when was this secret last rotated? (e.g. 2026-06-01)")
			}
		} else if t, ok := l.time(v, key+".rotated_at"); ok {
			if !l.now.IsZero() && t.After(l.now) {
				l.add(Problem{File: l.file, Line: v.Line, Key: key + ".rotated_at", Clock: true,
					Msg: fmt.Sprintf("%s is in the future (now is %s)", t.In(l.loc).Format(time.RFC3339), l.now.In(l.loc).Format(time.RFC3339))})
			}
			c.RotatedAt = t
		}
		if v := b.ExpiresAt; v != nil {
			if t, ok := l.time(v, key+".expires_at"); ok {
				if !c.RotatedAt.IsZero() && !t.After(c.RotatedAt) {
					l.errf(v, key+".expires_at", "is not after rotated_at")
				}
				c.ExpiresAt = t
			}
		}
		if v := b.LWA; v != nil {
			c.LWAClientID = l.lwa(v, key+".lwa", &m)
		}
		if b.Runbook != nil || b.Impact != nil {
			m.runbook = l.credRunbook(&b, key)
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
		glob, ok := l.str(gn, key)
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
func (l *mainLoad) checkDefaultPolicy(cfg *Config, used bool) {
	if _, ok := cfg.Policies[cfg.defaultPolicy]; ok || !used && l.defaultPolicyNode == nil {
		return
	}
	if l.defaultPolicyNode != nil {
		l.errf(l.defaultPolicyNode, "defaults.policy", "policy %q is not defined under policies:", cfg.defaultPolicy)
	} else {
		l.errf(nil, "policies", "no policy named %q, the default for credentials without policy: (define it, or set defaults.policy)", cfg.defaultPolicy)
	}
}

// credRunbook reads a credential's runbook: and impact:. A credential
// file is read only when it changes, so its messages could not find them:
// they belong in the main file or on the credential's policy.
func (l *credReader) credRunbook(b *credBlock, key string) *Runbook {
	if l.inCredentialFile {
		for _, k := range []struct {
			name string
			v    *yaml.Node
		}{{"runbook", b.Runbook}, {"impact", b.Impact}} {
			if k.v != nil {
				l.errf(k.v, key+"."+k.name, "belongs on the credential's policy or in the main config file: a credential file is read only when it changes")
			}
		}
		return nil
	}
	rb := &Runbook{}
	if v := b.Runbook; v != nil {
		l.runbook(v, key+".runbook", rb)
	}
	if v := b.Impact; v != nil {
		rb.Impact = l.impact(v, key+".impact")
	}
	return rb
}
