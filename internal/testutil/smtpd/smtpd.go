// Package smtpd runs a real SMTP server (github.com/emersion/go-smtp) over
// TCP on 127.0.0.1 for tests, and records every message it accepts: the
// envelope, the raw data and the parsed header.
//
// By default it accepts mail from anyone, in clear. Options add AUTH PLAIN
// or LOGIN (required before MAIL FROM), STARTTLS or implicit TLS,
// per-recipient rejections, and a server that rejects every AUTH with a
// reply quoting what the client sent (EchoAuth), for redaction tests.
package smtpd

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"mime"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options say what the server demands and offers. The zero value is a plain
// server that accepts every message.
type Options struct {
	// Username, when set, makes AUTH with Username and Password required
	// before MAIL FROM. Without TLS, AUTH is allowed in clear.
	Username, Password string
	// Mechanisms are the AUTH mechanisms offered, "PLAIN" and/or "LOGIN";
	// nil means PLAIN alone.
	Mechanisms []string
	// EchoAuth rejects every AUTH with 535 5.7.8 and a text that quotes,
	// in base64 as received, what the client sent: the PLAIN blob, or for
	// LOGIN the user name and the password. It offers AUTH even without
	// Username.
	EchoAuth bool
	// TLS is offered by STARTTLS, or used from the first byte when Implicit.
	// With TLS set, AUTH is only accepted over TLS, unless
	// AllowInsecureAuth.
	TLS               *tls.Config
	Implicit          bool
	AllowInsecureAuth bool
	// Reject answers RCPT TO for these addresses with the given error.
	Reject map[string]*smtp.SMTPError
}

// Message is one message as the server accepted it.
type Message struct {
	From   string   // MAIL FROM
	To     []string // every RCPT TO, in order
	Data   []byte   // the raw message after DATA
	Header mail.Header
	TLS    bool // it came over a TLS connection
	Authed bool // the session authenticated
}

// Subject is the Subject header, RFC 2047 words decoded.
func (m Message) Subject() string {
	s := m.Header.Get("Subject")
	if d, err := new(mime.WordDecoder).DecodeHeader(s); err == nil {
		return d
	}
	return s
}

// Server is a running SMTP server, closed at the end of the test.
type Server struct {
	addr string
	opts Options

	mu      sync.Mutex
	msgs    []Message
	taken   int           // messages already returned by Next
	arrived chan struct{} // closed (and replaced) when a message arrives
}

// Start starts a server on 127.0.0.1:0; it is closed when tb ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := &Server{opts: opts, arrived: make(chan struct{})}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.TLSConfig = opts.TLS
	srv.AllowInsecureAuth = opts.TLS == nil || opts.AllowInsecureAuth
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s.addr = l.Addr().String()
	if opts.Implicit {
		if opts.TLS == nil {
			l.Close()
			tb.Fatal("smtpd: Implicit needs TLS")
		}
		l = tls.NewListener(l, opts.TLS)
	}
	go func() { _ = srv.Serve(l) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// Messages returns every message accepted so far, oldest first (including
// those Next returned).
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Pending returns the messages Next has not returned yet, without waiting,
// and marks them returned.
func (s *Server) Pending() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]Message(nil), s.msgs[s.taken:]...)
	s.taken = len(s.msgs)
	return out
}

// Next returns the oldest message not yet returned by Next or Pending,
// waiting for one at most timeout.
func (s *Server) Next(timeout time.Duration) (Message, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		if s.taken < len(s.msgs) {
			m := s.msgs[s.taken]
			s.taken++
			s.mu.Unlock()
			return m, nil
		}
		arrived := s.arrived
		s.mu.Unlock()
		select {
		case <-arrived:
		case <-timer.C:
			return Message{}, errors.New("smtpd: no message within " + timeout.String())
		}
	}
}

func (s *Server) add(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	close(s.arrived)
	s.arrived = make(chan struct{})
}

type session struct {
	s      *Server
	conn   *smtp.Conn
	authed bool
	from   string
	rcpts  []string
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.Username == "" && !ss.s.opts.EchoAuth {
		return nil
	}
	if m := ss.s.opts.Mechanisms; m != nil {
		return m
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	check := func(username, password string) error {
		if username != ss.s.opts.Username || password != ss.s.opts.Password {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}
	switch {
	case strings.EqualFold(mech, sasl.Plain) && ss.s.opts.EchoAuth:
		return saslFunc(func(response []byte) ([]byte, bool, error) {
			if response == nil {
				return []byte{}, false, nil // no initial response: ask for it
			}
			return nil, false, echo("PLAIN", response)
		}), nil
	case strings.EqualFold(mech, sasl.Plain):
		return sasl.NewPlainServer(func(_, username, password string) error { return check(username, password) }), nil
	case strings.EqualFold(mech, sasl.Login):
		return &loginServer{check: check, echo: ss.s.opts.EchoAuth}, nil
	}
	return nil, errors.New("unsupported mechanism")
}

// echo is the 535 of EchoAuth: it quotes what the client sent, in base64
// as it was on the wire.
func echo(mech string, sent ...[]byte) error {
	quoted := make([]string, len(sent))
	for i, b := range sent {
		quoted[i] = base64.StdEncoding.EncodeToString(b)
	}
	return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8},
		Message: "Authentication credentials invalid: AUTH " + mech + " " + strings.Join(quoted, " ")}
}

// saslFunc is a sasl.Server made of its Next.
type saslFunc func(response []byte) (challenge []byte, done bool, err error)

func (f saslFunc) Next(response []byte) ([]byte, bool, error) { return f(response) }

// loginServer is the server side of AUTH LOGIN (go-sasl has only the
// client): "Username:", then "Password:".
type loginServer struct {
	check    func(username, password string) error
	echo     bool
	step     int
	username []byte
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		if response != nil { // an initial response is the user name
			l.username = response
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 2:
		l.username = response
		return []byte("Password:"), false, nil
	case 3:
		if l.echo {
			return nil, false, echo("LOGIN", l.username, response)
		}
		return nil, true, l.check(string(l.username), string(response))
	}
	return nil, false, errors.New("unexpected response")
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.opts.Username != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if e := ss.s.opts.Reject[to]; e != nil {
		return e
	}
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := Message{From: ss.from, To: append([]string(nil), ss.rcpts...), Data: b, Authed: ss.authed}
	if parsed, err := mail.ReadMessage(bytes.NewReader(b)); err == nil {
		m.Header = parsed.Header
	}
	_, m.TLS = ss.conn.TLSConnectionState()
	ss.s.add(m)
	return nil
}

func (ss *session) Reset()        { ss.from, ss.rcpts = "", nil }
func (ss *session) Logout() error { return nil }
