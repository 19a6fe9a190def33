package email

import (
	"context"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/testutil/leak"
	"github.com/notifier-dev/notifier/internal/testutil/smtpd"
)

// TestEchoedAuthIsRedacted: a server that rejects AUTH PLAIN or AUTH LOGIN
// with a 535 quoting the base64 it received (the PLAIN blob decodes to the
// password; LOGIN sends base64(password) alone) gets no form of the
// password into the error, which stays permanent.
func TestEchoedAuthIsRedacted(t *testing.T) {
	const (
		user = "notifier@example.com"
		pass = "smtp+SEKRIT/pass=word42"
	)
	forms := append(leak.Forms(pass),
		leak.Base64("\x00" + user + "\x00" + pass)[0], leak.Base64(user + "\x00" + user + "\x00" + pass)[0], "SEKRIT")
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		t.Run(mech, func(t *testing.T) {
			srv := smtpd.Start(t, smtpd.Options{Username: user, Password: pass, Mechanisms: []string{mech}, EchoAuth: true})
			red := channels.NewRedactor()
			ch, err := New("ops", Config{SMTP: srv.Addr(), TLS: TLSNone, Username: user, Password: pass,
				From: "notifier@example.com", To: []string{"admins@example.com"}}, channels.Options{Redactor: red})
			if err != nil {
				t.Fatal(err)
			}
			err = ch.Send(context.Background(), reminder(t))
			if err == nil {
				t.Fatal("Send succeeded")
			}
			t.Logf("error: %s", err)
			if found := leak.Find(err.Error(), forms); len(found) > 0 {
				t.Errorf("the error shows %q: %s", found, err)
			}
			if !strings.Contains(err.Error(), "535") || !strings.Contains(err.Error(), "AUTH "+mech+" ") || !strings.Contains(err.Error(), channels.Redacted) {
				t.Errorf("the error does not show the redacted 535: %s", err)
			}
			// The PLAIN blob goes whole: a blob cut around the password
			// (its base64 run at some offset) would keep bits of it.
			if mech == "PLAIN" && !strings.Contains(err.Error(), "AUTH PLAIN "+channels.Redacted+`"`) {
				t.Errorf("the AUTH PLAIN blob is not redacted whole: %s", err)
			}
			if !channels.IsPermanent(err) {
				t.Errorf("535 is not permanent after redaction: %v", err)
			}
			if got := red.String(leak.Base64(pass)[0]); got != channels.Redacted {
				t.Errorf("the options' Redactor does not know base64(password): %q", got)
			}
		})
	}
}
