package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/domain"
)

// NoticeStage is the stage of a notice's message: an admins' channel
// tells it from a reminder by it.
const NoticeStage = "notice"

// Problem tells notifier's admins, once, that a problem of notifier itself
// started (open) or cleared: the history records a notice event unless
// its last notice already says so, the log says it, and the config's
// notify_admins channels receive it (one attempt each, outside the
// ladder). It reports whether this was news. Times are the wall clock's.
func (e *Engine) Problem(ctx context.Context, p domain.Problem, open bool) bool {
	p.Detail = e.redactor.String(p.Detail)
	told, err := e.store.RecordProblem(ctx, p, open, e.wallClock())
	if err != nil {
		e.logger.Error("notice not recorded", "problem", p.Key, "err", err)
		return false
	}
	if !told {
		return false
	}
	status := domain.NoticeCleared
	if open {
		status = domain.NoticeStarted
		e.logger.Warn("problem started; admins told", "problem", p.Key, "detail", p.Detail)
	} else {
		e.logger.Info("problem cleared; admins told", "problem", p.Key, "detail", p.Detail)
	}
	e.tellAdmins(ctx, p, status)
	return true
}

// problems sets the open problems whose keys start with prefix to
// current: those not yet open start, and those open but no longer current
// clear, with cleared as their detail.
func (e *Engine) problems(ctx context.Context, prefix string, current []domain.Problem, cleared string) {
	open, err := e.store.OpenProblems(ctx)
	if err != nil {
		e.logger.Error("open problems not read", "err", err)
		return
	}
	isOpen := map[string]bool{}
	for _, p := range open {
		isOpen[p.Key] = true
	}
	now := map[string]bool{}
	for _, p := range current {
		now[p.Key] = true
		if !isOpen[p.Key] {
			e.Problem(ctx, p, true)
		}
	}
	for _, p := range open {
		if strings.HasPrefix(p.Key, prefix) && !now[p.Key] {
			e.Problem(ctx, domain.Problem{Key: p.Key, Detail: cleared}, false)
		}
	}
}

// refusedProblems makes the config files the last sync refused problems:
// one open problem a file, cleared when a good version is synced.
func (e *Engine) refusedProblems(ctx context.Context) {
	var current []domain.Problem
	for _, f := range e.Refused() {
		current = append(current, domain.Problem{Key: ProblemCredentialFile + f.Path, Detail: "config file refused, its last synced version stands: " + f.Problem})
	}
	e.problems(ctx, ProblemCredentialFile, current, "config file accepted again")
}

// channelProblems makes a channel whose delivery finally failed in rep an
// open problem, and clears one that delivered in rep and failed nothing.
func (e *Engine) channelProblems(ctx context.Context, rep *Report) {
	failed, sent := map[string]string{}, map[string]bool{}
	for _, o := range rep.Outcomes {
		switch o.Status {
		case domain.StatusFailed:
			failed[o.Channel] = fmt.Sprintf("a delivery to channel %s finally failed (%s, stage %s): %s", o.Channel, o.Credential, o.Stage, o.Detail)
		case domain.StatusSent:
			sent[o.Channel] = true
		}
	}
	for ch, detail := range failed {
		e.Problem(ctx, domain.Problem{Key: ProblemChannel + ch, Detail: detail}, true)
	}
	for ch := range sent {
		if _, bad := failed[ch]; !bad {
			e.Problem(ctx, domain.Problem{Key: ProblemChannel + ch, Detail: "channel " + ch + " delivers again"}, false)
		}
	}
}

// The key prefixes of the problems the engine detects.
const (
	ProblemCredentialFile = "credential-file:"
	ProblemChannel        = "channel:"
	ProblemProbe          = "amazon-probe:"
	ProblemQueue          = "amazon-queue"
)

// errDetailOr is bad when failing, else good.
func errDetailOr(failing bool, bad, good string) string {
	if failing {
		return bad
	}
	return good
}

// tellAdmins sends a notice to each notify_admins channel: rendered
// and redacted as any message, sent once; a failure is logged (the
// notice is in the history either way).
func (e *Engine) tellAdmins(ctx context.Context, p domain.Problem, status string) {
	v := e.view()
	now := e.wallClock().In(v.cfg.Location)
	msg := channels.Message{
		Credential: "notifier", Name: "notifier", Owner: "admins", Stage: NoticeStage, Now: now,
		Subject: fmt.Sprintf("notifier: problem %s: %s", status, p.Key),
		Text:    fmt.Sprintf("notifier: problem %s at %s: %s\n%s", status, now.Format("2006-01-02 15:04 MST"), p.Key, p.Detail),
	}
	msg.Subject, msg.Text = e.redactor.String(msg.Subject), e.redactor.String(msg.Text)
	for _, name := range v.cfg.NotifyAdmins {
		ch, ok := v.chans[name]
		if !ok {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, e.sendTimeout)
		err := ch.Send(sctx, msg)
		cancel()
		if err != nil {
			e.logger.Error("notice not delivered", "problem", p.Key, "channel", name, "err", e.redactor.String(err.Error()))
		}
	}
}
