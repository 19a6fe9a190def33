package main

// End-to-end tests of forged SP-API messages (issue 17): the binary
// receives them from the SQS emulator (fauxqs) through the real AWS SDK.
//
// fauxqs gives every message the same SenderId, "000000000000" (its
// ReceiveMessage answers SenderId with that constant; SendMessage cannot
// set it). So the tests cannot send as two senders: amazonE2EConfig names
// 000000000000 as Amazon's sender (amazon.sender_ids), and the test of a
// foreign sender instead configures notifier with Amazon's documented
// default, so that the emulator's 000000000000 is the other sender.

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// forgedSecret is what a forger puts in newClientSecret.
const forgedSecret = "amzn1.oa2-cs.v1.FORGEDSEKRIT+evil/0666="

// spNewSecretOf is spNew with another secret.
func spNewSecretOf(secret, id, eventTime, newExpiry, oldExpiry string) string {
	return strings.Replace(spNew(id, eventTime, newExpiry, oldExpiry), spNewSecret, secret, 1)
}

// withConfig edits the config newSPEnv wrote: each pair is old, new.
func (s *spEnv) withConfig(pairs ...string) {
	s.t.Helper()
	b, err := os.ReadFile(s.config)
	if err != nil {
		s.t.Fatal(err)
	}
	cfg := string(b)
	for i := 0; i+1 < len(pairs); i += 2 {
		cfg = strings.Replace(cfg, pairs[i], pairs[i+1], 1)
	}
	s.writeConfig(cfg)
}

// secretFiles is every file under dir, by its path below dir, with its
// content.
func secretFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestEndToEndForgedNewSecretThenGenuine: a forged new-secret message
// dated 2099 is refused (it is ahead of the clock) and recorded nowhere as
// a rotation; Amazon's genuine one that follows is applied, and its secret
// is the current one; both secrets are kept as versions, so nothing
// Amazon sent is lost.
func TestEndToEndForgedNewSecretThenGenuine(t *testing.T) {
	s := newSPEnv(t, "")
	secrets := filepath.Join(t.TempDir(), "secrets")
	if err := os.Mkdir(secrets, 0o700); err != nil {
		t.Fatal(err)
	}
	s.withConfig("  region: us-east-1\n", "  region: us-east-1\n  new_secret_dir: "+secrets+"\n")

	s.send(spNewSecretOf(forgedSecret, "forged-2099", "2099-01-01T00:00:00.000Z", "2099-06-30T00:00:00.000Z", "2099-01-08T00:00:00.000Z"))
	out, errs := s.do(0, "receive", "--at", "2026-11-02T11:00:00Z")
	if !strings.Contains(out, "1 received, 0 applied") || !strings.Contains(out, "1 left in the queue") {
		t.Errorf("receive of the forged message: want it refused and left in the queue:\n%s\n%s", out, errs)
	}
	if !strings.Contains(errs, "ahead of the clock") {
		t.Errorf("the log does not say why the forged message is refused:\n%s", errs)
	}

	s.send(spNew("new-0001", "2026-11-02T10:00:00.000Z", "2027-05-01T10:00:00.000Z", "2026-11-09T10:00:00.000Z"))
	out, _ = s.do(0, "receive", "--at", "2026-11-02T12:00:00Z")
	if !strings.Contains(out, "1 received, 1 applied") {
		t.Errorf("receive of the genuine message: want it applied:\n%s", out)
	}
	if b, err := os.ReadFile(filepath.Join(secrets, spClient)); err != nil || string(b) != spNewSecret {
		t.Errorf("the current secret file holds %q (%v); want Amazon's genuine secret", leakSafe(string(b)), err)
	}
	files := secretFiles(t, secrets)
	var versions []string
	for name := range files {
		if strings.HasPrefix(name, spClient+".versions"+string(filepath.Separator)) {
			versions = append(versions, name)
			if fi, err := os.Stat(filepath.Join(secrets, name)); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %v, %v; want 0600", name, fi.Mode(), err)
			}
		}
	}
	sort.Strings(versions) // named by when they were received
	if len(versions) != 2 || files[versions[0]] != forgedSecret || files[versions[1]] != spNewSecret {
		t.Errorf("versions kept: %q; want the forged secret then the genuine one, in the order received", versions)
	} else if !strings.HasSuffix(versions[0], ".refused") || strings.HasSuffix(versions[1], ".refused") {
		t.Errorf("versions %q: want the refused one marked .refused, the genuine one not", versions)
	}
	st := s.status("2026-11-02T12:00:00Z")["sp-api-prod"]
	if st.RotatedAt != "2026-11-02T10:00:00Z" || st.Deadline != "2027-05-01T10:00:00Z" {
		t.Errorf("status = %+v, want Amazon's genuine rotation and deadline", st)
	}
	for _, h := range s.history() {
		if h.Type == "rotation" && strings.Contains(h.Detail, "forged-2099") {
			t.Errorf("history records the forged rotation: %+v", h)
		}
	}
	s.noSecretAnywhere()
	if strings.Contains(s.all.String(), "FORGEDSEKRIT") {
		t.Errorf("an output shows the forged secret:\n%s", s.all.String())
	}
}

// leakSafe keeps a failing test's message from printing a whole secret.
func leakSafe(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}

// TestEndToEndForgedDates: an expiry notification outside a sane window
// (9999-12-31, 1970) or dated ahead of the clock is refused, recorded in
// the history once (max_receives 1: at once), deleted, and changes
// nothing: the overdue credential stays overdue.
func TestEndToEndForgedDates(t *testing.T) {
	for _, tc := range []struct {
		name, eventTime, expiry, why string
	}{
		{"expiry 9999", "2027-06-01T08:00:00.000Z", "9999-12-31T00:00:00.000Z", "clientSecretExpiryTime"},
		{"expiry 1970", "2027-06-01T08:00:00.000Z", "1970-01-01T00:00:00.000Z", "clientSecretExpiryTime"},
		{"eventTime ahead", "2027-06-02T08:00:00.000Z", "2027-09-01T00:00:00.000Z", "ahead of the clock"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSPEnv(t, "")
			s.withConfig("  region: us-east-1\n", "  region: us-east-1\n  max_receives: 1\n")
			// Rotated 2026-06-01: due 2026-11-28, 185 days overdue on 2027-06-01.
			s.send(spExpiry("exp-forged", spClient, tc.eventTime, tc.expiry))
			out, errs := s.do(0, "receive", "--at", "2027-06-01T09:00:00Z")
			if !strings.Contains(out, "1 received, 0 applied") || !strings.Contains(out, "1 malformed deleted") {
				t.Errorf("receive: want the message refused, recorded and deleted:\n%s\n%s", out, errs)
			}
			st := s.status("2027-06-01T09:00:00Z")["sp-api-prod"]
			if st.Deadline != "2026-11-28T00:00:00Z" || st.DaysRemaining >= 0 {
				t.Errorf("status = %+v; want the credential still overdue, due 2026-11-28", st)
			}
			var refused int
			for _, h := range s.history() {
				if h.Type == "notification" && h.Status == "malformed" && strings.Contains(h.Detail, "refused") && strings.Contains(h.Detail, tc.why) {
					refused++
				}
				if h.Type == "notification" && h.Status == "deadline" {
					t.Errorf("history: the deadline moved: %+v", h)
				}
			}
			if refused != 1 {
				t.Errorf("history: %d refusals naming %q, want 1:\n%+v", refused, tc.why, s.history())
			}
			s.queueIsEmpty()
		})
	}
}

// TestEndToEndForeignSender: a well-formed notification from a sender
// other than amazon.sender_ids is refused, left in the queue for its
// dead-letter policy, and after max_receives recorded once and deleted.
// (The emulator's sender is 000000000000; with the default sender_ids,
// Amazon's, it is the foreign one.)
func TestEndToEndForeignSender(t *testing.T) {
	s := newSPEnv(t, "")
	s.queue = s.sqs.CreateQueue(t, "no-dead-letter-queue", map[string]string{"VisibilityTimeout": "0"})
	s.writeConfig(fmt.Sprintf(amazonE2EConfig, s.hook.srv.URL+"/ops", s.pager.srv.URL+"/pager", s.queue, s.sqs.URL))
	s.withConfig("  sender_ids: [\"000000000000\"]\n", "", "  region: us-east-1\n", "  region: us-east-1\n  max_receives: 2\n")
	s.send(spExpiry("exp-0001", spClient, "2026-10-01T08:00:00.000Z", "2026-10-20T00:00:00.000Z"))
	out, errs := s.do(0, "receive", "--at", "2026-10-01T12:00:00Z")
	if !strings.Contains(out, "2 received, 0 applied") || !strings.Contains(out, "1 left in the queue, 1 malformed deleted") {
		t.Errorf("receive: want the message refused, left once, then recorded and deleted:\n%s\n%s", out, errs)
	}
	if !strings.Contains(errs, "000000000000") {
		t.Errorf("the log does not name the sender refused:\n%s", errs)
	}
	st := s.status("2026-10-01T12:00:00Z")["sp-api-prod"]
	if st.Deadline != "2026-11-28T00:00:00Z" {
		t.Errorf("status = %+v; want the config's deadline, 2026-11-28", st)
	}
	var refused int
	for _, h := range s.history() {
		if h.Type == "notification" && h.Status == "malformed" && strings.Contains(h.Detail, "sender 000000000000") {
			refused++
		}
	}
	if refused != 1 {
		t.Errorf("history: %d refusals of sender 000000000000, want 1:\n%+v", refused, s.history())
	}
	s.queueIsEmpty()
}
