package web

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/notifier-dev/notifier/internal/report"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// nextHorizon is how far ahead the next step of a credential is looked
// for: the credential page's plan's year.
var nextHorizon = schedule.Span{Days: 365}

// APINext is the next thing notifier will do for a credential: the first
// row `notifier plan` shows for it (At, Stage, Channels; the owner's
// route of each channel that routes by owner; the channels waiting for
// their delivery window), or none; Text says it in one line, as the
// fleet page's column does.
type APINext struct {
	Text     string     `json:"text"`
	At       *time.Time `json:"at,omitempty"`
	Stage    string     `json:"stage,omitempty"`
	Channels []string   `json:"channels,omitempty"`
	Routes   []string   `json:"routes,omitempty"`
	Deferred []string   `json:"deferred,omitempty"`
}

// nextOf is the next step of each of the credentials ids at now, by id:
// computed for these few only (one read of their cycles by key).
func (s *Server) nextOf(ctx context.Context, now time.Time, ids []string) (map[string]APINext, error) {
	steps, err := s.eng.NextSteps(ctx, now, nextHorizon, ids)
	if err != nil {
		return nil, fmt.Errorf("next steps: %w", err)
	}
	out := make(map[string]APINext, len(steps))
	for id, ns := range steps {
		n := APINext{Text: ns.Text, Routes: ns.Routes}
		if u := ns.Row; u != nil {
			at := u.At
			n.At, n.Stage, n.Channels = &at, u.Stage, u.Channels
			for _, d := range u.Deferred {
				n.Deferred = append(n.Deferred, d.String())
			}
		}
		out[id] = n
	}
	return out, nil
}

// apiWithNext sets each credential's next step, read for these only.
func (s *Server) apiWithNext(ctx context.Context, creds []APICredential) error {
	ids := make([]string, len(creds))
	for i := range creds {
		ids[i] = creds[i].ID
	}
	next, err := s.nextOf(ctx, s.now(), ids)
	if err != nil {
		return err
	}
	for i := range creds {
		creds[i].Next = next[creds[i].ID]
	}
	return nil
}

// channelNames are the configured channels, sorted.
func (s *Server) channelNames() []string {
	return slices.Sorted(maps.Keys(s.eng.Config().Channels))
}

// channelKnown refuses a channel filter that names no configured channel.
func (s *Server) channelKnown(ch string) error {
	if ch == "" {
		return nil
	}
	if _, ok := s.eng.Config().Channels[ch]; !ok {
		return fmt.Errorf("channel %q is not a configured channel", report.Escape(truncate(ch, 40)))
	}
	return nil
}
