package email

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/notifier-dev/notifier/internal/testutil/smtpd"
)

// received is one message as the test SMTP server got it.
type received struct {
	from   string
	rcpts  []string
	data   []byte
	tls    bool // the message came over a TLS connection
	authed bool // the session authenticated
}

// serverOpts say what the test server demands and offers.
type serverOpts struct {
	tls      *tls.Config // offered by STARTTLS, or used for implicit TLS
	implicit bool        // speak TLS from the first byte
	user     string      // when set, AUTH PLAIN with user/pass is required
	pass     string
	// reject answers RCPT TO for these addresses with the given error.
	reject map[string]*smtp.SMTPError
	// insecureAuth allows AUTH without TLS when tls is set (without tls it
	// is always allowed).
	insecureAuth bool
}

// testServer is a real SMTP server (internal/testutil/smtpd, on
// emersion/go-smtp) on 127.0.0.1 that records every message it accepts.
// Without tls, AUTH is allowed in clear.
type testServer struct {
	addr string
	srv  *smtpd.Server
}

func startServer(t *testing.T, opts serverOpts) *testServer {
	t.Helper()
	srv := smtpd.Start(t, smtpd.Options{
		Username: opts.user, Password: opts.pass,
		TLS: opts.tls, Implicit: opts.implicit,
		Reject: opts.reject, AllowInsecureAuth: opts.insecureAuth,
	})
	return &testServer{addr: srv.Addr(), srv: srv}
}

func (ts *testServer) messages() []received {
	var out []received
	for _, m := range ts.srv.Messages() {
		out = append(out, received{from: m.From, rcpts: m.To, data: m.Data, tls: m.TLS, authed: m.Authed})
	}
	return out
}

// selfSigned returns a server TLS config with a fresh self-signed
// certificate for 127.0.0.1 and localhost, and the path of its PEM in a
// temporary directory, for ca_file.
func selfSigned(t *testing.T) (*tls.Config, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "notifier test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, path
}
