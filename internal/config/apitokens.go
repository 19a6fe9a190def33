package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// APIToken is one token of http.console.api_tokens: a script's key to the
// JSON API under /api/v1/. Only the token's SHA-256 is configured: the
// token itself (32 random bytes, e.g. openssl rand -hex 32) stays with the
// script; bcrypt would cost too much on every request, and a SHA-256 of
// 32 random bytes cannot be guessed back.
type APIToken struct {
	// Name names the token's holder; actions record the actor api:NAME.
	Name string
	// SHA256 is the hash of the token as sent (Authorization: Bearer).
	SHA256 [sha256.Size]byte
	// Role is viewer (reads) or responder (also acts).
	Role string
}

// apiTokenName is what a token's name may be: it is shown as an actor.
var apiTokenName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

type apiTokenBlock struct {
	Name   *yaml.Node `yaml:"name"`
	SHA256 *yaml.Node `yaml:"sha256"`
	Role   *yaml.Node `yaml:"role"`
}

// apiTokens reads http.console.api_tokens: a list of {name, sha256, role}.
func (l *loader) apiTokens(n *yaml.Node) []APIToken {
	const key = "http.console.api_tokens"
	if n.Kind != yaml.SequenceNode {
		l.errf(n, key, "must be a list of {name, sha256, role}")
		return nil
	}
	var out []APIToken
	names, hashes := map[string]bool{}, map[[sha256.Size]byte]bool{}
	for i, item := range n.Content {
		k := fmt.Sprintf("%s[%d]", key, i)
		var b apiTokenBlock
		if !l.decode(item, k, &b) {
			continue
		}
		t, ok := APIToken{Role: RoleViewer}, true
		if v := b.Name; v == nil {
			l.errf(item, k+".name", "missing: who holds the token (actions record api:NAME)")
			ok = false
		} else if s, sok := l.str(v, k+".name"); !sok {
			ok = false
		} else if !apiTokenName.MatchString(s) {
			l.errf(v, k+".name", "%s is not a name (letters, digits, '.', '_', '-'; at most 64)", quoted(truncateRunes(s, 40)))
			ok = false
		} else if names[s] {
			l.errf(v, k+".name", "%s is listed twice", quoted(s))
			ok = false
		} else {
			t.Name, names[s] = s, true
		}
		if v := b.SHA256; v == nil {
			l.errf(item, k+".sha256", "missing: the token's SHA-256 in hex (printf %%s \"$TOKEN\" | sha256sum)")
			ok = false
		} else if s, sok := l.str(v, k+".sha256"); !sok {
			ok = false
		} else if h, err := hex.DecodeString(strings.ToLower(s)); err != nil || len(h) != sha256.Size {
			// The value is a hash, yet someone may paste the token itself
			// here: never quote it.
			l.errf(v, k+".sha256", "not a SHA-256 in hex (64 characters): configure the token's hash, never the token (printf %%s \"$TOKEN\" | sha256sum)")
			ok = false
		} else if copy(t.SHA256[:], h); hashes[t.SHA256] {
			l.errf(v, k+".sha256", "the same hash as another token: give each holder a token of its own")
			ok = false
		} else {
			hashes[t.SHA256] = true
		}
		if v := b.Role; v != nil {
			if s, sok := l.str(v, k+".role"); !sok || !l.role(v, k+".role", s) {
				ok = false
			} else {
				t.Role = s
			}
		}
		if ok {
			out = append(out, t)
		}
	}
	return out
}

// truncateRunes cuts s at n characters.
func truncateRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
