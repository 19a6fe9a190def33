package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// The client ids of the SP-API notification tests.
const (
	clientA = "amzn1.application-oa2-client.aaaa"
	clientB = "amzn1.application-oa2-client.bbbb"
)

func spAPI(id, client string) domain.Credential {
	return with(cred(id), func(c *domain.Credential) { c.LWAClientID = client })
}

func expiryNotice(id, client string, at, deadline time.Time) domain.Notice {
	return domain.Notice{ID: id, Type: domain.NoticeSecretExpiry, ClientID: client, EventTime: at, Deadline: deadline,
		Reason: "PERIODIC_ROTATION", Zone: time.UTC}
}

func newSecretNotice(id, client string, at, deadline, oldDies time.Time, channels ...string) domain.Notice {
	return domain.Notice{ID: id, Type: domain.NoticeNewSecret, ClientID: client, EventTime: at, Deadline: deadline,
		OldSecretExpiresAt: oldDies, FollowUpAt: oldDies.Add(-24 * time.Hour),
		FollowUpChannels: func(string) []string { return channels }, Zone: time.UTC}
}

func (e *env) notice(n domain.Notice, now time.Time) domain.NoticeResult {
	e.t.Helper()
	res, err := e.RecordNotice(e.ctx, n, now)
	if err != nil {
		e.t.Fatalf("RecordNotice(%s) at %s: %v", n.ID, ts(now), err)
	}
	return res
}

func testRecordNotice(t *testing.T, open Opener) {
	t.Run("an expiry sets the current cycle's deadline, with an event naming the notification and both deadlines", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, spAPI("alpha", clientA), cred("beta"))
		e.settle("alpha", hours(1), days(20))
		before := e.cycle("alpha")

		res := e.notice(expiryNotice("n-1", clientA, hours(2), days(10)), hours(3))
		equal(t, "result", []any{res.Status, res.CredentialID, res.RotationID, ts(res.OldDeadline), ts(res.NewDeadline)},
			[]any{domain.NoticeApplied, "alpha", before.RotationID, ts(rotated.AddDate(0, 0, 180)), ts(days(10))})
		cy := e.cycle("alpha")
		equalTime(t, "stated deadline", cy.StatedDeadline, days(10))
		equalTime(t, "deadline", cy.Deadline(time.UTC), days(10))
		equal(t, "cycle", cy.RotationID, before.RotationID)
		dueBy(t, "alpha", cy, hours(3))
		equalTime(t, "beta's deadline", e.cycle("beta").Deadline(time.UTC), rotated.AddDate(0, 0, 180))

		evs := eventsOf(e.history(domain.HistoryFilter{CredentialID: "alpha"}), ofType(domain.EventNotification, "deadline"))
		if len(evs) != 1 {
			t.Fatalf("deadline events = %+v, want one", evs)
		}
		for _, part := range []string{"n-1", ts(rotated.AddDate(0, 0, 180)), ts(days(10)), domain.NoticeSecretExpiry, "PERIODIC_ROTATION"} {
			if !strings.Contains(evs[0].Detail, part) {
				t.Errorf("event detail %q does not name %s", evs[0].Detail, part)
			}
		}
		equal(t, "event", []any{evs[0].RotationID, evs[0].Actor, ts(evs[0].Time)}, []any{before.RotationID, domain.SourceSPAPI, ts(hours(3))})

		// A later notification moves it again: the latest one wins.
		res = e.notice(expiryNotice("n-2", clientA, hours(4), days(9)), hours(5))
		equalTime(t, "old deadline of the second", res.OldDeadline, days(10))
		equalTime(t, "deadline after the second", e.cycle("alpha").Deadline(time.UTC), days(9))
	})

	t.Run("a notification id seen before changes nothing", func(t *testing.T) {
		cases := []struct {
			name   string
			second domain.Notice
		}{
			{"the same expiry", expiryNotice("n-1", clientA, hours(2), days(10))},
			{"another deadline under the same id", expiryNotice("n-1", clientA, hours(2), days(3))},
			{"a new secret under the same id", newSecretNotice("n-1", clientA, hours(2), days(300), days(7), "slack")},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := newEnv(t, open)
				e.sync(file, t0, spAPI("alpha", clientA))
				e.notice(expiryNotice("n-1", clientA, hours(2), days(10)), hours(3))
				before, events := e.cycle("alpha"), len(e.history(domain.HistoryFilter{}))

				res := e.notice(tc.second, hours(4))
				equal(t, "status", res.Status, domain.NoticeDuplicate)
				after := e.cycle("alpha")
				equal(t, "cycle", []any{after.RotationID, ts(after.Deadline(time.UTC)), ts(after.NextAction)},
					[]any{before.RotationID, ts(days(10)), ts(before.NextAction)})
				equal(t, "events", len(e.history(domain.HistoryFilter{})), events)
				equal(t, "deliveries", len(e.deliveries("alpha")), 0)
			})
		}
	})

	t.Run("a client id no active credential has is recorded in the history, once", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, spAPI("alpha", clientA), spAPI("gone", clientB))
		e.sync(file, hours(1), spAPI("alpha", clientA)) // gone leaves the config: inactive
		for _, client := range []string{"amzn1.application-oa2-client.nobody", clientB} {
			res := e.notice(expiryNotice("n-"+client, client, hours(2), days(10)), hours(3))
			equal(t, "status of "+client, []any{res.Status, res.CredentialID}, []any{domain.NoticeUnknown, ""})
			equal(t, "again", e.notice(expiryNotice("n-"+client, client, hours(2), days(10)), hours(4)).Status, domain.NoticeDuplicate)
		}
		evs := eventsOf(e.history(domain.HistoryFilter{}), ofType(domain.EventNotification, domain.NoticeUnknown))
		if len(evs) != 2 || !strings.Contains(evs[0].Detail, "amzn1.application-oa2-client.nobody") || evs[0].CredentialID != "" {
			t.Errorf("unknown-client events = %+v, want two naming the client id, without a credential", evs)
		}
		equalTime(t, "alpha's deadline", e.cycle("alpha").Deadline(time.UTC), rotated.AddDate(0, 0, 180))
		equalTime(t, "gone's deadline", e.cycle("gone").StatedDeadline, time.Time{})
	})

	t.Run("a malformed SQS message is recorded in the history once, about no credential", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, spAPI("alpha", clientA))
		n := domain.Notice{ID: "sqs:msg-1", Type: domain.NoticeMalformed, EventTime: hours(2),
			Problem: "not a usable SP-API client-secret notification: invalid JSON at byte 7; received 5 times"}
		equal(t, "first", e.notice(n, hours(2)).Status, domain.NoticeMalformed)
		equal(t, "again", e.notice(n, hours(3)).Status, domain.NoticeDuplicate)
		evs := eventsOf(e.history(domain.HistoryFilter{}), ofType(domain.EventNotification, domain.NoticeMalformed))
		if len(evs) != 1 || evs[0].CredentialID != "" || evs[0].Detail != "SQS message msg-1 is not a usable SP-API notification ("+n.Problem+"); deleted from the queue, its body not kept" {
			t.Errorf("malformed events = %+v, want one naming the message and its problem, without a credential", evs)
		}
		equalTime(t, "alpha's deadline", e.cycle("alpha").Deadline(time.UTC), rotated.AddDate(0, 0, 180))
	})

	t.Run("an expiry older than the current cycle is about the last secret: recorded, the deadline stands", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, spAPI("alpha", clientA))
		e.rotate("alpha", hours(5), hours(5))
		res := e.notice(expiryNotice("n-old", clientA, hours(4), days(1)), hours(6))
		equal(t, "status", res.Status, domain.NoticeStale)
		equalTime(t, "stated deadline", e.cycle("alpha").StatedDeadline, time.Time{})
		equal(t, "stale events", len(eventsOf(e.history(domain.HistoryFilter{}), ofType(domain.EventNotification, domain.NoticeStale))), 1)
	})

	t.Run("a new secret records a rotation, supersedes the old cycle, states the new deadline and adds the follow-up", func(t *testing.T) {
		before := time.Now().UTC().Truncate(time.Second)
		e := newEnv(t, open)
		e.sync(file, t0, spAPI("alpha", clientA))
		old := e.cycle("alpha")
		d := e.enqueue("alpha", hours(1), pending("30d", 0, "slack", t0))
		e.settle("alpha", hours(1), days(20))

		var policy string
		n := newSecretNotice("n-new", clientA, hours(4), days(365), days(7), "pager", "email")
		n.FollowUpChannels = func(p string) []string { policy = p; return []string{"pager", "email"} }
		res := e.notice(n, hours(5))
		cy := e.cycle("alpha")
		equal(t, "result", []any{res.Status, res.Rotated, res.RotationID, res.FollowUps, ts(res.NewDeadline)},
			[]any{domain.NoticeApplied, true, cy.RotationID, 2, ts(days(365))})
		equal(t, "policy asked", policy, "default")
		if cy.RotationID == old.RotationID {
			t.Fatalf("no new cycle")
		}
		equal(t, "new cycle", []any{cy.Source, ts(cy.Start), ts(cy.Deadline(time.UTC))}, []any{domain.SourceSPAPI, ts(hours(4)), ts(days(365))})
		dueBy(t, "new cycle", cy, hours(5))
		equal(t, "old pending", e.delivery(d[0].ID).Status, domain.StatusSuperseded)

		var follow []string
		var followUps []domain.Delivery
		for _, x := range e.deliveries("alpha") {
			if x.RotationID == cy.RotationID {
				follow = append(follow, x.Stage+" "+x.Channel+" "+x.Status+" due="+ts(x.Due)+" next="+ts(x.NextAttemptAt))
				followUps = append(followUps, x)
			}
		}
		createdNow(t, "follow-up", followUps, before)
		equal(t, "follow-ups", sorted(follow), []string{
			domain.StageOldSecret + " email pending due=" + ts(days(7)) + " next=" + ts(days(6)),
			domain.StageOldSecret + " pager pending due=" + ts(days(7)) + " next=" + ts(days(6)),
		})
		equal(t, "claimable before the day before", len(claim(t, e, "w", "pager", days(5), days(5).Add(time.Minute), 10)), 0)
		got := claim(t, e, "w", "pager", days(6), days(6).Add(time.Minute), 10)
		if len(got) != 1 || got[0].Stage != domain.StageOldSecret || !got[0].Due.Equal(days(7)) || got[0].Cycle.StatedDeadline.IsZero() {
			t.Errorf("claimed at the follow-up's time = %+v, want the follow-up, due when the old secret dies, with the stated deadline", got)
		}
		dl := eventsOf(e.history(domain.HistoryFilter{CredentialID: "alpha"}), ofType(domain.EventNotification, "deadline"))
		if len(dl) != 1 || !strings.Contains(dl[0].Detail, "the old secret stops working at "+ts(days(7))+": follow-up at "+ts(days(6))+" on pager, email") ||
			dl[0].RotationID != cy.RotationID {
			t.Errorf("deadline events = %+v, want one of the new cycle naming the old secret's end and the follow-up", dl)
		}
		rot := eventsOf(e.history(domain.HistoryFilter{CredentialID: "alpha"}), ofType(domain.EventRotation, domain.SourceSPAPI))
		if len(rot) != 1 || !strings.Contains(rot[0].Detail, "n-new") {
			t.Errorf("rotation events = %+v, want one naming the notification", rot)
		}
	})

	t.Run("a new secret dated after now is recorded at now; one not newer than the latest rotation records none", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, spAPI("alpha", clientA))
		res := e.notice(newSecretNotice("n-future", clientA, days(2), days(365), days(9)), hours(5))
		equal(t, "rotated", res.Rotated, true)
		equalTime(t, "start", e.cycle("alpha").Start, hours(5))

		e.rotate("alpha", hours(8), hours(8))
		res = e.notice(newSecretNotice("n-late", clientA, hours(7), days(200), days(8), "slack"), hours(9))
		cy := e.cycle("alpha")
		equal(t, "result", []any{res.Status, res.Rotated, res.FollowUps}, []any{domain.NoticeApplied, false, 1})
		equal(t, "cycle", []any{cy.Source, ts(cy.Start), ts(cy.Deadline(time.UTC))}, []any{"cli", ts(hours(8)), ts(days(200))})
	})

	t.Run("two active credentials with one client id: refused, nothing recorded, the notification not consumed", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, spAPI("alpha", clientA), spAPI("beta", clientA))
		events := len(e.history(domain.HistoryFilter{}))
		_, err := e.RecordNotice(e.ctx, expiryNotice("n-1", clientA, hours(2), days(10)), hours(3))
		if !errors.Is(err, domain.ErrAmbiguousClient) || !strings.Contains(err.Error(), "alpha, beta") {
			t.Fatalf("err = %v, want ErrAmbiguousClient naming alpha and beta", err)
		}
		equal(t, "events", len(e.history(domain.HistoryFilter{})), events)
		e.sync(file, hours(4), spAPI("alpha", clientA), cred("beta"))
		equal(t, "after the fix", e.notice(expiryNotice("n-1", clientA, hours(2), days(10)), hours(5)).Status, domain.NoticeApplied)
	})

	t.Run("the client id is synced: a change is an update, read back on the cycle", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, spAPI("alpha", clientA))
		equal(t, "client id", e.cycle("alpha").LWAClientID, clientA)
		changes := e.sync(file, hours(1), spAPI("alpha", clientB))
		if len(changes) != 1 || changes[0].Status != "updated" || changes[0].Detail != `lwa.client_id "`+clientA+`" -> "`+clientB+`"` {
			t.Errorf("changes = %+v, want alpha updated with its lwa.client_id", changes)
		}
		equal(t, "client id", e.cycle("alpha").LWAClientID, clientB)
		equal(t, "old client", e.notice(expiryNotice("n-a", clientA, hours(2), days(10)), hours(3)).Status, domain.NoticeUnknown)
	})
}
