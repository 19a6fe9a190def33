package httpapi

import (
	"context"
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
)

// Bounds of an interaction.
const (
	maxInteractionBody = 256 << 10 // Slack sends the whole message back
	updateTimeout      = 2500 * time.Millisecond
)

// slackChannels are the channels whose signing secrets may have signed a
// request to /slack/interactions, the URL users' Slack apps are set up
// with: every interactive channel of type slack.
func (s *Server) slackChannels(*http.Request) []channels.InteractiveChannel {
	return s.interactive(func(_ string, ch channels.Channel) bool { return ch.Type() == "slack" })
}

// namedChannel is the channel /interactions/{channel} names, if it is
// interactive.
func (s *Server) namedChannel(r *http.Request) []channels.InteractiveChannel {
	name := r.PathValue("channel")
	return s.interactive(func(n string, _ channels.Channel) bool { return n == name })
}

// interactive lists the configured channels that take interactions and
// match, by name.
func (s *Server) interactive(match func(name string, ch channels.Channel) bool) []channels.InteractiveChannel {
	var out []channels.InteractiveChannel
	for _, name := range slices.Sorted(maps.Keys(s.eng.Config().Channels)) {
		ch, ok := s.eng.Channel(name)
		ic, interactive := ch.(channels.InteractiveChannel)
		if ok && interactive && match(name, ch) {
			out = append(out, ic)
		}
	}
	return out
}

// interactions receives a click on a message's button (Slack's
// Acknowledge), the same way for every service. One of the candidate
// channels must verify the request (signature and freshness); otherwise
// 401 and nothing is written. The clicking user acknowledges (the source
// is the channel's type), and the message is updated to say so.
func (s *Server) interactions(candidates func(*http.Request) []channels.InteractiveChannel) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxInteractionBody))
		if err != nil {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		var ch channels.InteractiveChannel
		for _, c := range candidates(r) {
			if c.VerifyInteraction(r.Header, body) == nil {
				ch = c
				break
			}
		}
		if ch == nil {
			http.Error(w, "invalid or missing signature", http.StatusUnauthorized)
			return
		}
		in, err := ch.ParseInteraction(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if in.Action != channels.ActionAcknowledge || in.DeliveryID <= 0 {
			w.WriteHeader(http.StatusOK) // another app's button: not ours to answer
			return
		}
		if in.Actor == "" {
			http.Error(w, "the interaction names no user", http.StatusBadRequest)
			return
		}
		s.acknowledgeInteraction(w, r, ch.Type(), in)
	}
}

// acknowledgeInteraction records the acknowledgment of in's delivery and
// updates the clicked message. A button of an earlier cycle, or of a
// delivery notifier does not know, is answered and ignored.
func (s *Server) acknowledgeInteraction(w http.ResponseWriter, r *http.Request, source string, in channels.Interaction) {
	now := s.now()
	id, actor := in.DeliveryID, in.Actor
	rem, err := s.eng.Reminder(r.Context(), id, now)
	switch {
	case errors.Is(err, domain.ErrNotFound) || errors.Is(err, domain.ErrUnknownCredential):
		s.logger.Warn(source+": a button names an unknown reminder", "delivery", id, "user", actor)
		w.WriteHeader(http.StatusOK)
		return
	case err != nil:
		s.logger.Error(source+": reading the reminder", "delivery", id, "err", err)
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	err = s.eng.Acknowledge(r.Context(), engine.Ack{Credential: rem.Delivery.CredentialID, At: now, By: actor,
		Source: source, DeliveryID: id})
	var already *domain.AlreadyAcknowledged
	loc := s.eng.Config().Location
	switch {
	case err == nil:
		rem.Message.Acknowledged, rem.Message.AcknowledgedBy, rem.Message.AcknowledgedAt = true, actor, now.In(loc).Truncate(time.Second)
	case errors.As(err, &already):
		rem.Message.Acknowledged, rem.Message.AcknowledgedBy, rem.Message.AcknowledgedAt = true, already.By, already.At.In(loc)
	case errors.Is(err, domain.ErrBeforeCycle) || errors.Is(err, domain.ErrInactive):
		s.logger.Info(source+": a button of an earlier cycle; nothing recorded", "credential", rem.Delivery.CredentialID, "user", actor)
		w.WriteHeader(http.StatusOK)
		return
	default:
		s.logger.Error(source+": recording the acknowledgment", "credential", rem.Delivery.CredentialID, "err", err)
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	s.updateMessage(r.Context(), rem, in)
	w.WriteHeader(http.StatusOK)
}

// updateMessage replaces the clicked message with its acknowledged form,
// through the delivery's channel. A failure is logged: the acknowledgment
// is recorded already.
func (s *Server) updateMessage(ctx context.Context, rem engine.Reminder, in channels.Interaction) {
	ch, ok := s.eng.Channel(rem.Delivery.Channel)
	ic, interactive := ch.(channels.InteractiveChannel)
	if !ok || !interactive {
		return
	}
	m := rem.Message
	m.Subject = m.Name + ": acknowledged by " + m.AcknowledgedBy
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), updateTimeout)
	defer cancel()
	if err := ic.UpdateMessage(ctx, in, m); err != nil {
		s.logger.Warn(ic.Type()+": updating the acknowledged message", "channel", rem.Delivery.Channel, "err", s.eng.Redactor().String(err.Error()))
	}
}
