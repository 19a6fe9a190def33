package engine

import (
	"context"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store"
)

// AckLinker returns the ack link for a claimed delivery rendered at now
// (empty: none), with the config of that dispatch. The HTTP API provides
// it: the engine knows nothing of tokens or URLs.
type AckLinker func(cfg *config.Config, d domain.Delivery, now time.Time) string

// WithAckLinks sets how messages get their AckURL (default: no link).
func WithAckLinks(f AckLinker) Option { return func(e *Engine) { e.ackLinks = f } }

// Observer hears every delivery attempt's outcome: /metrics counts them.
type Observer interface {
	// Delivered is called once per attempt with the channel, the outcome's
	// status (sent, retry, failed, released) and the attempts made.
	Delivered(channel, status string, attempts int)
}

// WithObserver sets the Observer of delivery outcomes (default: none).
func WithObserver(o Observer) Option { return func(e *Engine) { e.observer = o } }

// Reminder is one delivery as an ack page or a Slack button sees it.
type Reminder struct {
	Delivery domain.Delivery
	// Cycle is the credential's current cycle: Current says whether the
	// delivery belongs to it.
	Cycle   domain.Cycle
	Current bool
	// Message describes the current cycle at now, with its
	// acknowledgment, in the config's zone; Subject and Text are empty.
	Message channels.Message
}

// Reminder returns the delivery id with its credential's current cycle,
// described at now (domain.ErrNotFound for an unknown id).
func (e *Engine) Reminder(ctx context.Context, id int64, now time.Time) (Reminder, error) {
	d, err := e.store.Delivery(ctx, id)
	if err != nil {
		return Reminder{}, err
	}
	c, err := e.store.Cycle(ctx, d.CredentialID)
	if err != nil {
		return Reminder{}, err
	}
	cfg := e.Config()
	loc := cfg.Location
	m := Describe(loc, c.Credential, c.Start, now)
	WithRunbook(&m, cfg, c.Credential, c.Policy)
	m.DeliveryID, m.Stage, m.Seq = d.ID, d.Stage, d.Seq
	WithAck(&m, c.Ack(), now, loc)
	return Reminder{Delivery: d, Cycle: c, Current: c.Active && c.RotationID == d.RotationID, Message: m}, nil
}

// Channel returns the channel of that name as built from the config in
// use.
func (e *Engine) Channel(name string) (channels.Channel, bool) {
	v := e.view()
	ch, ok := v.chans[name]
	return ch, ok
}

// Store is the engine's store.
func (e *Engine) Store() store.Engine { return e.store }
