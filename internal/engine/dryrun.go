package engine

import (
	"context"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// Intended is one message a tick at a moment would send, or one stage it
// would record as skipped (catch-up), as `tick --dry-run` shows it.
type Intended struct {
	Credential string    `json:"credential"`
	Name       string    `json:"name"`
	Stage      string    `json:"stage"`
	Seq        int       `json:"seq"`
	Channel    string    `json:"channel"`
	Type       string    `json:"type"`      // the channel's type
	Recipient  string    `json:"recipient"` // where it goes, redacted
	Status     string    `json:"status"`    // domain.StatusPending (would be sent) or StatusSkipped
	Reason     string    `json:"reason,omitempty"`
	Due        time.Time `json:"due"`
	Subject    string    `json:"subject,omitempty"`
	Text       string    `json:"text,omitempty"`
}

// DryRun plans every open cycle at now as a tick would (schedule.Plan, the
// same catch-up) and renders what it would send, without writing
// anything: no sync, no outbox, no send. The cycles are the store's (the
// engine may have no store: a first run) as the config would leave them
// after a sync: a credential the store does not know yet, or whose
// rotated_at the config moved forward, starts a fresh cycle; one removed
// from the config is left out. Deliveries already in the outbox (a retry
// due) are not shown. Everything shown goes through the redactor.
func (e *Engine) DryRun(ctx context.Context, now time.Time) ([]Intended, error) {
	now = normalize(now)
	v := e.view()
	loc := v.cfg.Location
	var cycles []domain.Cycle
	if e.store != nil {
		var err error
		if cycles, err = e.store.OpenCycles(ctx); err != nil {
			return nil, err
		}
	}
	known := make(map[string]int, len(cycles))
	for i, c := range cycles {
		known[c.ID] = i
	}
	configured := make(map[string]bool, len(v.cfg.Credentials))
	for _, cr := range v.cfg.Credentials {
		configured[cr.ID] = true
		i, ok := known[cr.ID]
		if ok && !cr.RotatedAt.After(cycles[i].Start) {
			cycles[i].Credential = cr // the config's terms, as a sync records them
			continue
		}
		if cr.RotatedAt.IsZero() {
			continue // dated by its AWS source, which only a real sync reads
		}
		fresh := domain.Cycle{Credential: cr, Active: true, Start: cr.RotatedAt, Sent: map[schedule.Key]bool{}}
		if ok {
			cycles[i] = fresh
		} else {
			cycles = append(cycles, fresh)
		}
	}
	var out []Intended
	for i := range cycles {
		c := &cycles[i]
		l, ok := v.ladders[c.Policy]
		if !configured[c.ID] || !ok {
			continue
		}
		deadline := c.Deadline(loc)
		cycle := schedule.Cycle{Start: c.Start, Deadline: deadline}
		actions := schedule.Plan(l.policy, cycle, c.Ack(), c.HasSent, now, loc)
		for _, a := range append(actions, escalations(l, cycle, c, now, loc)...) {
			for _, name := range a.Stage.Channels {
				in := Intended{Credential: c.ID, Name: c.Name, Stage: a.Stage.Name, Seq: a.Seq, Channel: name,
					Status: domain.StatusPending, Due: a.Due.In(loc)}
				ch := v.cfg.Channels[name]
				if ch != nil {
					in.Type = ch.Type
					if r, ok := ch.Config.(channels.Addressed); ok {
						in.Recipient = e.recipient(r.Recipient())
					}
				}
				if a.Kind == schedule.Skip {
					in.Status, in.Reason = domain.StatusSkipped, a.Reason
					out = append(out, in)
					continue
				}
				m := describe(loc, c.Credential, c.Start, deadline, now)
				m.Stage, m.Seq = a.Stage.Name, a.Seq
				WithAck(&m, c.Ack(), now, loc)
				if err := Render(&m, v.cfg.Policies[c.Policy].Stage(a.Stage.Name), ch); err != nil {
					return nil, err
				}
				if to := e.route(v.cfg, ch, &m); to != "" {
					in.Recipient = strings.TrimPrefix(to, "to ")
				}
				in.Subject, in.Text = e.redactor.String(m.Subject), e.redactor.String(m.Text)
				out = append(out, in)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Credential != out[j].Credential {
			return out[i].Credential < out[j].Credential
		}
		return out[i].Due.Before(out[j].Due)
	})
	return out, nil
}

// recipient redacts a channel's recipient. A URL (a webhook's) whose
// whole text is a secret keeps its scheme and host, which say where it
// goes, and shows its path through the redactor, segment by segment.
func (e *Engine) recipient(s string) string {
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Host != "" && u.User == nil {
		return u.Scheme + "://" + u.Host + e.redactor.String(u.Path)
	}
	return e.redactor.String(s)
}
