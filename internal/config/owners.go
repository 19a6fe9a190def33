package config

import (
	"fmt"
	"iter"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/notifier-dev/notifier/internal/channels"
)

// RouteOwner is a channel's route: owner: each message goes to the
// credential owner's address for the channel's type (owners:), and to the
// channel's own recipients when the owner has none.
const RouteOwner = "owner"

// routeKinds are the channel types an owner may have a route for, the keys
// of an owner under owners:.
var routeKinds = []string{"email", "slack", "sns", "webhook"}

// ownerBlock is one owner under owners:, by channel type.
type ownerBlock struct {
	Email   *yaml.Node `yaml:"email"`
	Slack   *yaml.Node `yaml:"slack"`
	SNS     *yaml.Node `yaml:"sns"`
	Webhook *yaml.Node `yaml:"webhook"`
}

// Owner is one owner's routes: for each channel type, where its messages
// go. Email may hold several addresses, the others one value each.
type Owner map[string][]string

var (
	slackRouteRE = regexp.MustCompile(`^(#[a-z0-9][a-z0-9._-]{0,79}|[CGUWD][A-Z0-9]{2,})$`)
	snsTopicRE   = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)
)

// owners reads the owners: block: owner names (the owner: of credentials)
// to their routes.
func (l *loader) owners(n *yaml.Node) map[string]Owner {
	out := map[string]Owner{}
	if n.Kind != yaml.MappingNode {
		l.errf(n, "owners", "must be a mapping of owner names to routes")
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := "owners." + k.Value
		if _, dup := out[k.Value]; dup {
			l.errf(k, key, "owner defined twice")
			continue
		}
		var b ownerBlock
		found := l.found()
		if !l.decode(v, key, &b) {
			continue
		}
		o := Owner{}
		if b.Email != nil {
			o["email"] = l.emailRoute(b.Email, key+".email")
		}
		if b.Slack != nil {
			if s, ok := l.str(b.Slack, key+".slack"); ok {
				if !slackRouteRE.MatchString(s) {
					l.errf(b.Slack, key+".slack", "%q is not a Slack channel (#name) or a channel or user id (C0123ABCD, U0123ABCD)", s)
				}
				o["slack"] = []string{s}
			}
		}
		if b.SNS != nil {
			if s, ok := l.str(b.SNS, key+".sns"); ok {
				if !snsTopicRE.MatchString(s) {
					l.errf(b.SNS, key+".sns", "%q is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)", s)
				}
				o["sns"] = []string{s}
			}
		}
		if b.Webhook != nil {
			// A webhook's URL may hold its key: a secret, from ${NAME},
			// never quoted back.
			if s, _, ok := l.secret(b.Webhook, key+".webhook"); ok {
				if u, err := url.Parse(s); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					l.errf(b.Webhook, key+".webhook", "is not an absolute http(s) URL")
				}
				o["webhook"] = []string{s}
			}
		}
		if b == (ownerBlock{}) && l.found() == found {
			l.errf(k, key, "no route: give at least one of %s", strings.Join(routeKinds, ", "))
		}
		out[k.Value] = o
	}
	return out
}

// emailRoute reads an owner's email: one address or a list of them.
func (l *loader) emailRoute(n *yaml.Node, key string) []string {
	var addrs []string
	var nodes []*yaml.Node
	if n.Kind == yaml.SequenceNode {
		addrs, nodes = l.strList(n, key), n.Content
	} else if s, ok := l.str(n, key+"[0]"); ok {
		addrs, nodes = []string{s}, []*yaml.Node{n}
	}
	if n.Kind == yaml.SequenceNode && len(n.Content) == 0 {
		l.errf(n, key, "must list at least one address")
	}
	for i, a := range addrs {
		if _, err := mail.ParseAddress(a); err != nil && i < len(nodes) {
			l.errf(nodes[i], fmt.Sprintf("%s[%d]", key, i), "%q is not an email address: %v", a, err)
		}
	}
	return addrs
}

// route reads a channel's route: key; only RouteOwner, and only on a
// channel type an owner can have a route for.
func (l *loader) route(n *yaml.Node, key, typ string, cfg channels.Config) string {
	s, ok := l.str(n, key)
	if !ok {
		return ""
	}
	if s != RouteOwner {
		l.errf(n, key, "%q is not a route: the one route is owner (to the credential owner's address under owners:, else the channel's own)", s)
		return ""
	}
	r, ok := cfg.(channels.Routable)
	if !ok || !slices.Contains(routeKinds, typ) {
		l.errf(n, key, "a %s channel has no address to route by owner (route: owner is for email, slack, sns and webhook)", typ)
		return ""
	}
	if err := r.Routable(); err != nil {
		l.errf(n, key, "%v", err)
		return ""
	}
	return s
}

// OwnerRoute is where the owner's messages go on a channel of type kind
// (email, slack, sns, webhook): false when owners: gives none.
func (c *Config) OwnerRoute(owner, kind string) ([]string, bool) {
	to := c.Owners[owner][kind]
	return to, len(to) > 0
}

// Unrouted is a credential whose owner has no route for a channel that
// routes by owner: its messages there go to the channel's own recipients.
type Unrouted struct {
	Credential string
	Owner      string
	Channel    string
	Kind       string // the channel's type
}

// Unrouted yields, credential by credential in config order, each channel
// of its policy (stages and announce:) that routes by owner and for which
// its owner has no route; one value per credential and channel.
func (c *Config) Unrouted() iter.Seq[Unrouted] {
	return func(yield func(Unrouted) bool) {
		routed := map[string][]string{} // policy -> its channels that route by owner
		for name, p := range c.Policies {
			seen := map[string]bool{}
			add := func(ch string) {
				if cc := c.Channels[ch]; cc != nil && cc.Route == RouteOwner && !seen[ch] {
					seen[ch] = true
					routed[name] = append(routed[name], ch)
				}
			}
			for _, s := range p.Stages {
				for _, ch := range s.Channels {
					add(ch)
				}
			}
			for _, ch := range p.Announce {
				add(ch)
			}
		}
		for _, cr := range c.Credentials {
			for _, ch := range routed[cr.Policy] {
				kind := c.Channels[ch].Type
				if _, ok := c.OwnerRoute(cr.Owner, kind); ok {
					continue
				}
				if !yield(Unrouted{Credential: cr.ID, Owner: cr.Owner, Channel: ch, Kind: kind}) {
					return
				}
			}
		}
	}
}
