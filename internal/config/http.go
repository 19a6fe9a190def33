package config

import (
	"maps"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// MinAckSecret is the shortest ack_secret accepted: an HMAC-SHA256 key
// of fewer than 32 bytes is weaker than the hash.
const MinAckSecret = 32

// HTTP is the http: block: the server `notifier run` starts for ack links,
// Slack interactivity, health and metrics.
type HTTP struct {
	// Listen is the address the server listens on ("127.0.0.1:9464").
	Listen string
	// MetricsListen, when set, is the address /metrics is served on,
	// and only there (a scraper's network, not the ack links' proxy).
	MetricsListen string
	// PublicURL is the base of the links put in messages, as people's
	// browsers reach the server (through a reverse proxy, usually); no
	// trailing slash. Empty: messages carry no link.
	PublicURL string
	// AckSecret is the HMAC key of ack links, from ${ENV}; at least
	// MinAckSecret bytes. Required with PublicURL.
	AckSecret channels.Secret
	// AckLinkTTL is how long an ack link works after the message was sent;
	// 0: until the cycle ends (a rotation).
	AckLinkTTL time.Duration
	// Metrics bounds what /metrics says per credential.
	Metrics Metrics
	// Console is the http.console: block (the web console at /); nil:
	// no console, / is 404.
	Console *Console
	// Calendar is the http.calendar: block (the tokens of /calendar.ics);
	// nil: no calendar feed.
	Calendar *Calendar
}

// Metrics is the http.metrics: block: which credentials /metrics gives
// series of their own (the rest are only in the aggregates).
type Metrics struct {
	// PerCredentialWithin: credentials overdue or due within this span
	// get per-credential series.
	PerCredentialWithin schedule.Span
	// PerCredentialMax caps those series (the soonest deadlines first);
	// 0: no per-credential series.
	PerCredentialMax int
	// OwnersMax caps the owners given series of their own (by owner);
	// the others are counted in notifier_owners_left_out.
	OwnersMax int
}

// DefaultMetrics are the http.metrics: defaults.
var DefaultMetrics = Metrics{PerCredentialWithin: schedule.Span{Days: 30}, PerCredentialMax: 10_000, OwnersMax: 1_000}

// MetricsOf is c's http.metrics settings, the defaults without http:.
func MetricsOf(c *Config) Metrics {
	if c == nil || c.HTTP == nil {
		return DefaultMetrics
	}
	return c.HTTP.Metrics
}

// metricsBlock is the http.metrics: block.
type metricsBlock struct {
	PerCredentialWithin *yaml.Node `yaml:"per_credential_within"`
	PerCredentialMax    *yaml.Node `yaml:"per_credential_max"`
	OwnersMax           *yaml.Node `yaml:"owners_max"`
}

// maxMetricSeries bounds per_credential_max and owners_max: more series
// than this from one target is more than a Prometheus server should take.
const maxMetricSeries = 1_000_000

// metrics reads the http.metrics: block over the defaults.
func (l *loader) metrics(n *yaml.Node) Metrics {
	m := DefaultMetrics
	if n == nil {
		return m
	}
	var b metricsBlock
	if !l.decode(n, "http.metrics", &b) {
		return m
	}
	if v := b.PerCredentialWithin; v != nil {
		if sp, _, ok := l.span(v, "http.metrics.per_credential_within"); ok {
			m.PerCredentialWithin = sp
		}
	}
	for _, k := range []struct {
		key string
		n   *yaml.Node
		dst *int
	}{{"per_credential_max", b.PerCredentialMax, &m.PerCredentialMax}, {"owners_max", b.OwnersMax, &m.OwnersMax}} {
		if k.n == nil {
			continue
		}
		if s, ok := l.str(k.n, "http.metrics."+k.key); ok {
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i > maxMetricSeries {
				l.errf(k.n, "http.metrics."+k.key, "%q is not a whole number from 0 to %d", s, maxMetricSeries)
			} else {
				*k.dst = i
			}
		}
	}
	return m
}

// hmacKey reads an HMAC key: from ${ENV} only (env names the example's
// variable), at least MinAckSecret bytes; "" after a problem.
func (l *loader) hmacKey(n *yaml.Node, key, env string) channels.Secret {
	s, fromEnv, ok := l.secret(n, key)
	switch {
	case !ok:
	case !fromEnv:
		l.errf(n, key, "must come from the environment, e.g. %s: ${%s}: a secret written in the file ends up in backups and repositories", key[strings.LastIndex(key, ".")+1:], env)
	case len(s) < MinAckSecret:
		l.errf(n, key, "%s is %d bytes; it must be at least %d (e.g. openssl rand -hex 32)", n.Value, len(s), MinAckSecret)
	default:
		return channels.Secret(s)
	}
	return ""
}

// httpBlock is the http: block.
type httpBlock struct {
	Listen        *yaml.Node `yaml:"listen"`
	MetricsListen *yaml.Node `yaml:"metrics_listen"`
	PublicURL     *yaml.Node `yaml:"public_url"`
	AckSecret     *yaml.Node `yaml:"ack_secret"`
	AckLinkTTL    *yaml.Node `yaml:"ack_link_ttl"`
	Metrics       *yaml.Node `yaml:"metrics"`
	Console       *yaml.Node `yaml:"console"`
	Calendar      *yaml.Node `yaml:"calendar"`
}

// http reads the http: block. Secrets are never quoted back. chanNodes
// are the channels' names, where a missing signing_secret is reported.
func (l *loader) http(n *yaml.Node, chans map[string]*Channel, chanNodes map[string]*yaml.Node, dir string) *HTTP {
	var b httpBlock
	if !l.decode(n, "http", &b) {
		return nil
	}
	h := &HTTP{}
	if v := b.Listen; v != nil {
		if s, ok := l.str(v, "http.listen"); ok {
			if _, port, err := net.SplitHostPort(s); err != nil || port == "" {
				l.errf(v, "http.listen", "%s is not host:port (e.g. 127.0.0.1:9464, or :9464 for every interface)", v.Value)
			} else {
				h.Listen = s
			}
		}
	} else {
		l.errf(n, "http.listen", "missing: the address to listen on, e.g. 127.0.0.1:9464")
	}
	if v := b.MetricsListen; v != nil {
		if s, ok := l.str(v, "http.metrics_listen"); ok {
			if _, port, err := net.SplitHostPort(s); err != nil || port == "" {
				l.errf(v, "http.metrics_listen", "%s is not host:port (e.g. 127.0.0.1:9101)", v.Value)
			} else if s == h.Listen {
				l.errf(v, "http.metrics_listen", "%s is http.listen's address: give /metrics another one, or leave it out to serve /metrics on http.listen", s)
			} else {
				h.MetricsListen = s
			}
		}
	}
	if v := b.PublicURL; v != nil {
		if s, ok := l.str(v, "http.public_url"); ok {
			u, err := url.Parse(s)
			switch {
			case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
				l.errf(v, "http.public_url", "%q is not an absolute http(s) URL (e.g. https://notifier.example.com)", s)
			case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
				l.errf(v, "http.public_url", "must be a plain base URL, without user, query or fragment")
			default:
				h.PublicURL = strings.TrimRight(s, "/")
			}
		}
	}
	secretNode := b.AckSecret
	if secretNode != nil {
		h.AckSecret = l.hmacKey(secretNode, "http.ack_secret", "NOTIFIER_ACK_SECRET")
	} else if b.PublicURL != nil {
		l.errf(n, "http.ack_secret", "missing: public_url puts ack links in messages, and they are signed with ack_secret: ${NOTIFIER_ACK_SECRET} (at least %d bytes)", MinAckSecret)
	}
	if v := b.AckLinkTTL; v != nil {
		if sp, _, ok := l.span(v, "http.ack_link_ttl"); ok {
			if sp.IsZero() {
				l.errf(v, "http.ack_link_ttl", "must be longer than 0s (leave it out for links that work until the cycle ends)")
			} else {
				h.AckLinkTTL = sp.Approx()
			}
		}
	}
	h.Metrics = l.metrics(b.Metrics)
	if b.Console != nil {
		h.Console = l.console(b.Console, dir)
	}
	if b.Calendar != nil {
		h.Calendar = l.calendar(b.Calendar)
	}
	for _, name := range slices.Sorted(maps.Keys(chans)) {
		in, ok := chans[name].Config.(channels.Interactive)
		if ok && in.InteractionSecret() == "" {
			l.errf(chanNodes[name], "channels."+name+".signing_secret", "missing: with http: set, the Acknowledge button's clicks come back to /slack/interactions and are verified with the Slack app's signing secret; add signing_secret: ${SLACK_SIGNING_SECRET}")
		}
	}
	return h
}
