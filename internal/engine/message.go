package engine

import (
	"fmt"
	"text/template"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// Describe is the reminder for a credential's cycle that started at start,
// as of now, before rendering: who, the deadline and the day counts, in
// loc. The dispatcher and `notifier test` both build on it.
func Describe(loc *time.Location, cred domain.Credential, start, now time.Time) channels.Message {
	return describe(loc, cred, start, cred.Deadline(start, loc), now)
}

// describe is Describe with the cycle's deadline, which Amazon may have
// stated.
func describe(loc *time.Location, cred domain.Credential, start, deadline, now time.Time) channels.Message {
	return channels.Message{
		Credential:    cred.ID,
		Name:          cred.Name,
		Owner:         cred.Owner,
		RotatedAt:     start.In(loc),
		Deadline:      deadline.In(loc),
		Now:           now.In(loc),
		DaysRemaining: schedule.DaysRemaining(deadline, now, loc),
		Overdue:       !now.Before(deadline),
		DaysOverdue:   schedule.DaysOverdue(deadline, now, loc),
		Final:         schedule.Final(deadline, now),
	}
}

// WithRunbook sets m's runbook and impact: how to rotate cred, under
// policy, and what breaks if nobody does (config.RunbookOf).
func WithRunbook(m *channels.Message, cfg *config.Config, cred domain.Credential, policy string) {
	rb := cfg.RunbookOf(cred, policy)
	m.Runbook, m.RunbookURL, m.Impact = rb.Text, rb.URL, rb.Impact
}

// message is one claimed delivery rendered at now.
func (e *Engine) message(v view, d domain.Claimed, now time.Time) (channels.Message, error) {
	cfg := v.cfg
	m := describe(cfg.Location, d.Cycle.Credential, d.Cycle.Start, d.Cycle.Deadline(cfg.Location), now)
	m.DeliveryID = d.ID
	m.DeliveryKey = fmt.Sprintf("%s/%d/%s/%s/%d", d.CredentialID, d.RotationID, d.Stage, d.Channel, d.Seq)
	m.Stage, m.Seq = d.Stage, d.Seq
	if e.ackLinks != nil {
		m.AckURL = e.ackLinks(cfg, d.Delivery, now)
	}
	WithRunbook(&m, cfg, d.Cycle.Credential, d.Cycle.Policy)
	WithAck(&m, d.Cycle.Ack(), now, cfg.Location)
	switch d.Stage {
	case domain.StageOldSecret:
		oldSecretMessage(&m, d, cfg.Location)
		return m, nil
	case domain.StageRejected:
		rejectedMessage(&m)
		return m, nil
	case domain.StageAnnounce:
		// It tells; it asks nothing: no acknowledgment, no runbook.
		m.AckURL, m.Runbook, m.RunbookURL, m.Impact = "", "", "", ""
		m.Announcement = true
		announceMessage(&m, d, cfg.Location)
		return m, nil
	}
	var stage *config.Stage
	if p := cfg.Policies[d.Cycle.Policy]; p != nil {
		stage = p.Stage(d.Stage)
	}
	err := Render(&m, stage, cfg.Channels[d.Channel])
	return m, err
}

// Render fills m's Subject and Text: the stage's templates first, then the
// channel's, then the defaults. stage and ch may be nil.
func Render(m *channels.Message, stage *config.Stage, ch *config.Channel) error {
	var stageSubject, stageText, chSubject, chText *template.Template
	if stage != nil {
		stageSubject, stageText = stage.Subject, stage.Text
	}
	if ch != nil {
		chSubject, chText = ch.Subject, ch.Text
	}
	defSubject, defText := channels.DefaultTemplates()
	subject := first(defSubject, stageSubject, chSubject)
	text := first(defText, stageText, chText)
	var err error
	if m.Subject, err = channels.Render(subject, *m); err != nil {
		return err
	}
	m.Text, err = channels.Render(text, *m)
	return err
}

// first returns the first non-nil template, or def (parsed once, not per
// message).
func first(def *template.Template, ts ...*template.Template) *template.Template {
	for _, t := range ts {
		if t != nil {
			return t
		}
	}
	return def
}
