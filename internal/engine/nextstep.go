package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// NextStep is the next thing notifier will do for a credential at a
// moment: the first row `notifier plan` shows for it (the same walk,
// firstStep and planRow, over the same stored cycle), with where each
// channel that routes by owner sends it, as a send would; or, when plan
// shows none, why not. Text says it in one line.
type NextStep struct {
	Row *Upcoming // plan's first row for the credential; nil: none
	// Routes are the row's channels that route by owner, each with
	// where it sends the credential's reminders ("slack-owners to
	// #team-payments"); redacted as the history records it.
	Routes []string
	Text   string
}

// policyIndex is the view's ladders as the plan's walks share them: a
// list, and each policy's place in it.
func (v view) policyIndex() ([]*schedule.Policy, map[string]uint32) {
	policies := make([]*schedule.Policy, 0, len(v.ladders))
	index := make(map[string]uint32, len(v.ladders))
	for name, l := range v.ladders {
		p := l.policy
		index[name] = uint32(len(policies))
		policies = append(policies, &p)
	}
	return policies, index
}

// NextSteps is the NextStep of each of the credentials ids at now (a
// page's few rows: one read of their cycles by key), by id; the plan
// looks as far as horizon. An unknown id is left out.
func (e *Engine) NextSteps(ctx context.Context, now time.Time, horizon schedule.Span, ids []string) (map[string]NextStep, error) {
	now = normalize(now)
	cycles, err := e.store.CyclesOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	v := e.view()
	loc := v.cfg.Location
	until := horizon.Add(now, 1, loc)
	policies, index := v.policyIndex()
	out := make(map[string]NextStep, len(cycles))
	for _, c := range cycles {
		var ns NextStep
		// What plan reads (PlanCycles): an active cycle whose next action
		// is set and within the horizon.
		if c.Active && !c.NextAction.IsZero() && !c.NextAction.After(until) {
			if w, st, _, ok := v.firstStep(domain.CredentialFilter{}, c, policies, index, now, until, loc); ok {
				u := v.planRow(w, st, c.ID, c.Name, true)
				ns.Row = &u
				ns.Routes = e.ownerRoutes(v, c.Owner, u.Channels)
			}
		}
		ns.Text = nextText(ns, c, horizon, now)
		out[c.ID] = ns
	}
	return out, nil
}

// ownerRoutes are the channels of chs that route by owner, each with
// where it sends owner's messages (route, as dispatch calls it).
func (e *Engine) ownerRoutes(v view, owner string, chs []string) []string {
	var out []string
	for _, ch := range chs {
		if to := e.route(v.cfg, v.cfg.Channels[ch], &channels.Message{Owner: owner}); to != "" {
			out = append(out, ch+" "+to)
		}
	}
	return out
}

// nextText is ns in one line: "30d reminder to ops on Tue 2026-12-22
// 09:00 CET", its owner routes, repeats and deferrals; or why nothing.
func nextText(ns NextStep, c domain.Cycle, horizon schedule.Span, now time.Time) string {
	u := ns.Row
	switch {
	case u != nil:
	case !c.Active:
		return "nothing: retired"
	case !c.AckAt.IsZero():
		return "nothing until rotated (acknowledged)"
	case c.NextAction.IsZero():
		return "nothing until rotated"
	default:
		return "nothing in the next " + shortSpan(horizon)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s reminder to %s on %s", u.Stage, strings.Join(u.Channels, ", "), u.At.Format("Mon 2006-01-02 15:04 MST"))
	if !c.AckUntil.IsZero() && c.AckUntil.After(now) && !u.At.Before(c.AckUntil) {
		b.WriteString(" (when the snooze ends)")
	}
	if u.More > 0 {
		fmt.Fprintf(&b, ", then every %s until acknowledged", u.Every)
	}
	if len(ns.Routes) > 0 {
		b.WriteString("; " + strings.Join(ns.Routes, "; "))
	}
	if len(u.Deferred) > 0 {
		b.WriteString("; " + deferredText(u.Deferred))
	}
	return b.String()
}

// policiesSendingTo are the policies whose ladder sends to channel ch
// (a stage's channels or an escalation's), sorted: a channel that routes
// by owner sends there for each owner. None: an empty list, not nil.
func (v view) policiesSendingTo(ch string) []string {
	out := []string{}
	for name, l := range v.ladders {
		if ladderSendsTo(l.policy, ch) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// ladderSendsTo says whether a stage or an escalation of p sends to ch.
func ladderSendsTo(p schedule.Policy, ch string) bool {
	for _, s := range p.Stages {
		if slices.Contains(s.Channels, ch) {
			return true
		}
		for _, x := range s.Escalate {
			if slices.Contains(x.Channels, ch) {
				return true
			}
		}
	}
	return false
}
