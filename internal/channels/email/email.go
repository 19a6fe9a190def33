package email

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"gopkg.in/gomail.v2"

	"github.com/notifier-dev/notifier/internal/channels"
)

// Channel sends reminders through one SMTP server to a fixed list of
// recipients. Formatted (%v, %+v, %#v) or logged, it shows only its name
// and type.
type Channel struct {
	name    string
	cfg     Config
	host    string // the smtp key's host, also the TLS server name
	from    string // From header, formatted
	domain  string // the sender address's domain, for Message-ID
	to, cc  []string
	html    *template.Template
	tlsConf *tls.Config
	timeout time.Duration
	logger  *slog.Logger
	red     *channels.Redactor
}

// New checks cfg (as Validate does, defaults included) and returns the
// channel. It does not contact the server.
func New(name string, cfg Config, opts channels.Options) (*Channel, error) {
	if errs := cfg.Validate(); len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
		}
		return nil, fmt.Errorf("email %s: invalid config: %s", name, strings.Join(msgs, "; "))
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	host, _ := splitHostPort(cfg.SMTP)
	gm := gomail.NewMessage()
	from, _ := parseAddress(cfg.From)
	c := &Channel{
		name:    name,
		cfg:     cfg,
		host:    host,
		from:    gm.FormatAddress(from.Address, from.Name),
		domain:  from.Address[strings.LastIndexByte(from.Address, '@')+1:],
		timeout: cfg.Timeout,
		logger:  opts.Logger,
		red:     opts.RedactorOrNew(),
	}
	// The password, and the forms AUTH PLAIN and AUTH LOGIN send it in.
	c.red.AddLogin(cfg.Username, string(cfg.Password))
	for _, s := range cfg.To {
		a, _ := parseAddress(s)
		c.to = append(c.to, gm.FormatAddress(a.Address, a.Name))
	}
	for _, s := range cfg.CC {
		a, _ := parseAddress(s)
		c.cc = append(c.cc, gm.FormatAddress(a.Address, a.Name))
	}
	src := DefaultHTML
	if cfg.HTMLTemplate != "" {
		src = cfg.HTMLTemplate
	}
	t, err := parseHTML(src)
	if err != nil {
		return nil, fmt.Errorf("email %s: html_template: %v", name, err)
	}
	c.html = t
	if cfg.TLS != TLSNone {
		c.tlsConf = &tls.Config{
			ServerName:         host,
			MinVersion:         tls.VersionTLS12,
			InsecureSkipVerify: cfg.InsecureSkipVerify,
		}
		if cfg.CAFile != "" {
			pool, err := loadCAs(cfg.CAFile)
			if err != nil {
				return nil, fmt.Errorf("email %s: ca_file: %v", name, err)
			}
			c.tlsConf.RootCAs = pool
		}
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

func (c *Channel) Name() string { return c.name }
func (c *Channel) Type() string { return "email" }

// String is the channel's name and type, never its password.
func (c *Channel) String() string { return channels.Describe(c) }

// GoString is String, for %#v.
func (c *Channel) GoString() string { return channels.Describe(c) }

// LogValue is what slog shows of the channel: its name and type.
func (c *Channel) LogValue() slog.Value { return channels.LogValue(c) }

// Send delivers m to every recipient in one SMTP transaction: either the
// server accepts the message for all of them or nobody is sent it.
//
// Connection failures, timeouts and 4xx replies are retryable; 5xx replies
// (authentication failed, mailbox unavailable, bad address), certificate
// verification failures and a server that lacks what the config demands
// (STARTTLS, AUTH) are permanent. The password never appears in the error.
func (c *Channel) Send(ctx context.Context, m channels.Message) error {
	msg, err := c.message(m)
	if err != nil {
		return channels.Permanent(fmt.Errorf("email %s: %w", c.name, err))
	}
	if err := c.deliver(ctx, msg); err != nil {
		err = classify(fmt.Errorf("email %s: smtp %s: %w", c.name, c.cfg.SMTP, err))
		return c.red.Error(err)
	}
	c.logger.Debug("email sent", "channel", c.name, "delivery", m.DeliveryID, "recipients", len(c.to)+len(c.cc))
	return nil
}

// message builds the email for m, without sending it.
func (c *Channel) message(m channels.Message) (*gomail.Message, error) {
	html, err := c.renderHTML(m)
	if err != nil {
		return nil, fmt.Errorf("html_template: %v", err)
	}
	subject := m.Subject
	if subject == "" {
		subject = m.Name + ": " + m.Status()
	}
	date := m.Now
	if date.IsZero() {
		date = time.Now()
	}
	gm := gomail.NewMessage()
	gm.SetHeader("From", c.from)
	to := c.to
	if len(m.To) > 0 {
		to = nil
		for _, s := range m.To {
			a, err := parseAddress(s)
			if err != nil {
				return nil, err
			}
			to = append(to, gm.FormatAddress(a.Address, a.Name))
		}
	}
	gm.SetHeader("To", to...)
	if len(c.cc) > 0 {
		gm.SetHeader("Cc", c.cc...)
	}
	gm.SetHeader("Subject", oneLine(subject))
	gm.SetHeader("Message-ID", c.messageID(m))
	gm.SetDateHeader("Date", date)
	gm.SetHeader("X-Notifier-Credential", oneLine(m.Credential))
	gm.SetHeader("X-Notifier-Stage", oneLine(m.Stage))
	gm.SetHeader("X-Notifier-Delivery", strconv.FormatInt(m.DeliveryID, 10))
	gm.SetBody("text/plain", m.Text)
	gm.AddAlternative("text/html", html)
	return gm, nil
}

// messageID is the Message-ID of m's email: derived from m.DeliveryKey, so
// that a resend of the same delivery (after a crash between the server's
// acceptance and the outbox update) carries the same id and mail clients
// can recognise it. A test message, or one without a key, gets a random id:
// notifier test uses one fixed sample key, and some providers silently drop
// a second message with an id they have seen.
func (c *Channel) messageID(m channels.Message) string {
	var id string
	if m.DeliveryKey == "" || m.Test {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		id = "test." + hex.EncodeToString(b)
	} else {
		sum := sha256.Sum256([]byte(m.DeliveryKey))
		id = hex.EncodeToString(sum[:16])
	}
	return "<notifier." + id + "@" + c.domain + ">"
}

// oneLine keeps a header value on one line whatever a template produced.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// configError is a failure that retrying cannot fix: the server lacks what
// the configuration demands.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

func (c *Channel) deliver(ctx context.Context, msg *gomail.Message) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.cfg.SMTP)
	if err != nil {
		return err
	}
	defer conn.Close()
	// The whole conversation shares ctx's deadline, and cancelling ctx
	// interrupts a blocked read or write at once.
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	err = c.converse(ctx, conn, msg)
	if err == nil {
		return nil
	}
	// The connection's deadline may fire a moment before ctx reports it.
	var ne net.Error
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w (%v)", cerr, err)
	} else if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w (%v)", context.DeadlineExceeded, err)
	}
	return err
}

func (c *Channel) converse(ctx context.Context, conn net.Conn, msg *gomail.Message) error {
	if c.cfg.TLS == TLSImplicit {
		tc := tls.Client(conn, c.tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("tls handshake: %w", err)
		}
		conn = tc
	}
	cl, err := smtp.NewClient(conn, c.host)
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	defer cl.Close()
	if err := cl.Hello("localhost"); err != nil {
		return fmt.Errorf("EHLO: %w", err)
	}
	if c.cfg.TLS == TLSStartTLS {
		if ok, _ := cl.Extension("STARTTLS"); !ok {
			return &configError{`the server does not offer STARTTLS (tls: starttls); use tls: tls for implicit TLS (port 465) or tls: none`}
		}
		if err := cl.StartTLS(c.tlsConf); err != nil {
			return fmt.Errorf("STARTTLS: %w", err)
		}
	}
	if c.cfg.Username != "" {
		auth, err := c.auth(cl)
		if err != nil {
			return err
		}
		if err := cl.Auth(auth); err != nil {
			return fmt.Errorf("AUTH as %s: %w", c.cfg.Username, err)
		}
	}
	// gomail.Send extracts the envelope from the headers and flattens the
	// error into a string; keep the original for classification.
	var sendErr error
	err = gomail.Send(gomail.SendFunc(func(from string, to []string, w io.WriterTo) error {
		sendErr = transaction(cl, from, to, w)
		return sendErr
	}), msg)
	if sendErr != nil {
		return sendErr
	}
	if err != nil {
		return &configError{err.Error()}
	}
	// The server has accepted the message; a failed QUIT changes nothing.
	_ = cl.Quit()
	return nil
}

func transaction(cl *smtp.Client, from string, to []string, w io.WriterTo) error {
	if err := cl.Mail(from); err != nil {
		return fmt.Errorf("MAIL FROM %s: %w", from, err)
	}
	for _, addr := range to {
		if err := cl.Rcpt(addr); err != nil {
			return fmt.Errorf("RCPT TO %s: %w", addr, err)
		}
	}
	wc, err := cl.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.WriteTo(wc); err != nil {
		wc.Close()
		return fmt.Errorf("DATA: %w", err)
	}
	if err := wc.Close(); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	return nil
}

// auth picks the first mechanism the server offers among PLAIN, LOGIN and
// CRAM-MD5.
func (c *Channel) auth(cl *smtp.Client) (smtp.Auth, error) {
	ok, offered := cl.Extension("AUTH")
	if !ok {
		return nil, &configError{"username is set but the server does not offer AUTH on this connection"}
	}
	mechs := strings.Fields(strings.ToUpper(offered))
	has := func(m string) bool {
		for _, x := range mechs {
			if x == m {
				return true
			}
		}
		return false
	}
	user, pass := c.cfg.Username, string(c.cfg.Password)
	switch {
	case has("PLAIN"):
		return smtp.PlainAuth("", user, pass, c.host), nil
	case has("LOGIN"):
		return &loginAuth{user: user, pass: pass, host: c.host}, nil
	case has("CRAM-MD5"):
		return smtp.CRAMMD5Auth(user, pass), nil
	}
	return nil, &configError{fmt.Sprintf("the server offers AUTH %s; supported are PLAIN, LOGIN and CRAM-MD5", offered)}
}

// loginAuth is the LOGIN mechanism (Office 365 and older Exchange offer
// only this one), with net/smtp's PlainAuth rule: never in clear except to
// the local host.
type loginAuth struct {
	user, pass, host string
	step             int
}

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !isLoopback(server.Name) {
		return "", nil, errors.New("unencrypted connection")
	}
	if server.Name != a.host {
		return "", nil, errors.New("wrong host name")
	}
	a.step = 0
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	a.step++
	prompt := strings.ToLower(string(fromServer))
	switch {
	case strings.HasPrefix(prompt, "user"):
		return []byte(a.user), nil
	case strings.HasPrefix(prompt, "pass"):
		return []byte(a.pass), nil
	case a.step == 1:
		return []byte(a.user), nil
	case a.step == 2:
		return []byte(a.pass), nil
	}
	return nil, errors.New("unexpected LOGIN challenge")
}

// classify marks err Permanent or Retryable.
func classify(err error) error {
	var (
		tpe     *textproto.Error
		cfgErr  *configError
		certErr *tls.CertificateVerificationError
		uaErr   x509.UnknownAuthorityError
		hostErr x509.HostnameError
		invErr  x509.CertificateInvalidError
		recErr  tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &tpe):
		// 4xx: transient (greylisting, mailbox busy, try later);
		// 5xx: permanent (535 authentication failed, 550 mailbox
		// unavailable, 553 bad address, 554 rejected).
		if tpe.Code >= 400 && tpe.Code < 500 {
			return channels.Retryable(err)
		}
		return channels.Permanent(err)
	case errors.As(err, &cfgErr),
		errors.As(err, &certErr), errors.As(err, &uaErr),
		errors.As(err, &hostErr), errors.As(err, &invErr):
		return channels.Permanent(err)
	case errors.As(err, &recErr):
		// The server did not answer in TLS: tls: tls against a plain
		// SMTP port. Retrying will not change it.
		return channels.Permanent(fmt.Errorf("%w (is the server speaking implicit TLS? check tls:)", err))
	}
	// Connection refused, resets, timeouts, DNS failures, EOF.
	return channels.Retryable(err)
}
