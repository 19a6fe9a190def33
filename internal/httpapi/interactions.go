package httpapi

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// interactionAcks are what each of notifier's buttons records: the
// acknowledgment of the ack page's choices.
var interactionAcks = map[string]func(*engine.Ack){
	channels.ActionAcknowledge:     ackChoices["cycle"],
	channels.ActionSnoozeDay:       ackChoices["1d"],
	channels.ActionSnoozeWeek:      ackChoices["1w"],
	channels.ActionSnoozeNextStage: ackChoices["next-stage"],
}

// interactions receives a click on a message's button (Slack's
// Acknowledge and snoozes), the same way for every service. One of the candidate
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
		var (
			ch      channels.InteractiveChannel
			in      channels.Interaction
			refusal error
		)
		for _, c := range candidates(r) {
			if c.VerifyInteraction(r.Header, body) != nil {
				continue
			}
			parsed, err := c.ParseInteraction(body)
			if errors.Is(err, channels.ErrNotAllowed) {
				refusal = err // another channel of the same app may take it
				continue
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			ch, in = c, parsed
			break
		}
		switch {
		case ch == nil && refusal != nil:
			s.logger.Warn("interaction refused; nothing recorded", "err", refusal)
			http.Error(w, "not allowed", http.StatusForbidden)
			return
		case ch == nil:
			http.Error(w, "invalid or missing signature", http.StatusUnauthorized)
			return
		case interactionAcks[in.Action] == nil || in.DeliveryID <= 0:
			w.WriteHeader(http.StatusOK) // another app's button: not ours to answer
			return
		}
		// The user's name is taken as the ack form's by is; one that the
		// form would refuse (control or bidirectional characters, too
		// long) gives way to the user's id.
		actor, problem := field(in.Actor, MaxBy, false)
		if problem != "" || actor == "" {
			actor, problem = field(in.ActorID, MaxBy, false)
		}
		if problem != "" || actor == "" {
			http.Error(w, "the interaction names no user", http.StatusBadRequest)
			return
		}
		in.Actor = actor
		if !s.clicks.first(body, s.now()) {
			s.logger.Info(ch.Type()+": the same interaction again; nothing done", "delivery", in.DeliveryID)
			w.WriteHeader(http.StatusOK)
			return
		}
		if !s.acknowledgeInteraction(w, r, ch, in) {
			s.clicks.forget(body) // answered "try again": a retry is not a replay
		}
	}
}

// acknowledgeInteraction records the acknowledgment of in's delivery and
// updates the clicked message. A button of an earlier cycle, or of a
// delivery notifier does not know, is answered and ignored. It reports
// false when it answered "try again". A click that records nothing is
// told to the person who clicked, through ch, saying why.
func (s *Server) acknowledgeInteraction(w http.ResponseWriter, r *http.Request, ch channels.InteractiveChannel, in channels.Interaction) bool {
	source := ch.Type()
	now := s.now()
	id, actor := in.DeliveryID, in.Actor
	rem, err := s.eng.Reminder(r.Context(), id, now)
	switch {
	case errors.Is(err, domain.ErrNotFound) || errors.Is(err, domain.ErrUnknownCredential):
		s.logger.Warn(source+": a button names an unknown reminder", "delivery", id, "user", actor)
		s.tell(r.Context(), ch, in, "notifier does not know this reminder (delivery "+strconv.FormatInt(id, 10)+")")
		w.WriteHeader(http.StatusOK)
		return true
	case err != nil:
		s.logger.Error(source+": reading the reminder", "delivery", id, "err", err)
		http.Error(w, "try again", http.StatusInternalServerError)
		return false
	}
	a := engine.Ack{Credential: rem.Delivery.CredentialID, At: now, By: actor, Source: source, DeliveryID: id}
	interactionAcks[in.Action](&a)
	err = s.eng.Acknowledge(r.Context(), a)
	var already *domain.AlreadyAcknowledged
	var snoozeRefused *domain.SnoozeRefused
	loc := s.eng.Config().Location
	switch {
	case err == nil:
		if after, err := s.eng.Reminder(r.Context(), id, now); err == nil {
			rem = after // says the snooze's end
		} else {
			rem.Message.Acknowledged, rem.Message.AcknowledgedBy, rem.Message.AcknowledgedAt = true, actor, now.In(loc).Truncate(time.Second)
		}
	case errors.As(err, &already):
		rem.Message.Acknowledged, rem.Message.AcknowledgedBy, rem.Message.AcknowledgedAt = true, already.By, already.At.In(loc)
		rem.Message.SnoozedUntil = time.Time{}
		if !already.Until.IsZero() {
			rem.Message.SnoozedUntil = already.Until.In(loc)
		}
	case errors.As(err, &snoozeRefused):
		// The message keeps its buttons: Acknowledge still works.
		s.logger.Info(source+": snooze refused; nothing recorded", "credential", rem.Delivery.CredentialID, "user", actor, "why", snoozeRefused.Reason)
		s.tell(r.Context(), ch, in, "the snooze of "+rem.Message.Name+" was refused: "+snoozeRefused.Reason)
		w.WriteHeader(http.StatusOK)
		return true
	case errors.Is(err, domain.ErrBeforeCycle) || errors.Is(err, domain.ErrInactive):
		s.logger.Info(source+": a button of an earlier cycle; nothing recorded", "credential", rem.Delivery.CredentialID, "user", actor)
		why := rem.Message.Name + " was rotated since this reminder; the new cycle has reminders of its own"
		if errors.Is(err, domain.ErrInactive) {
			why = rem.Message.Name + " is no longer in notifier's configuration"
		}
		s.tell(r.Context(), ch, in, why)
		w.WriteHeader(http.StatusOK)
		return true
	default:
		s.logger.Error(source+": recording the acknowledgment", "credential", rem.Delivery.CredentialID, "err", err)
		http.Error(w, "try again", http.StatusInternalServerError)
		return false
	}
	s.updateMessage(r.Context(), rem, in)
	w.WriteHeader(http.StatusOK)
	return true
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
	m.Subject = m.Name + ": " + strings.ToLower(m.AckState()[:1]) + m.AckState()[1:]
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), updateTimeout)
	defer cancel()
	if err := ic.UpdateMessage(ctx, in, m); err != nil {
		s.logger.Warn(ic.Type()+": updating the acknowledged message", "channel", rem.Delivery.Channel, "err", s.eng.Redactor().String(err.Error()))
	}
}

// tell shows the person who clicked why their click recorded nothing,
// through ch (Slack: a message only they see). A failure is logged: the
// click is answered anyway.
func (s *Server) tell(ctx context.Context, ch channels.InteractiveChannel, in channels.Interaction, why string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), updateTimeout)
	defer cancel()
	if err := ch.Tell(ctx, in, "Nothing was recorded: "+why); err != nil {
		s.logger.Warn(ch.Type()+": telling the user why nothing was recorded", "err", s.eng.Redactor().String(err.Error()))
	}
}

// A replayed interaction is the same verified request again. Slack's
// signature is good for five minutes either side of its timestamp, so a
// click is remembered for twice that: within it, the same body again
// changes nothing (no acknowledgment, no message update); after it, its
// signature is stale. At most maxClicks are remembered, the oldest
// forgotten first.
const (
	replayWindow = 10 * time.Minute
	maxClicks    = 10000
)

// clicks remembers the interactions handled within replayWindow, by the
// SHA-256 of their bodies (a Slack body carries the click's trigger_id and
// action_ts, so two clicks never have the same one).
type clicks struct {
	mu    sync.Mutex
	seen  map[[sha256.Size]byte]time.Time
	order []click // by time of arrival
}

type click struct {
	key [sha256.Size]byte
	at  time.Time
}

// first reports whether body arrives for the first time within the
// window, and remembers it.
func (c *clicks) first(body []byte, now time.Time) bool {
	key := sha256.Sum256(body)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = make(map[[sha256.Size]byte]time.Time)
	}
	for len(c.order) > 0 && (len(c.order) >= maxClicks || now.Sub(c.order[0].at) > replayWindow) {
		old := c.order[0]
		c.order = c.order[1:]
		if at, ok := c.seen[old.key]; ok && at.Equal(old.at) {
			delete(c.seen, old.key)
		}
	}
	if _, ok := c.seen[key]; ok {
		return false
	}
	c.seen[key] = now
	c.order = append(c.order, click{key, now})
	return true
}

// forget lets body count as new again.
func (c *clicks) forget(body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.seen, sha256.Sum256(body))
}
