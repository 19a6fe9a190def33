package config

import (
	"gopkg.in/yaml.v3"

	"github.com/notifier-dev/notifier/internal/chain"
)

// Audit is the audit: block: how the history's tamper evidence is kept.
type Audit struct {
	// Key is audit.key, taken from ${ENV}: the events' hash chain is keyed
	// with it (HMAC-SHA-256), so that someone with the database file alone
	// cannot recompute the chain. Empty: plain SHA-256. A secret: it is
	// among Secrets and never quoted back.
	Key string
}

// auditBlock is the audit: block.
type auditBlock struct {
	Key *yaml.Node `yaml:"key"`
}

// audit reads the audit: block. The key must come from the environment (a
// key written into the file would be committed with it) and be at least
// chain.MinKeyLen bytes.
func (l *loader) audit(n *yaml.Node) Audit {
	var a Audit
	var b auditBlock
	if !l.decode(n, "audit", &b) {
		return a
	}
	v := b.Key
	if v == nil {
		l.errf(n, "audit.key", "missing: give the key as ${NAME} of an environment variable, or leave audit: out")
		return a
	}
	key, fromEnv, ok := l.secret(v, "audit.key")
	switch {
	case !ok:
	case !fromEnv:
		l.errf(v, "audit.key", "must come from the environment, as ${NAME}: a key written into the file is no secret")
	case len(key) < chain.MinKeyLen:
		l.errf(v, "audit.key", "%s is shorter than %d bytes; use a random key of at least %d bytes (e.g. openssl rand -base64 48)",
			v.Value, chain.MinKeyLen, chain.MinKeyLen)
	default:
		a.Key = key
	}
	return a
}
