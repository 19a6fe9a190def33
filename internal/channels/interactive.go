package channels

import (
	"context"
	"errors"
	"net/http"
)

// InteractiveChannel is a Channel whose messages carry buttons that the
// service posts back to notifier's HTTP API (Slack's Acknowledge button).
// The HTTP API knows no service: it hands the request to the channel to
// verify and parse, records the action, and asks the channel to update the
// message that was clicked.
type InteractiveChannel interface {
	Channel
	// VerifyInteraction reports whether the service signed the request
	// (its header and raw body) with this channel's secret, recently enough
	// that it is not a replay. A non-nil error means the request is refused
	// and nothing in it is read.
	VerifyInteraction(h http.Header, body []byte) error
	// ParseInteraction reads the click from a verified body. An Interaction
	// whose Action is empty is a button that is not notifier's (another
	// app's), to be answered and ignored; an error means the body is not an
	// interaction at all.
	ParseInteraction(body []byte) (Interaction, error)
	// UpdateMessage replaces the message in was clicked on with m.
	UpdateMessage(ctx context.Context, in Interaction, m Message) error
	// Tell shows text to the person who clicked, and to no one else, the
	// clicked message left as it is (Slack: an ephemeral message): why a
	// click recorded nothing.
	Tell(ctx context.Context, in Interaction, text string) error
}

// ErrNotAllowed is wrapped by ParseInteraction's error for a verified
// interaction from somewhere the channel is not configured to take clicks
// from (Slack: another workspace than its team_id). It is refused with 403
// and nothing is written.
var ErrNotAllowed = errors.New("not allowed")

// The actions of notifier's buttons: Acknowledge (for the cycle), and
// snoozes of a day, of a week, and until the next stage.
const (
	ActionAcknowledge     = "acknowledge"
	ActionSnoozeDay       = "snooze-1d"
	ActionSnoozeWeek      = "snooze-1w"
	ActionSnoozeNextStage = "snooze-next-stage"
)

// Interaction is one click on a button of one of notifier's messages.
type Interaction struct {
	Action     string // ActionAcknowledge or a snooze; empty: not notifier's button
	DeliveryID int64  // the delivery whose message carries the button
	Actor      string // who clicked: the service's user name, else its user id
	ActorID    string // who clicked: the service's user id, which stands in for a name that is not fit to keep

	// Where the clicked message is, for UpdateMessage: its conversation and
	// its id there (Slack's channel and ts), and the URL the service takes
	// a replacement at (Slack's response_url); each may be empty.
	Conversation string
	MessageID    string
	ResponseURL  string
}
