package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// RecordNotice records one SP-API notification about a client secret in
// t, and says what it did (domain.NoticeResult):
//
//   - a notification id seen before changes nothing (NoticeDuplicate);
//   - a malformed SQS message (n.Type NoticeMalformed) is recorded in the
//     history, once per message id, with its problem (NoticeMalformed);
//   - a client id that no active credential has is recorded in the history
//     (NoticeUnknown);
//   - an expiry notification sets the current cycle's deadline to what
//     Amazon states, unless it is older than the cycle (NoticeStale: about
//     the secret before the last rotation);
//   - a new-secret notification records a rotation (source sp-api, at its
//     event time, or now if that is later; the old cycle's pending
//     deliveries become superseded), unless one at or after that time is
//     already recorded; either way the current cycle's deadline becomes
//     the new secret's and a follow-up reminder, due at FollowUpAt on the
//     channels FollowUpChannels names, says when the old secret stops
//     working.
//
// The deadline change's event names the notification and the old and new
// deadline; a deadline that differs from the one in force also moves the
// cycle's terms (source amazon) with a deadline event; the cycle is due
// for planning at once (NotifyDue). Several
// active credentials with the client id are refused
// (domain.ErrAmbiguousClient) and nothing is recorded. A notice without
// a zone is read in UTC.
func (s *Store) RecordNotice(ctx context.Context, n domain.Notice, now time.Time) (domain.NoticeResult, error) {
	var out domain.NoticeResult
	err := s.update(ctx, func(t *Tx) (err error) { out, err = recordNotice(t, n, now); return err })
	return out, err
}

// recordNotice is RecordNotice in t.
func recordNotice(t *Tx, n domain.Notice, now time.Time) (domain.NoticeResult, error) {
	var res domain.NoticeResult
	now = StoredTime(now)
	if n.Type == domain.NoticeMalformed {
		return recordMalformed(t, n, now)
	}
	if n.Zone == nil {
		n.Zone = time.UTC
	}
	ids, err := Strings(t.Query(`SELECT id FROM credentials WHERE lwa_client_id = ? AND `+t.IsTrue("active")+` ORDER BY id`, n.ClientID))
	if err != nil {
		return res, fmt.Errorf("store: credentials of client %s: %w", n.ClientID, err)
	}
	if len(ids) > 1 {
		return res, fmt.Errorf("%w: %s (%s)", domain.ErrAmbiguousClient, n.ClientID, strings.Join(ids, ", "))
	}
	var credID any
	if len(ids) == 1 {
		credID = ids[0]
		res.CredentialID = ids[0]
	}
	r, err := t.Exec(`INSERT INTO amazon_notifications (notification_id, type, client_id, credential_id, event_time, received_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, n.ID, n.Type, n.ClientID, credID, t.Time(n.EventTime), t.Time(now))
	if err != nil {
		return res, fmt.Errorf("store: notification %s: %w", n.ID, err)
	}
	if k, _ := r.RowsAffected(); k == 0 {
		res.Status = domain.NoticeDuplicate
		return res, nil
	}
	if len(ids) == 0 {
		res.Status = domain.NoticeUnknown
		return res, t.InsertEvent(domain.Event{Time: now, Type: domain.EventNotification, Status: domain.NoticeUnknown, Actor: domain.SourceSPAPI,
			Detail: fmt.Sprintf("%s %s for client id %s: no credential has this lwa.client_id", n.Type, n.ID, n.ClientID)})
	}
	apply := secretExpiry
	if n.Type == domain.NoticeNewSecret {
		apply = newSecret
	}
	if err := apply(t, n, ids[0], now, &res); err != nil {
		return res, err
	}
	return res, t.NotifyDue()
}

// recordMalformed records a message that was not a usable notification:
// a row of amazon_notifications (so that it is recorded once, however
// often SQS delivers it) and an event naming the message and its problem.
func recordMalformed(t *Tx, n domain.Notice, now time.Time) (domain.NoticeResult, error) {
	res := domain.NoticeResult{Status: domain.NoticeMalformed}
	r, err := t.Exec(`INSERT INTO amazon_notifications (notification_id, type, client_id, credential_id, event_time, received_at)
		VALUES (?, ?, '', NULL, ?, ?) ON CONFLICT DO NOTHING`, n.ID, n.Type, t.Time(now), t.Time(now))
	if err != nil {
		return res, fmt.Errorf("store: malformed message %s: %w", n.ID, err)
	}
	if k, _ := r.RowsAffected(); k == 0 {
		res.Status = domain.NoticeDuplicate
		return res, nil
	}
	return res, t.InsertEvent(domain.Event{Time: now, Type: domain.EventNotification, Status: domain.NoticeMalformed, Actor: domain.SourceSPAPI,
		Detail: fmt.Sprintf("SQS message %s is not a usable SP-API notification (%s); deleted from the queue, its body not kept", strings.TrimPrefix(n.ID, "sqs:"), n.Problem)})
}

func secretExpiry(t *Tx, n domain.Notice, id string, now time.Time, res *domain.NoticeResult) error {
	c, err := currentCycle(t, id)
	if err != nil {
		return err
	}
	if n.EventTime.Before(c.Start) {
		res.Status = domain.NoticeStale
		return t.InsertEvent(domain.Event{Time: now, Type: domain.EventNotification, CredentialID: id, RotationID: c.RotationID,
			Status: domain.NoticeStale, Actor: domain.SourceSPAPI,
			Detail: fmt.Sprintf("%s %s of %s is older than the current cycle (rotated at %s); the deadline stands",
				n.Type, n.ID, FormatTime(n.EventTime), FormatTime(c.Start))})
	}
	return stateDeadline(t, n, c, now, res, "")
}

// stateDeadline records the deadline n states for the cycle (a
// cycle_deadlines row and the notification's event), moves the cycle's
// terms to it when it differs from the one in force (a cycle_terms row of
// source amazon and a deadline event naming the notification), and makes
// the cycle due for planning.
func stateDeadline(t *Tx, n domain.Notice, c domain.Cycle, now time.Time, res *domain.NoticeResult, more string) error {
	res.Status, res.RotationID = domain.NoticeApplied, c.RotationID
	res.OldDeadline, res.NewDeadline = StoredTime(c.Deadline(n.Zone)), StoredTime(n.Deadline)
	if _, err := t.Exec(`INSERT INTO cycle_deadlines (rotation_id, deadline, source, reference, recorded_at) VALUES (?, ?, ?, ?, ?)`,
		c.RotationID, t.Time(n.Deadline), domain.SourceSPAPI, n.ID, t.Time(t.Recorded())); err != nil {
		return fmt.Errorf("store: deadline of %s: %w", c.ID, err)
	}
	detail := fmt.Sprintf("deadline %s -> %s, as Amazon states (%s %s", FormatTime(res.OldDeadline), FormatTime(res.NewDeadline), n.Type, n.ID)
	if n.Reason != "" {
		detail += ", reason " + n.Reason
	}
	detail += ")" + more
	if err := t.InsertEvent(domain.Event{Time: now, Type: domain.EventNotification, CredentialID: c.ID, RotationID: c.RotationID,
		Status: "deadline", Actor: domain.SourceSPAPI, Detail: detail}); err != nil {
		return err
	}
	if err := t.recordTerms(c.ID, TermsAmazon, n.ID, now, nil); err != nil {
		return err
	}
	return t.MarkDue(c.ID, now)
}

func newSecret(t *Tx, n domain.Notice, id string, now time.Time, res *domain.NoticeResult) error {
	c, err := currentCycle(t, id)
	if err != nil {
		return err
	}
	at := StoredTime(MinTime(n.EventTime, now)) // never dated in the future
	more := ""
	if at.After(c.Start) {
		rid, err := t.InsertRotation(domain.Rotation{CredentialID: id, RotatedAt: at, Source: domain.SourceSPAPI, Actor: "amazon",
			Note: "new client secret (notification " + n.ID + ")", OldSecretExpiresAt: n.OldSecretExpiresAt}, now)
		if err != nil {
			return err
		}
		res.Rotated = true
		if c, err = currentCycle(t, id); err != nil {
			return err
		}
		if c.RotationID != rid {
			return fmt.Errorf("store: rotation of %s: cycle %d is current, not %d", id, c.RotationID, rid)
		}
	} else {
		more = fmt.Sprintf("; no rotation recorded: the rotation at %s (source %s) is not older", FormatTime(c.Start), c.Source)
	}
	var channels []string
	if n.FollowUpChannels != nil && !n.OldSecretExpiresAt.IsZero() {
		channels = n.FollowUpChannels(c.Policy)
	}
	next := StoredTime(n.FollowUpAt)
	if next.Before(now) {
		next = now
	}
	if !n.OldSecretExpiresAt.IsZero() {
		more += "; the old secret stops working at " + FormatTime(n.OldSecretExpiresAt)
		if len(channels) > 0 {
			more += fmt.Sprintf(": follow-up at %s on %s", FormatTime(next), strings.Join(channels, ", "))
		}
	}
	if err := stateDeadline(t, n, c, now, res, more); err != nil {
		return err
	}
	for _, ch := range channels {
		r, err := t.Exec(`INSERT INTO deliveries (rotation_id, credential_id, stage, seq, channel, status, due_at, created_at, next_attempt_at)
			VALUES (?, ?, ?, 0, ?, 'pending', ?, ?, ?) ON CONFLICT DO NOTHING`,
			c.RotationID, id, domain.StageOldSecret, ch, t.Time(n.OldSecretExpiresAt), t.Time(t.Recorded()), t.Time(next))
		if err != nil {
			return fmt.Errorf("store: follow-up of %s: %w", id, err)
		}
		if k, _ := r.RowsAffected(); k > 0 {
			res.FollowUps++
		}
	}
	return nil
}

// currentCycle is the credential's current cycle, with the deadline
// Amazon stated for it, if any.
func currentCycle(t *Tx, id string) (domain.Cycle, error) {
	c, err := ScanCycle(t.QueryRow(`SELECT `+CycleColumns+` FROM `+CurrentCycle+` WHERE c.id = ?`, id))
	if err != nil {
		return c, fmt.Errorf("store: cycle of %s: %w", id, err)
	}
	return c, nil
}
