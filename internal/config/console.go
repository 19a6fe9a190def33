package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/notifier-dev/notifier/internal/channels"
)

// Console roles: a viewer reads everything and acts on nothing; a
// responder also acknowledges, snoozes and records rotations.
const (
	RoleViewer    = "viewer"
	RoleResponder = "responder"
)

// DefaultSessionTTL is how long a console login lasts without
// http.console.session_ttl.
const DefaultSessionTTL = 12 * time.Hour

// Console is the http.console: block: the web console at /, and who may
// see and act there. People sign in with a users file (htpasswd, bcrypt),
// or an authenticating proxy names them in a header, or both.
type Console struct {
	// UsersFile is the htpasswd file's path (absolute); "" none.
	UsersFile string
	// Users is each user of UsersFile with their bcrypt hash.
	Users map[string][]byte
	// SessionKey signs the session cookies and the CSRF tokens, from
	// ${ENV}; at least MinAckSecret bytes. Empty: the console signs with a
	// random key of its process (sessions end at a restart).
	SessionKey channels.Secret
	// SessionTTL is how long a login lasts.
	SessionTTL time.Duration
	// Roles is each named user's role; DefaultRole everyone else's.
	Roles       map[string]string
	DefaultRole string
	// Proxy is the authenticating proxy in front; nil: none.
	Proxy *Proxy
	// APITokens are the JSON API's bearer tokens (hashed); none: the
	// API answers no one.
	APITokens []APIToken
}

// Proxy is the http.console.proxy: block.
type Proxy struct {
	// UserHeader names the user; RoleHeader, if set, their role (else
	// Roles and DefaultRole decide).
	UserHeader, RoleHeader string
	// Trusted are the proxy's addresses: the headers are believed only
	// from them.
	Trusted []netip.Prefix
}

// RoleOf is user's role.
func (c *Console) RoleOf(user string) string {
	if r, ok := c.Roles[user]; ok {
		return r
	}
	return c.DefaultRole
}

type consoleBlock struct {
	UsersFile   *yaml.Node `yaml:"users_file"`
	SessionKey  *yaml.Node `yaml:"session_key"`
	SessionTTL  *yaml.Node `yaml:"session_ttl"`
	Roles       *yaml.Node `yaml:"roles"`
	DefaultRole *yaml.Node `yaml:"default_role"`
	Proxy       *yaml.Node `yaml:"proxy"`
	APITokens   *yaml.Node `yaml:"api_tokens"`
}

type proxyBlock struct {
	UserHeader *yaml.Node `yaml:"user_header"`
	RoleHeader *yaml.Node `yaml:"role_header"`
	Trusted    *yaml.Node `yaml:"trusted"`
}

// console reads the http.console: block; a relative users_file is
// relative to dir, the config's folder.
func (l *loader) console(n *yaml.Node, dir string) *Console {
	var b consoleBlock
	if !l.decode(n, "http.console", &b) {
		return nil
	}
	c := &Console{SessionTTL: DefaultSessionTTL, DefaultRole: RoleViewer, Roles: map[string]string{}}
	if v := b.UsersFile; v != nil {
		if s, ok := l.str(v, "http.console.users_file"); ok {
			path := s
			if !filepath.IsAbs(path) {
				path = filepath.Join(dir, path)
			}
			users, err := readUsersFile(path, s)
			if err != nil {
				l.errf(v, "http.console.users_file", "%v", err)
			} else {
				c.UsersFile, c.Users = path, users
			}
		}
	}
	// No session_key: the console makes a random one for its process
	// (web.Options.ProcessKey); sessions then end at a restart.
	if v := b.SessionKey; v != nil {
		c.SessionKey = l.hmacKey(v, "http.console.session_key", "NOTIFIER_SESSION_KEY")
	}
	if v := b.SessionTTL; v != nil {
		if sp, _, ok := l.span(v, "http.console.session_ttl"); ok {
			c.SessionTTL = l.positive(v, "http.console.session_ttl", sp).Approx()
		}
	}
	if v := b.DefaultRole; v != nil {
		if s, ok := l.str(v, "http.console.default_role"); ok && l.role(v, "http.console.default_role", s) {
			c.DefaultRole = s
		}
	}
	if v := b.Roles; v != nil {
		if v.Kind != yaml.MappingNode {
			l.errf(v, "http.console.roles", "must be a mapping of user to role, e.g. {alice: responder}")
		} else {
			for i := 0; i+1 < len(v.Content); i += 2 {
				k, val := v.Content[i], v.Content[i+1]
				key := "http.console.roles." + k.Value
				if _, twice := c.Roles[k.Value]; twice {
					l.errf(k, key, "key given twice")
				} else if s, ok := l.str(val, key); ok && l.role(val, key, s) {
					c.Roles[k.Value] = s
				}
			}
		}
	}
	if v := b.Proxy; v != nil {
		c.Proxy = l.proxy(v)
	}
	if v := b.APITokens; v != nil {
		c.APITokens = l.apiTokens(v)
	}
	if b.UsersFile == nil && b.Proxy == nil {
		l.errf(n, "http.console", "nobody can sign in: set users_file (htpasswd -B) or proxy (an authenticating proxy's user header)")
	}
	return c
}

// role checks that s is a role.
func (l *loader) role(n *yaml.Node, key, s string) bool {
	if s != RoleViewer && s != RoleResponder {
		l.errf(n, key, "%q is not a role (viewer or responder)", s)
		return false
	}
	return true
}

// proxy reads the http.console.proxy: block.
func (l *loader) proxy(n *yaml.Node) *Proxy {
	var b proxyBlock
	if !l.decode(n, "http.console.proxy", &b) {
		return nil
	}
	p := &Proxy{}
	header := func(v *yaml.Node, key string) string {
		s, ok := l.str(v, key)
		if !ok {
			return ""
		}
		if s == "" || strings.ContainsAny(s, " :\t\r\n") {
			l.errf(v, key, "%q is not a header name (e.g. X-Forwarded-User)", s)
			return ""
		}
		return textproto.CanonicalMIMEHeaderKey(s)
	}
	if v := b.UserHeader; v != nil {
		p.UserHeader = header(v, "http.console.proxy.user_header")
	} else {
		l.errf(n, "http.console.proxy.user_header", "missing: the header the proxy names the user in, e.g. X-Forwarded-User")
	}
	if v := b.RoleHeader; v != nil {
		p.RoleHeader = header(v, "http.console.proxy.role_header")
	}
	if v := b.Trusted; v != nil {
		for i, s := range l.strList(v, "http.console.proxy.trusted") {
			pr, err := netip.ParsePrefix(s)
			if err != nil {
				a, aerr := netip.ParseAddr(s)
				if aerr != nil {
					l.errf(v.Content[i], fmt.Sprintf("http.console.proxy.trusted[%d]", i), "%q is not an address or CIDR (e.g. 127.0.0.1/32)", s)
					continue
				}
				pr = netip.PrefixFrom(a, a.BitLen())
			}
			p.Trusted = append(p.Trusted, pr.Masked())
		}
	}
	if len(p.Trusted) == 0 {
		l.errf(n, "http.console.proxy.trusted", "missing: the proxy's addresses (e.g. [127.0.0.1/32]); the user header is believed only from them")
	}
	return p
}

// readUsersFile reads an Apache htpasswd file of bcrypt hashes ($2y$,
// $2a$ or $2b$, as htpasswd -B writes): "user:hash" a line, # comments.
// A problem names the file (as name, the path as written) and line; a
// hash is never quoted.
func readUsersFile(path, name string) (map[string][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	users := map[string][]byte{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		user, hash, ok := strings.Cut(text, ":")
		switch {
		case !ok || user == "":
			return nil, fmt.Errorf("%s:%d: not user:hash", name, line)
		case !strings.HasPrefix(hash, "$2y$") && !strings.HasPrefix(hash, "$2a$") && !strings.HasPrefix(hash, "$2b$"):
			return nil, fmt.Errorf("%s:%d: %s's password is not a bcrypt hash ($2y$, $2a$ or $2b$): make it with htpasswd -B", name, line, quoted(user))
		case users[user] != nil:
			return nil, fmt.Errorf("%s:%d: %s is listed twice", name, line, quoted(user))
		}
		users[user] = []byte(hash)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("%s: no users", name)
	}
	return users, nil
}
