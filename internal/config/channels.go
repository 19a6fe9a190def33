package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/notifier-dev/notifier/internal/channels"
)

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// channelKeys are the keys every channel has, beside its integration's.
var channelKeys = []string{"type", "concurrency", "digest", "subject_template", "text_template", "deliver", "route"}

// yamlValueRE is how yaml quotes a value in a type error; a value from the
// environment may be a secret, so it is cut out.
var yamlValueRE = regexp.MustCompile("`[^`]*`")

// channels reads the channels: block, a mapping of names to channels, and
// returns the names' nodes too, for problems found after it was read (a
// missing signing_secret).
func (l *loader) channels(n *yaml.Node) (map[string]*Channel, map[string]*yaml.Node) {
	out := map[string]*Channel{}
	nodes := map[string]*yaml.Node{}
	if n == nil {
		return out, nodes
	}
	if n.Kind != yaml.MappingNode {
		l.errf(n, "channels", "must be a mapping of channel names to channels")
		return out, nodes
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
		nodes[k.Value] = k
		if v.Kind != yaml.MappingNode {
			l.errf(v, key, "must be a mapping with at least type:")
			out[k.Value] = ch // defined, though broken: no second problem where a stage names it
			continue
		}
		// The keys every channel has are taken out, the last of each
		// counting; the rest are the integration's own.
		var rest []*yaml.Node
		var typeNode *yaml.Node
		concurrency := 0 // not given
		var routeNode *yaml.Node
		for j := 0; j+1 < len(v.Content); j += 2 {
			ck, cv := v.Content[j], v.Content[j+1]
			switch ck.Value {
			case "type":
				typeNode = cv
				ch.Type, _ = l.str(cv, key+".type")
			case "subject_template":
				ch.Subject = l.template(cv, key+".subject_template")
			case "text_template":
				ch.Text = l.template(cv, key+".text_template")
			case "concurrency":
				concurrency = l.concurrency(cv, key+".concurrency")
			case "deliver":
				ch.Deliver = l.deliver(cv, key+".deliver")
			case "digest":
				ch.Digest = l.digest(cv, key+".digest")
			case "route":
				routeNode = cv
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
		if routeNode != nil {
			ch.Route = l.route(routeNode, key+".route", ch.Type, ch.Config)
		}
		out[k.Value] = ch
	}
	return out, nodes
}

// MaxConcurrency bounds a channel's concurrency: key. More sends at once
// than this to one destination is a flood, not a speed-up.
const MaxConcurrency = 64

// concurrency reads a channel's concurrency: key; 0 when it is not a whole
// number from 1 to MaxConcurrency (a problem is reported then).
func (l *loader) concurrency(n *yaml.Node, key string) int {
	s, ok := l.str(n, key)
	if !ok {
		return 0
	}
	c, err := strconv.Atoi(s)
	if err == nil && c >= 1 && c <= MaxConcurrency {
		return c
	}
	l.errf(n, key, "%q is not a whole number from 1 to %d", s, MaxConcurrency)
	return 0
}

// integration decodes a channel's own keys strictly into cfg (a pointer to
// the integration's Config), after replacing ${NAME} in the values of its
// secret keys (those of type channels.Secret; ${NAME} elsewhere is
// refused), and
// reports cfg.Validate's problems at the key's line. A value that came from
// the environment is cut out of every problem it reports.
func (l *loader) integration(body *yaml.Node, key string, cfg channels.Config) channels.Config {
	before, found := len(l.problems), l.found()
	lines := map[string]*yaml.Node{} // key -> line, for cfg.Validate's problems
	var envValues []string
	secrets := secretKeys(reflect.TypeOf(cfg))
	// A key given twice is left to Decode, which names both lines.
	l.walk(body, key, yamlKeys(reflect.TypeOf(cfg)), "unknown key for this channel type (known: "+strings.Join(channelKeys, ", ")+", ", func(_ int, k, v *yaml.Node) bool {
		lines[k.Value] = k
		envValues = append(envValues, l.expandTree(v, join(key, k.Value), secrets[k.Value])...)
		return true
	})
	if l.found() > found {
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
// the values that came from the environment. Below a key that is no secret
// it replaces nothing and reports each ${NAME} (str).
func (l *loader) expandTree(n *yaml.Node, key string, secret bool) []string {
	var fromEnv []string
	switch n.Kind {
	case yaml.ScalarNode:
		if !secret {
			l.str(n, key)
		} else if v, env, ok := l.secret(n, key); ok && env {
			n.Value = v
			n.Tag = "!!str"
			n.Style = yaml.DoubleQuotedStyle
			fromEnv = append(fromEnv, v)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			fromEnv = append(fromEnv, l.expandTree(c, fmt.Sprintf("%s[%d]", key, i), secret)...)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			fromEnv = append(fromEnv, l.expandTree(n.Content[i+1], join(key, n.Content[i].Value), secret)...)
		}
	}
	return fromEnv
}

// secretKeys are the yaml keys of an integration's Config (a pointer to a
// struct) whose values are secrets: of type channels.Secret, or a map or
// list of them, or a field tagged secret:"true" (a plain string that may
// be a secret, as an SMTP user name).
func secretKeys(t reflect.Type) map[string]bool {
	secretT := reflect.TypeOf(channels.Secret(""))
	out := map[string]bool{}
	for _, f := range yamlFields(t) {
		ft := f.Type
		if ft.Kind() == reflect.Map || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		out[f.Name] = ft == secretT || f.Tag.Get("secret") == "true"
	}
	return out
}

// notifyAdmins reads notify_admins: the channels, each defined under
// channels: and listed once, that receive notifier's own notices.
func (l *loader) notifyAdmins(n *yaml.Node, chans map[string]*Channel) []string {
	return l.channelNames(n, "notify_admins", chans)
}

// channelNames reads a list of channels at key, each defined under
// channels: and listed once.
func (l *loader) channelNames(n *yaml.Node, key string, chans map[string]*Channel) []string {
	names := l.strList(n, key)
	seen := map[string]bool{}
	for i, c := range names {
		key := fmt.Sprintf("%s[%d]", key, i)
		if _, defined := chans[c]; !defined {
			l.errf(n.Content[i], key, "channel %q is not defined under channels:", c)
		}
		if seen[c] {
			l.errf(n.Content[i], key, "channel %q listed twice", c)
		}
		seen[c] = true
	}
	return names
}
