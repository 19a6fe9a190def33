package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/slack-go/slack"

	"github.com/notifier-dev/notifier/internal/channels"
	notifierslack "github.com/notifier-dev/notifier/internal/channels/slack"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
)

// Bounds of an interaction.
const (
	maxInteractionBody = 256 << 10 // Slack sends the whole message back
	slackUpdateTimeout = 2500 * time.Millisecond
)

// slackInteraction receives the Acknowledge button's click. The request
// must carry a valid signature by one of the configured Slack channels'
// signing secrets, within slack-go's five-minute window (replays of an
// older request are refused); otherwise 401 and nothing is written. The
// clicking user acknowledges (source slack), and the message is updated
// to say so.
func (s *Server) slackInteraction(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxInteractionBody))
	if err != nil {
		http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
		return
	}
	if !s.slackSigned(r.Header, body) {
		http.Error(w, "invalid or missing Slack signature", http.StatusUnauthorized)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := r.ParseForm(); err != nil {
		http.Error(w, "not a form", http.StatusBadRequest)
		return
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(r.PostForm.Get("payload")), &cb); err != nil {
		http.Error(w, "payload is not an interaction", http.StatusBadRequest)
		return
	}
	var id int64
	for _, a := range cb.ActionCallback.BlockActions {
		if a != nil && a.ActionID == notifierslack.ActionID {
			id, _ = strconv.ParseInt(a.Value, 10, 64)
		}
	}
	if cb.Type != slack.InteractionTypeBlockActions || id <= 0 {
		w.WriteHeader(http.StatusOK) // another app's button: not ours to answer
		return
	}
	actor := cb.User.Name
	if actor == "" {
		actor = cb.User.ID
	}
	if actor == "" {
		http.Error(w, "the interaction names no user", http.StatusBadRequest)
		return
	}
	now := s.now()
	rem, err := s.eng.Reminder(r.Context(), id, now)
	switch {
	case errors.Is(err, domain.ErrNotFound) || errors.Is(err, domain.ErrUnknownCredential):
		s.logger.Warn("slack: a button names an unknown reminder", "delivery", id, "user", actor)
		w.WriteHeader(http.StatusOK)
		return
	case err != nil:
		s.logger.Error("slack: reading the reminder", "delivery", id, "err", err)
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	err = s.eng.Acknowledge(r.Context(), engine.Ack{Credential: rem.Delivery.CredentialID, At: now, By: actor,
		Source: "slack", DeliveryID: id})
	var already *domain.AlreadyAcknowledged
	loc := s.eng.Config().Location
	switch {
	case err == nil:
		rem.Message.Acknowledged, rem.Message.AcknowledgedBy, rem.Message.AcknowledgedAt = true, actor, now.In(loc).Truncate(time.Second)
	case errors.As(err, &already):
		rem.Message.Acknowledged, rem.Message.AcknowledgedBy, rem.Message.AcknowledgedAt = true, already.By, already.At.In(loc)
	case errors.Is(err, domain.ErrBeforeCycle) || errors.Is(err, domain.ErrInactive):
		s.logger.Info("slack: a button of an earlier cycle; nothing recorded", "credential", rem.Delivery.CredentialID, "user", actor)
		w.WriteHeader(http.StatusOK)
		return
	default:
		s.logger.Error("slack: recording the acknowledgment", "credential", rem.Delivery.CredentialID, "err", err)
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	s.updateSlack(r.Context(), rem, cb)
	w.WriteHeader(http.StatusOK)
}

// slackSigned reports whether one of the configured signing secrets
// signed the request.
func (s *Server) slackSigned(h http.Header, body []byte) bool {
	if h.Get("X-Slack-Signature") == "" || h.Get("X-Slack-Request-Timestamp") == "" {
		return false
	}
	seen := map[string]bool{}
	for _, ch := range s.eng.Config().Channels {
		in, ok := ch.Config.(channels.Interactive)
		if !ok || in.InteractionSecret() == "" || seen[in.InteractionSecret()] {
			continue
		}
		seen[in.InteractionSecret()] = true
		v, err := slack.NewSecretsVerifier(h, in.InteractionSecret())
		if err != nil {
			return false // stale or malformed timestamp: the same for every secret
		}
		if _, err := v.Write(body); err == nil && v.Ensure() == nil {
			return true
		}
	}
	return false
}

// updateSlack replaces the clicked message with its acknowledged form:
// chat.update with the channel's token, else the interaction's
// response_url. A failure is logged: the acknowledgment is recorded
// already.
func (s *Server) updateSlack(ctx context.Context, rem engine.Reminder, cb slack.InteractionCallback) {
	ch, ok := s.eng.Channel(rem.Delivery.Channel)
	sc, isSlack := ch.(*notifierslack.Channel)
	if !ok || !isSlack {
		return
	}
	m := rem.Message
	m.Subject = m.Name + ": acknowledged by " + m.AcknowledgedBy
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), slackUpdateTimeout)
	defer cancel()
	ts := cb.Container.MessageTs
	if ts == "" {
		ts = cb.Message.Timestamp
	}
	slackChannel := cb.Container.ChannelID
	if slackChannel == "" {
		slackChannel = cb.Channel.ID
	}
	err := notifierslack.ErrNoToken
	if ts != "" && slackChannel != "" {
		err = sc.Update(ctx, slackChannel, ts, m)
	}
	if errors.Is(err, notifierslack.ErrNoToken) && cb.ResponseURL != "" {
		err = sc.Respond(ctx, cb.ResponseURL, m)
	}
	if err != nil {
		s.logger.Warn("slack: updating the acknowledged message", "channel", rem.Delivery.Channel, "err", s.eng.Redactor().String(err.Error()))
	}
}
