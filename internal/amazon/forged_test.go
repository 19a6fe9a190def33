package amazon

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/testutil/fauxqs"
)

// TestCheckDates: the dates a genuine notification can carry pass; a
// forged eventTime or expiry is refused, naming the field.
func TestCheckDates(t *testing.T) {
	wall := date("2026-06-01T12:00:00Z")
	expiry := func(event, deadline string) domain.Notice {
		return domain.Notice{ID: "n", Type: domain.NoticeSecretExpiry, EventTime: date(event), Deadline: date(deadline)}
	}
	newSecret := func(event, deadline, old string) domain.Notice {
		return domain.Notice{ID: "n", Type: domain.NoticeNewSecret, EventTime: date(event), Deadline: date(deadline), OldSecretExpiresAt: date(old)}
	}
	for _, tc := range []struct {
		name string
		n    domain.Notice
		want string // "": accepted
	}{
		{"expiry 90 days ahead", expiry("2026-06-01T11:00:00Z", "2026-08-30T00:00:00Z"), ""},
		{"expiry already past", expiry("2026-06-01T11:00:00Z", "2026-05-20T00:00:00Z"), ""},
		{"eventTime within the skew", expiry("2026-06-01T12:09:00Z", "2026-08-30T00:00:00Z"), ""},
		{"new secret", newSecret("2026-06-01T10:00:00Z", "2026-11-28T10:00:00Z", "2026-06-08T10:00:00Z"), ""},
		{"eventTime 2099", newSecret("2099-01-01T00:00:00Z", "2099-06-30T00:00:00Z", "2099-01-08T00:00:00Z"), "eventTime 2099-01-01T00:00:00Z is ahead of the clock (2026-06-01T12:00:00Z)"},
		{"eventTime past the skew", expiry("2026-06-01T12:11:00Z", "2026-08-30T00:00:00Z"), "ahead of the clock"},
		{"eventTime 1970", expiry("1970-01-01T00:00:00Z", "1970-03-01T00:00:00Z"), "eventTime 1970-01-01T00:00:00Z is more than a year before the clock"},
		{"expiry 9999", expiry("2026-06-01T11:00:00Z", "9999-12-31T00:00:00Z"), "clientSecretExpiryTime 9999-12-31T00:00:00Z is outside 2025-12-03T11:00:00Z … 2027-05-27T11:00:00Z"},
		{"expiry 1970", expiry("2026-06-01T11:00:00Z", "1970-01-01T00:00:00Z"), "clientSecretExpiryTime 1970-01-01T00:00:00Z is outside"},
		{"new secret expiring before it was issued", newSecret("2026-06-01T10:00:00Z", "2026-05-01T10:00:00Z", "2026-06-08T10:00:00Z"), "newClientSecretExpiryTime 2026-05-01T10:00:00Z is outside"},
		{"new secret for ever", newSecret("2026-06-01T10:00:00Z", "9999-12-31T00:00:00Z", "2026-06-08T10:00:00Z"), "newClientSecretExpiryTime 9999-12-31T00:00:00Z is outside"},
		{"old secret 1970", newSecret("2026-06-01T10:00:00Z", "2026-11-28T10:00:00Z", "1970-01-01T00:00:00Z"), "oldClientSecretExpiryTime 1970-01-01T00:00:00Z is outside"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckDates(tc.n, wall)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("CheckDates = %v, want accepted", err)
			case tc.want != "" && (err == nil || !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("CheckDates = %v, want ErrRefused saying %q", err, tc.want)
			}
		})
	}
}

// TestKeepSecretVersion: every secret received is kept, in the order
// received, the refused ones marked; the same one received again is kept
// once; a forger reusing a genuine notification id does not hide it.
func TestKeepSecretVersion(t *testing.T) {
	dir := t.TempDir()
	n := domain.Notice{ID: "new/0001", ClientID: testClient, Type: domain.NoticeNewSecret}
	at := date("2026-06-01T12:00:00Z")
	steps := []struct {
		secret  channels.Secret
		refused bool
		written bool
	}{
		{"FORGED-1", true, true},
		{newSecretValue, false, true},
		{newSecretValue, false, false}, // SQS delivered it again
		{"FORGED-2", true, true},       // the same notification id, another secret
	}
	for i, s := range steps {
		written, err := KeepSecretVersion(dir, n, s.secret, at.Add(time.Duration(i)*time.Second), s.refused)
		if err != nil || written != s.written {
			t.Fatalf("step %d: written %v, %v; want %v", i, written, err, s.written)
		}
	}
	vdir := VersionsDir(dir, testClient)
	entries, err := os.ReadDir(vdir)
	if err != nil {
		t.Fatal(err)
	}
	var names, contents []string
	for _, e := range entries {
		names = append(names, e.Name())
		b, err := os.ReadFile(filepath.Join(vdir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		contents = append(contents, string(b))
		if fi, _ := e.Info(); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", e.Name(), fi.Mode().Perm())
		}
	}
	wantNames := []string{"20260601T120000.000000000Z-new_0001.refused", "20260601T120001.000000000Z-new_0001", "20260601T120003.000000000Z-new_0001.refused"}
	if !slices.Equal(names, wantNames) || !slices.Equal(contents, []string{"FORGED-1", newSecretValue, "FORGED-2"}) {
		t.Errorf("versions %q, want %q holding the forged, genuine, forged secrets", names, wantNames)
	}
	if fi, err := os.Stat(vdir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("%s: %v, %v; want a folder of mode 0700", vdir, fi.Mode(), err)
	}
	if got := VersionsDir(dir, "../../etc"); got != filepath.Join(dir, "invalid-client-id.versions") {
		t.Errorf("VersionsDir of a client id that is not one = %s", got)
	}
}

// TestForgedMessages: through fauxqs and the real SDK, a message from
// another sender is refused and left in the queue, and a forged 2099
// new-secret message is refused; the genuine one after it is applied, its
// secret is the current one, and both secrets are kept as versions.
// (fauxqs gives every message the SenderId fauxqs.SenderID: the "other
// sender" is made by configuring another sender_ids.)
func TestForgedMessages(t *testing.T) {
	sqs := fauxqs.Start(t)
	t.Run("another sender", func(t *testing.T) {
		r := newRig(t, sqs)
		r.engine.Config().Amazon.SenderIDs = []string{"437568002678"}
		sqs.Send(t, r.queue, expiryBody("exp-other", testClient, "2026-07-01T00:00:00.000Z"))
		got, err := r.consumer(nil).Drain(t.Context())
		if err != nil || got != (Counts{Received: 1, Left: 1}) {
			t.Fatalf("drain = %+v, %v; want the message left in the queue", got, err)
		}
		if d := r.cycle().Deadline(time.UTC); !d.Equal(date("2026-08-28T00:00:00Z")) {
			t.Errorf("deadline = %s, want the config's 2026-08-28", d)
		}
		if log := r.logText(); !strings.Contains(log, "sent by sender "+fauxqs.SenderID+", not Amazon (amazon.sender_ids: 437568002678)") {
			t.Errorf("the log does not say who sent it:\n%s", log)
		}
		if visible, inFlight := sqs.Count(t, r.queue); visible+inFlight != 1 {
			t.Errorf("queue: %d visible, %d in flight; want the message left for its dead-letter policy", visible, inFlight)
		}
	})
	t.Run("refused new secret kept nowhere else", func(t *testing.T) {
		r := newRig(t, sqs)
		r.engine.Config().Amazon.SenderIDs = []string{"437568002678"}
		r.engine.Config().Amazon.MaxReceives = 1
		sqs.Send(t, r.queue, newSecretBody("new-other", testClient, "2026-06-01T08:00:00.000Z", "2026-11-28T08:00:00.000Z", "2026-06-08T08:00:00.000Z"))
		got, err := r.consumer(nil).Drain(t.Context())
		if err != nil || got != (Counts{Received: 1, Left: 1}) {
			t.Fatalf("drain = %+v, %v; want the message recorded and left, not deleted", got, err)
		}
		if visible, inFlight := sqs.Count(t, r.queue); visible+inFlight != 1 {
			t.Errorf("queue: %d visible, %d in flight; want the message, the secret's only copy, kept", visible, inFlight)
		}
		evs, err := r.store.History(t.Context(), domain.HistoryFilter{Type: domain.EventNotification})
		if err != nil || len(evs) != 1 || evs[0].Status != domain.NoticeMalformed || !strings.Contains(evs[0].Detail, "sent by sender "+fauxqs.SenderID) {
			t.Errorf("history = %+v, %v; want the refusal recorded once", evs, err)
		}
		if !strings.Contains(r.logText(), "left in the queue, since its new secret is kept nowhere else") {
			t.Errorf("log:\n%s", r.logText())
		}
	})
	t.Run("forged 2099 then genuine", func(t *testing.T) {
		r := newRig(t, sqs)
		dir := t.TempDir()
		r.engine.Config().Amazon.NewSecretDir = dir
		forged := strings.Replace(newSecretBody("new-2099", testClient, "2099-01-01T00:00:00.000Z", "2099-06-30T00:00:00.000Z", "2099-01-08T00:00:00.000Z"),
			strings.ReplaceAll(newSecretValue, "/", `\/`), "FORGED-SECRET", 1)
		sqs.Send(t, r.queue, forged)
		c := r.consumer(nil)
		wall := now // a clock that moves: the versions are named by when they were received
		c.WallClock = func() time.Time { wall = wall.Add(time.Second); return wall }
		if got, err := c.Drain(t.Context()); err != nil || got != (Counts{Received: 1, Left: 1}) {
			t.Fatalf("drain of the forged message = %+v, %v; want it left", got, err)
		}
		sqs.Send(t, r.queue, newSecretBody("new-0001", testClient, "2026-06-01T08:00:00.000Z", "2026-11-28T08:00:00.000Z", "2026-06-08T08:00:00.000Z"))
		if got, err := c.Drain(t.Context()); err != nil || got != (Counts{Received: 1, Applied: 1}) {
			t.Fatalf("drain of the genuine message = %+v, %v; want it applied", got, err)
		}
		if b, err := os.ReadFile(filepath.Join(dir, testClient)); err != nil || string(b) != newSecretValue {
			t.Errorf("the current secret is not the genuine one (%v)", err)
		}
		entries, err := os.ReadDir(VersionsDir(dir, testClient))
		if err != nil || len(entries) != 2 || !strings.HasSuffix(entries[0].Name(), "-new-2099.refused") || !strings.HasSuffix(entries[1].Name(), "-new-0001") {
			t.Errorf("versions = %v, %v; want the forged (refused) then the genuine", entries, err)
		}
		if cy := r.cycle(); cy.Source != domain.SourceSPAPI || !cy.Deadline(time.UTC).Equal(date("2026-11-28T08:00:00Z")) {
			t.Errorf("cycle = %+v, want the genuine rotation", cy)
		}
		if strings.Contains(r.logText(), "FORGED-SECRET") || strings.Contains(r.logText(), "NEWSEKRIT") {
			t.Errorf("the log shows a secret")
		}
	})
}
