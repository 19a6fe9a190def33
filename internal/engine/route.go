package engine

import (
	"fmt"
	"strings"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/config"
)

// route points m at the credential owner's route when channel ch routes
// by owner (route: owner): m.To is the owner's address for the channel's
// type; an owner without one keeps the channel's own recipients, and m's
// text says so. It returns who receives m, as the history records it
// (redacted, an owner's webhook by the owner's name, never its URL), or ""
// when ch does not route by owner. It reads the config the message is
// sent under: a route changed between two repeats applies to the next.
func (e *Engine) route(cfg *config.Config, ch *config.Channel, m *channels.Message) string {
	if ch == nil || ch.Route != config.RouteOwner {
		return ""
	}
	if to, ok := cfg.OwnerRoute(m.Owner, ch.Type); ok {
		m.To = to
		if ch.Type == "webhook" {
			return "to owner " + m.Owner + "'s webhook"
		}
		return "to " + e.redactor.String(strings.Join(to, ", "))
	}
	own := "the channel's own recipients"
	if a, ok := ch.Config.(channels.Addressed); ok {
		own = strings.TrimPrefix(e.recipient(a.Recipient()), "to ")
	}
	owner := m.Owner
	if owner == "" {
		owner = "(none)"
	}
	why := fmt.Sprintf("no %s route for owner %s", ch.Type, owner)
	m.Text = strings.TrimRight(m.Text, "\n") + "\n\n" + why + "; sent to " + own + " instead.\n"
	return "to " + own + " (" + why + ")"
}
