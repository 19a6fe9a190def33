package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/domain"
)

// FollowUpLead is how long before the old secret stops working the
// follow-up reminder of a new-secret notification goes out (at once if
// that moment has passed): a day to find the deployment still on it.
const FollowUpLead = 24 * time.Hour

// RecordNotice records an SP-API notification at now (the tick's time, so
// that a run at --at sees it): the deadline Amazon states, a rotation it
// reports, and for a new secret a follow-up reminder on the channels of
// the most urgent stage of the credential's policy. It holds no engine
// lock: a tick in progress sees it at its next planning.
func (e *Engine) RecordNotice(ctx context.Context, n domain.Notice, now time.Time) (domain.NoticeResult, error) {
	v := e.view()
	n.Zone = v.cfg.Location
	if n.Type == domain.NoticeNewSecret && !n.OldSecretExpiresAt.IsZero() {
		n.FollowUpAt = n.OldSecretExpiresAt.Add(-FollowUpLead)
		n.FollowUpChannels = v.mostUrgentChannels
	}
	res, err := e.store.RecordNotice(ctx, n, normalize(now))
	if err != nil {
		return res, fmt.Errorf("notification %s: %w", n.ID, err)
	}
	return res, nil
}

// oldSecretMessage is the follow-up of a new-secret notification: the
// delivery's Due is when the old secret stops working. Its text is fixed,
// not the stage's or channel's template: those speak of the deadline.
func oldSecretMessage(m *channels.Message, d domain.Claimed, loc *time.Location) {
	dies := d.Due.In(loc).Format("2006-01-02 15:04 MST")
	m.Subject = fmt.Sprintf("%s: the old secret stops working at %s", m.Name, dies)
	m.Text = fmt.Sprintf("Amazon issued a new client secret for %s (%s) at %s; the old secret stops working at %s: make sure every deployment uses the new one.",
		m.Name, m.Credential, m.RotatedAt.Format("2006-01-02 15:04 MST"), dies)
}
