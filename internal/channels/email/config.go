// Package email sends each reminder as a multipart (text and HTML) email
// through an SMTP server.
//
// The message is built with gopkg.in/gomail.v2; the SMTP conversation is
// driven here over net/smtp (through gomail.SendFunc) rather than by
// gomail.Dialer, because the Dialer has a fixed 10-second dial timeout and no
// context, always attempts STARTTLS when the server offers it (so tls: none
// could not be honoured), and flattens the server's reply into a string, which
// would lose the SMTP code that says whether to retry.
package email

import (
	"crypto/x509"
	"fmt"
	"net"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
)

// TLS modes, the values of the tls key.
const (
	// TLSStartTLS connects in clear and upgrades with STARTTLS, which the
	// server must offer (submission, port 587). The default.
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (SMTPS, port 465).
	TLSImplicit = "tls"
	// TLSNone never encrypts, even when the server offers STARTTLS. Only for
	// a relay on a trusted network or a local test server.
	TLSNone = "none"
)

// DefaultTLS is the mode used when the tls key is absent or empty.
const DefaultTLS = TLSStartTLS

// DefaultTimeout bounds one whole delivery (connect, TLS, AUTH, MAIL, RCPT,
// DATA) when the timeout key is absent or zero. A shorter deadline on Send's
// context wins.
const DefaultTimeout = 30 * time.Second

// Config is an email channel's configuration (a channel of type: email).
//
// Defaults: an empty TLS means DefaultTLS ("starttls"), and Validate writes
// it back into the Config; an empty Timeout means DefaultTimeout. New applies
// the same defaults to a Config that was not validated.
type Config struct {
	// SMTP is the server as host:port, e.g. smtp.example.com:587.
	SMTP string `yaml:"smtp"`
	// TLS is "starttls" (default), "tls" (implicit TLS) or "none".
	TLS string `yaml:"tls"`
	// Username and Password authenticate with AUTH (PLAIN, LOGIN or
	// CRAM-MD5, whichever the server offers, in that order). Both or none.
	// The user name may be a secret too (Amazon SES's is an access key
	// id): the config takes it from ${NAME} (the secret tag).
	Username string          `yaml:"username" secret:"true"`
	Password channels.Secret `yaml:"password"`
	// From is the sender, "Notifier <notifier@example.com>" or a bare address.
	From string `yaml:"from"`
	// To and CC are the recipients; To needs at least one.
	To []string `yaml:"to"`
	CC []string `yaml:"cc"`
	// HTMLTemplate overrides the default HTML body; it is an html/template
	// whose data is a channels.Message, with channels.Funcs available.
	HTMLTemplate string `yaml:"html_template"`
	// InsecureSkipVerify accepts any server certificate. For tests only;
	// prefer CAFile.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
	// CAFile is a PEM file of CA certificates trusted in addition to the
	// system's, for a server with a private or self-signed certificate.
	CAFile string `yaml:"ca_file"`
	// Timeout bounds one delivery; default DefaultTimeout.
	Timeout time.Duration `yaml:"timeout"`
}

// Routable: a message may go to the owner's addresses instead of to:.
func (c *Config) Routable() error { return nil }

// Recipient is the To and CC addresses.
func (c *Config) Recipient() string {
	s := "to " + strings.Join(c.To, ", ")
	if len(c.CC) > 0 {
		s += "; cc " + strings.Join(c.CC, ", ")
	}
	return s
}

// Validate reports every problem at once. It fills in the default tls mode,
// reads ca_file and renders html_template on sample messages, but never
// contacts the server and never quotes the password.
func (c *Config) Validate() []channels.FieldError {
	var errs []channels.FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, channels.FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if c.TLS == "" {
		c.TLS = DefaultTLS
	}

	host := ""
	if c.SMTP == "" {
		add("smtp", "missing: the SMTP server as host:port, e.g. smtp.example.com:587")
	} else if h, err := splitHostPort(c.SMTP); err != nil {
		add("smtp", "%q is not host:port (e.g. smtp.example.com:587): %v", c.SMTP, err)
	} else {
		host = h
	}

	switch c.TLS {
	case TLSStartTLS, TLSImplicit, TLSNone:
	default:
		add("tls", "must be %q (default), %q (implicit TLS, port 465) or %q, not %q", TLSStartTLS, TLSImplicit, TLSNone, c.TLS)
	}

	switch {
	case c.Password != "" && c.Username == "":
		add("password", "is set but username is not")
	case c.Username != "" && c.Password == "":
		add("password", "missing: username is set but the password is empty (is its ${ENV} variable set?)")
	}
	if c.Username != "" && c.TLS == TLSNone && host != "" && !isLoopback(host) {
		add("tls", "%q would send the password in clear; use %q or %q", TLSNone, TLSStartTLS, TLSImplicit)
	}

	if c.From == "" {
		add("from", "missing: the sender address, e.g. \"Notifier <notifier@example.com>\"")
	} else if _, err := parseAddress(c.From); err != nil {
		add("from", "%v", err)
	}
	if len(c.To) == 0 {
		add("to", "missing: at least one recipient address")
	}
	for _, list := range []struct {
		field string
		addrs []string
	}{{"to", c.To}, {"cc", c.CC}} {
		for i, a := range list.addrs {
			if _, err := parseAddress(a); err != nil {
				add(list.field, "entry %d: %v", i+1, err)
			}
		}
	}

	if c.CAFile != "" {
		if _, err := loadCAs(c.CAFile); err != nil {
			add("ca_file", "%v", err)
		}
	}
	if c.HTMLTemplate != "" {
		if err := checkHTMLTemplate(c.HTMLTemplate); err != nil {
			add("html_template", "%v", err)
		}
	}
	if c.Timeout < 0 {
		add("timeout", "must not be negative")
	}
	return errs
}

var (
	_ channels.Config  = (*Config)(nil)
	_ channels.Channel = (*Channel)(nil)
)

// Build returns the channel. It does not contact the server.
func (c *Config) Build(name string, opts channels.Options) (channels.Channel, error) {
	ch, err := New(name, *c, opts)
	if err != nil {
		return nil, err
	}
	return ch, nil
}

func splitHostPort(hostport string) (string, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return "", err
	}
	if host == "" {
		return "", fmt.Errorf("no host")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("port %q is not a number from 1 to 65535", port)
	}
	return host, nil
}

// isLoopback is net/smtp's notion of a server it will send a password to
// without TLS.
func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// parseAddress parses one RFC 5322 address (with or without a display name).
func parseAddress(s string) (*mail.Address, error) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not an email address: %v", s, err)
	}
	return a, nil
}

// loadCAs returns the system pool (or an empty one) with path's certificates.
func loadCAs(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %v", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}
