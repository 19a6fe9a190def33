package report

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/store/backend"
)

// Check describes a valid config, as `notifier check` prints it, without
// any secret: values that came from the environment are cut out.
func Check(w io.Writer, cfg *config.Config) error {
	_, err := io.WriteString(w, summary(cfg)+routingSummary(cfg)+amazonSummary(cfg)+sourcesSummary(cfg))
	return err
}

// MaxUnroutedShown is how many unrouted credentials check lists; the
// rest are counted, so that the output stays readable at any fleet size.
const MaxUnroutedShown = 20

// routingSummary is check's lines for owner routing: how many owners have
// routes, and the credentials whose owner has none on a channel that
// routes by owner (the first MaxUnroutedShown, then a count).
func routingSummary(cfg *config.Config) string {
	if len(cfg.Owners) == 0 && !routesByOwner(cfg) {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  owners:      %d with routes\n", len(cfg.Owners))
	shown, total := unrouted(cfg, MaxUnroutedShown)
	if total == 0 {
		return b.String()
	}
	fmt.Fprintf(&b, "  unrouted:    %d (credential, owner, channel: where its reminders go instead)\n", total)
	for _, u := range shown {
		fmt.Fprintf(&b, "    %s\n", u.Line)
	}
	if total > len(shown) {
		fmt.Fprintf(&b, "    ... and %d more\n", total-len(shown))
	}
	return b.String()
}

// routesByOwner says whether a channel has route: owner.
func routesByOwner(cfg *config.Config) bool {
	for _, ch := range cfg.Channels {
		if ch.Route == config.RouteOwner {
			return true
		}
	}
	return false
}

// unrouted is the first max unrouted credentials, each with check's line,
// and how many there are in all.
func unrouted(cfg *config.Config, max int) ([]CheckUnrouted, int) {
	var shown []CheckUnrouted
	total := 0
	for u := range cfg.Unrouted() {
		total++
		if len(shown) < max {
			// A webhook's URL may hold a key: it is named, not shown.
			own := "the channel's url"
			if a, ok := cfg.Channels[u.Channel].Config.(channels.Addressed); ok && u.Kind != "webhook" {
				own = strings.TrimPrefix(a.Recipient(), "to ")
			}
			line := fmt.Sprintf("%s (owner %s): no %s route for channel %s; sent to %s", u.Credential, u.Owner, u.Kind, u.Channel, own)
			shown = append(shown, CheckUnrouted{Credential: u.Credential, Owner: u.Owner, Channel: u.Channel, Line: line})
		}
	}
	return shown, total
}

// summary describes a valid config without any secret.
func summary(cfg *config.Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: ok\n", cfg.Path)
	fmt.Fprintf(&b, "  database:    %s\n", backend.Name(cfg.Database))
	fmt.Fprintf(&b, "  schedule:    %s (%s)\n", cfg.CheckSchedule, cfg.Timezone)
	b.WriteString(httpSummary(cfg.HTTP))
	fmt.Fprintf(&b, "  credentials: %d\n", len(cfg.Credentials))
	fmt.Fprintf(&b, "  history:     %s\n", chainSummary(cfg))
	names := slices.Sorted(maps.Keys(cfg.Channels))
	fmt.Fprintf(&b, "  channels:    %d\n", len(names))
	for _, n := range names {
		fmt.Fprintf(&b, "    %-12s %s\n", n, cfg.Channels[n].Type)
	}
	if len(cfg.NotifyAdmins) > 0 {
		fmt.Fprintf(&b, "  admins:      %s (notifier's own problems, when they start and clear)\n", strings.Join(cfg.NotifyAdmins, ","))
	} else {
		b.WriteString("  admins:      none (notifier's own problems are recorded and logged only)\n")
	}
	pnames := slices.Sorted(maps.Keys(cfg.Policies))
	fmt.Fprintf(&b, "  policies:    %d\n", len(pnames))
	for _, n := range pnames {
		var stages []string
		for _, s := range cfg.Policies[n].Stages {
			st := s.Name
			if !s.Repeat.IsZero() {
				st += " (every " + s.Repeat.String() + ")"
			}
			stages = append(stages, st+" -> "+strings.Join(s.Channels, ","))
		}
		fmt.Fprintf(&b, "    %-12s %s\n", n, strings.Join(stages, "; "))
	}
	return b.String()
}

// httpSummary is check's line for the http: block, without the secret.
func httpSummary(h *config.HTTP) string {
	if h == nil {
		return ""
	}
	links := "no ack links (no public_url)"
	if h.PublicURL != "" {
		links = "ack links " + h.PublicURL + "/ack/…, valid until the cycle ends"
		if h.AckLinkTTL > 0 {
			links = fmt.Sprintf("ack links %s/ack/…, valid %s", h.PublicURL, h.AckLinkTTL)
		}
	}
	return fmt.Sprintf("  http:        %s; %s\n", h.Listen, links)
}

// chainSummary says how check's config keeps the history's tamper evidence.
func chainSummary(cfg *config.Config) string {
	if cfg.Audit.Key != "" {
		return "hash-chained, keyed with audit.key (HMAC-SHA-256)"
	}
	return "hash-chained (SHA-256; set audit.key to key it)"
}

// amazonSummary is check's line for the amazon: block, with any value
// that came from the environment cut out.
func amazonSummary(cfg *config.Config) string {
	if cfg.Amazon == nil {
		return ""
	}
	red := channels.NewRedactor()
	red.Add(cfg.Secrets()...)
	n := len(cfg.SPAPICredentials())
	where := cfg.Amazon.Region
	if cfg.Amazon.Endpoint != "" {
		where += ", endpoint " + cfg.Amazon.Endpoint
	}
	return red.String(fmt.Sprintf("  amazon:      SP-API notifications from %s (%s) for %d credential(s) with lwa.client_id\n",
		cfg.Amazon.SQSQueueURL, where, n))
}

// sourcesSummary is check's lines for the credentials with an AWS source:
// where their rotation dates come from and, where the config gives
// rotated_at too, which date wins. Values from the environment are cut.
func sourcesSummary(cfg *config.Config) string {
	var b strings.Builder
	n := 0
	for _, c := range cfg.Credentials {
		if c.Source.IsZero() {
			continue
		}
		n++
		where := c.Source.Region
		if where == "" {
			where = "the SDK's default region"
		}
		if c.Source.Endpoint != "" {
			where += ", endpoint " + c.Source.Endpoint
		}
		what := "the current version's date starts the first cycle; each new version after it records a rotation"
		if !c.RotatedAt.IsZero() {
			what = fmt.Sprintf("rotated_at %s is also set: the later wins — the config's date starts the first cycle, and a version of the source dated after it records a rotation that replaces it; an older version changes nothing",
				c.RotatedAt.In(cfg.Location).Format("2006-01-02"))
		}
		fmt.Fprintf(&b, "    %-12s %s (%s): %s\n", c.ID, c.Source, where, what)
	}
	if n == 0 {
		return ""
	}
	red := channels.NewRedactor()
	red.Add(cfg.Secrets()...)
	return red.String(fmt.Sprintf("  sources:     %d credential(s) with rotation dates read from AWS at each sync\n", n) + b.String())
}
