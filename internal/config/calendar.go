package config

import (
	"encoding/hex"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Calendar is the http.calendar: block: who may subscribe to
// /calendar.ics. Calendar clients cannot sign in, so each subscriber
// holds a secret token in the feed's URL; the config keeps only its hash,
// and a token removed from it is refused from the next reload on.
type Calendar struct {
	Tokens []CalendarToken
}

// CalendarToken is one subscriber's token.
type CalendarToken struct {
	// Name says whose token it is (logs name it, never the token).
	Name string
	// Hash is the token's hash: "sha256:" and 64 hex digits, or a bcrypt
	// hash ($2a$, $2b$, $2y$).
	Hash string
	// Owners, when set, are the only owners whose credentials the token
	// shows.
	Owners []string
}

type calendarBlock struct {
	Tokens *yaml.Node `yaml:"tokens"`
}

type calendarTokenBlock struct {
	Name   *yaml.Node `yaml:"name"`
	Hash   *yaml.Node `yaml:"hash"`
	Owners *yaml.Node `yaml:"owners"`
}

// calendar reads the http.calendar: block.
func (l *loader) calendar(n *yaml.Node) *Calendar {
	var b calendarBlock
	if !l.decode(n, "http.calendar", &b) {
		return nil
	}
	c := &Calendar{}
	if b.Tokens == nil {
		l.errf(n, "http.calendar.tokens", "missing: a list of {name, hash} (hash: sha256:HEX of the token, e.g. printf %%s TOKEN | sha256sum)")
		return c
	}
	if b.Tokens.Kind != yaml.SequenceNode {
		l.errf(b.Tokens, "http.calendar.tokens", "must be a list of {name, hash, owners}")
		return c
	}
	names := map[string]bool{}
	for i, tn := range b.Tokens.Content {
		key := fmt.Sprintf("http.calendar.tokens[%d]", i)
		var tb calendarTokenBlock
		if !l.decode(tn, key, &tb) {
			continue
		}
		t := CalendarToken{}
		if tb.Name == nil {
			l.errf(tn, key+".name", "missing: whose token this is")
		} else if s, ok := l.str(tb.Name, key+".name"); ok {
			if s == "" || names[s] {
				l.errf(tb.Name, key+".name", "%q is empty or given twice", s)
			}
			names[s], t.Name = true, s
		}
		if tb.Hash == nil {
			l.errf(tn, key+".hash", "missing: the token's hash, sha256:HEX (printf %%s TOKEN | sha256sum) or bcrypt (htpasswd -nbB x TOKEN)")
		} else if s, ok := l.str(tb.Hash, key+".hash"); ok {
			if err := checkTokenHash(s); err != nil {
				// The value is a hash, yet it is not quoted back: a
				// token pasted here by mistake must not reach a log.
				l.errf(tb.Hash, key+".hash", "%v", err)
			} else {
				t.Hash = s
			}
		}
		if tb.Owners != nil {
			t.Owners = l.strList(tb.Owners, key+".owners")
		}
		c.Tokens = append(c.Tokens, t)
	}
	return c
}

// checkTokenHash says what is wrong with a token's hash, without quoting it.
func checkTokenHash(s string) error {
	switch {
	case strings.HasPrefix(s, "sha256:"):
		if h, err := hex.DecodeString(s[len("sha256:"):]); err != nil || len(h) != 32 {
			return fmt.Errorf("is not sha256: followed by 64 hex digits")
		}
		return nil
	case strings.HasPrefix(s, "$2a$"), strings.HasPrefix(s, "$2b$"), strings.HasPrefix(s, "$2y$"):
		if len(s) != 60 {
			return fmt.Errorf("is not a whole bcrypt hash (60 characters)")
		}
		return nil
	}
	return fmt.Errorf("is neither sha256:HEX nor a bcrypt hash ($2y$…): give the token's hash, never the token")
}
