package engine

import (
	"context"
	"time"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// CalendarEntry is one active credential's cycle as the calendar feed
// shows it: its deadline, the ladder of the cycle's terms, and for an
// SP-API (LWA) credential when the old secret stops working.
type CalendarEntry struct {
	CredentialStatus
	// CycleID is the id of the rotation that started the cycle: with the
	// credential's id it names the cycle's events for good.
	CycleID int64
	// Stages are the ladder of the cycle's policy; nil when the policy is
	// no longer configured.
	Stages []schedule.Stage
	// OldSecretDies is when an LWA credential's previous secret stops
	// working: OldSecretGrace calendar days after the rotation (in the
	// config's zone); zero for any other credential.
	OldSecretDies time.Time
	// Runbook is how to rotate it (config.RunbookOf).
	Runbook config.Runbook
}

// EachCalendar calls fn with the calendar entry at now of each active
// credential f selects, in id order, streamed as EachStatus streams
// (inactive credentials have no deadline to show and are left out).
func (e *Engine) EachCalendar(ctx context.Context, now time.Time, f domain.CredentialFilter, fn func(CalendarEntry) error) error {
	return e.eachStatus(ctx, now, f, func(v *view, s domain.CredentialState, st CredentialStatus) error {
		if !s.Active {
			return nil
		}
		loc := v.cfg.Location
		en := CalendarEntry{CredentialStatus: st, CycleID: s.RotationID, Runbook: v.cfg.RunbookOf(s.Credential, s.Policy)}
		if l, ok := v.ladders[s.Policy]; ok {
			en.Stages = l.policy.Stages
		}
		if s.LWAClientID != "" {
			en.OldSecretDies = schedule.Span{Days: domain.OldSecretGrace}.Add(s.Start, 1, loc).In(loc)
		}
		return fn(en)
	})
}
