package email

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	netsmtp "net/smtp"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/notifier-dev/notifier/internal/channels"
)

const testPassword = "s3cret-Pa55word"

// reminder is a 30-day reminder rendered with the default templates; its
// name carries markup that the HTML body must escape.
func reminder(t *testing.T) channels.Message {
	t.Helper()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	m := channels.Message{
		DeliveryID:    42,
		DeliveryKey:   "lwa-prod/3/30d/ops/0",
		Credential:    "lwa-prod",
		Name:          `LWA <script>alert("x")</script> secret`,
		Owner:         "payments team",
		Stage:         "30d",
		RotatedAt:     now.Add(-150 * day),
		Deadline:      now.Add(30 * day),
		Now:           now,
		DaysRemaining: 30,
		AckURL:        "https://notifier.example.com/ack/42?token=abc&x=1",
	}
	for src, dst := range map[string]*string{channels.DefaultSubject: &m.Subject, channels.DefaultText: &m.Text} {
		tmpl, err := channels.ParseTemplate("t", src)
		if err != nil {
			t.Fatal(err)
		}
		if *dst, err = channels.Render(tmpl, m); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func newChannel(t *testing.T, cfg Config) *Channel {
	t.Helper()
	ch, err := New("ops", cfg, channels.Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return ch
}

// baseConfig is a channel for ts with STARTTLS trusted through ca_file.
func baseConfig(ts *testServer, caFile string) Config {
	return Config{
		SMTP:   ts.addr,
		From:   "Notifier <notifier@example.com>",
		To:     []string{"Admins <admins@example.com>", "bob@example.org"},
		CC:     []string{"audit@example.net"},
		CAFile: caFile,
	}
}

func wantMessageID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "<notifier." + hex.EncodeToString(sum[:16]) + "@example.com>"
}

// parsed is what a recipient's mail client sees.
type parsed struct {
	header mail.Header
	parts  map[string]string // media type -> decoded body
}

func parse(t *testing.T, raw []byte) parsed {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not a mail message: %v\n%s", err, raw)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	p := parsed{header: msg.Header, parts: map[string]string{}}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var order []string
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pt, pparams, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.EqualFold(pparams["charset"], "utf-8") {
			t.Errorf("%s part charset = %q, want UTF-8", pt, pparams["charset"])
		}
		body, err := io.ReadAll(part) // quoted-printable is decoded by multipart
		if err != nil {
			t.Fatal(err)
		}
		p.parts[pt] = strings.ReplaceAll(string(body), "\r\n", "\n")
		order = append(order, pt)
	}
	if want := []string{"text/plain", "text/html"}; !slices.Equal(order, want) {
		t.Fatalf("parts = %v, want %v (plain first, as multipart/alternative requires)", order, want)
	}
	return p
}

func addresses(t *testing.T, h mail.Header, key string) []string {
	t.Helper()
	list, err := h.AddressList(key)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	var out []string
	for _, a := range list {
		out = append(out, a.Name+" <"+a.Address+">")
	}
	return out
}

func TestSendStartTLSAuthMessage(t *testing.T) {
	tlsConf, caFile := selfSigned(t)
	ts := startServer(t, serverOpts{tls: tlsConf, user: "notifier", pass: testPassword})
	cfg := baseConfig(ts, caFile)
	cfg.Username, cfg.Password = "notifier", testPassword
	ch := newChannel(t, cfg)
	if ch.Name() != "ops" || ch.Type() != "email" {
		t.Errorf("Name, Type = %q, %q", ch.Name(), ch.Type())
	}
	m := reminder(t)

	if err := ch.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	msgs := ts.messages()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if !got.tls || !got.authed {
		t.Errorf("tls=%v authed=%v, want the message sent over STARTTLS after AUTH", got.tls, got.authed)
	}
	if got.from != "notifier@example.com" {
		t.Errorf("MAIL FROM = %q", got.from)
	}
	if want := []string{"admins@example.com", "bob@example.org", "audit@example.net"}; !slices.Equal(got.rcpts, want) {
		t.Errorf("RCPT TO = %v, want %v", got.rcpts, want)
	}

	p := parse(t, got.data)
	h := p.header
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil || subject != m.Subject {
		t.Errorf("Subject = %q (%v), want %q", subject, err, m.Subject)
	}
	if !strings.Contains(subject, "30 days remaining") {
		t.Errorf("Subject %q lacks the status", subject)
	}
	if got, want := addresses(t, h, "From"), []string{"Notifier <notifier@example.com>"}; !slices.Equal(got, want) {
		t.Errorf("From = %v, want %v", got, want)
	}
	if got, want := addresses(t, h, "To"), []string{"Admins <admins@example.com>", " <bob@example.org>"}; !slices.Equal(got, want) {
		t.Errorf("To = %v, want %v", got, want)
	}
	if got, want := addresses(t, h, "Cc"), []string{" <audit@example.net>"}; !slices.Equal(got, want) {
		t.Errorf("Cc = %v, want %v", got, want)
	}
	if got, want := h.Get("Message-ID"), wantMessageID(m.DeliveryKey); got != want {
		t.Errorf("Message-ID = %q, want %q", got, want)
	}
	if date, err := h.Date(); err != nil || !date.Equal(m.Now) {
		t.Errorf("Date = %v (%v), want %v", date, err, m.Now)
	}
	for k, want := range map[string]string{
		"X-Notifier-Credential": "lwa-prod",
		"X-Notifier-Stage":      "30d",
		"X-Notifier-Delivery":   "42",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}

	text := p.parts["text/plain"]
	if strings.TrimRight(text, "\n") != strings.TrimRight(m.Text, "\n") {
		t.Errorf("text part = %q, want m.Text %q", text, m.Text)
	}
	if !strings.Contains(text, "30 days remaining") {
		t.Errorf("text part lacks the days remaining:\n%s", text)
	}

	html := p.parts["text/html"]
	for _, want := range []string{
		`<a href="https://notifier.example.com/ack/42?token=abc&amp;x=1">`,
		`LWA &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; secret: 30 days remaining`,
		"payments team",
		"Tue 31 Mar 2026 09:00 UTC", // the deadline
		"not yet",                   // the acknowledged state
	} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML part lacks %q:\n%s", want, html)
		}
	}
	if strings.Contains(html, "<script>") {
		t.Errorf("HTML part contains an unescaped <script>:\n%s", html)
	}
}

func TestMessageIDStableAcrossResends(t *testing.T) {
	ts := startServer(t, serverOpts{})
	cfg := baseConfig(ts, "")
	cfg.TLS = TLSNone
	ch := newChannel(t, cfg)
	m := reminder(t)
	other := m
	other.DeliveryKey, other.DeliveryID = "lwa-prod/3/7d/ops/0", 43
	test := channels.Sample(m.Now)
	test.Subject, test.Text = "[test] sample", "sample"

	for _, msg := range []channels.Message{m, m, other, test, test} {
		if err := ch.Send(context.Background(), msg); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	msgs := ts.messages()
	if len(msgs) != 5 {
		t.Fatalf("received %d messages, want 5", len(msgs))
	}
	ids := make([]string, len(msgs))
	for i, r := range msgs {
		ids[i] = parse(t, r.data).header.Get("Message-ID")
	}
	if ids[0] != wantMessageID(m.DeliveryKey) || ids[1] != ids[0] {
		t.Errorf("the same delivery sent twice got ids %q and %q, want both %q", ids[0], ids[1], wantMessageID(m.DeliveryKey))
	}
	if ids[2] != wantMessageID(other.DeliveryKey) || ids[2] == ids[0] {
		t.Errorf("another delivery got id %q, want %q", ids[2], wantMessageID(other.DeliveryKey))
	}
	testID := regexp.MustCompile(`^<notifier\.test\.[0-9a-f]{32}@example\.com>$`)
	if !testID.MatchString(ids[3]) || !testID.MatchString(ids[4]) || ids[3] == ids[4] {
		t.Errorf("test messages got ids %q and %q, want two different random ids", ids[3], ids[4])
	}
}

func TestImplicitTLS(t *testing.T) {
	tlsConf, caFile := selfSigned(t)
	ts := startServer(t, serverOpts{tls: tlsConf, implicit: true, user: "notifier", pass: testPassword})
	cfg := baseConfig(ts, caFile)
	cfg.TLS = TLSImplicit
	cfg.Username, cfg.Password = "notifier", testPassword
	if err := newChannel(t, cfg).Send(context.Background(), reminder(t)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	msgs := ts.messages()
	if len(msgs) != 1 || !msgs[0].tls || !msgs[0].authed {
		t.Fatalf("received %+v, want one message over TLS after AUTH", msgs)
	}
}

func TestTLSNoneIgnoresOfferedSTARTTLS(t *testing.T) {
	tlsConf, _ := selfSigned(t)
	ts := startServer(t, serverOpts{tls: tlsConf})

	// The server does offer STARTTLS (gomail's Dialer would take it).
	c, err := netsmtp.Dial(ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	offered, _ := c.Extension("STARTTLS")
	_ = c.Quit()
	if !offered {
		t.Fatal("test server does not offer STARTTLS; the test would prove nothing")
	}

	cfg := baseConfig(ts, "") // no CA: a TLS handshake would fail verification
	cfg.TLS = TLSNone
	if err := newChannel(t, cfg).Send(context.Background(), reminder(t)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	msgs := ts.messages()
	if len(msgs) != 1 || msgs[0].tls {
		t.Fatalf("received %+v, want one message in clear", msgs)
	}
}

func TestInsecureSkipVerify(t *testing.T) {
	tlsConf, _ := selfSigned(t)
	ts := startServer(t, serverOpts{tls: tlsConf})
	cfg := baseConfig(ts, "")
	cfg.InsecureSkipVerify = true
	if err := newChannel(t, cfg).Send(context.Background(), reminder(t)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if msgs := ts.messages(); len(msgs) != 1 || !msgs[0].tls {
		t.Fatalf("received %+v, want one message over TLS", msgs)
	}
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// silentAddr accepts connections and never says a word.
func silentAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
			close(done)
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
	return l.Addr().String()
}

func TestSendErrors(t *testing.T) {
	tlsConf, caFile := selfSigned(t)
	authServer := startServer(t, serverOpts{tls: tlsConf, user: "notifier", pass: "the-right-one"})
	plainServer := startServer(t, serverOpts{})
	rejecting := startServer(t, serverOpts{reject: map[string]*smtp.SMTPError{
		"bob@example.org": {Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"},
	}})
	greylisting := startServer(t, serverOpts{reject: map[string]*smtp.SMTPError{
		"bob@example.org": {Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Greylisted, try again later"},
	}})
	closed, silent := closedAddr(t), silentAddr(t)

	tests := []struct {
		name      string
		server    *testServer // nil: addr
		addr      string
		cfg       func(*Config)
		ctx       func() (context.Context, context.CancelFunc)
		retryable bool
		contains  []string
		isErr     error
	}{
		{
			name:   "wrong password",
			server: authServer,
			cfg: func(c *Config) {
				c.CAFile, c.Username, c.Password = caFile, "notifier", testPassword
			},
			contains: []string{"AUTH as notifier", "535"},
		},
		{
			name:      "connection refused",
			addr:      closed,
			cfg:       func(c *Config) { c.TLS = TLSNone },
			retryable: true,
			contains:  []string{"connection refused"},
		},
		{
			name:     "550 mailbox unavailable",
			server:   rejecting,
			cfg:      func(c *Config) { c.TLS = TLSNone },
			contains: []string{"RCPT TO bob@example.org", "550", "No such user"},
		},
		{
			name:      "451 greylisted",
			server:    greylisting,
			cfg:       func(c *Config) { c.TLS = TLSNone },
			retryable: true,
			contains:  []string{"RCPT TO bob@example.org", "451"},
		},
		{
			name:     "unknown certificate authority",
			server:   authServer,
			cfg:      func(c *Config) { c.Username, c.Password = "notifier", testPassword },
			contains: []string{"STARTTLS", "certificate"},
		},
		{
			name:     "STARTTLS demanded but not offered",
			server:   plainServer,
			cfg:      func(c *Config) {},
			contains: []string{"does not offer STARTTLS"},
		},
		{
			name:     "implicit TLS against a plain server",
			server:   plainServer,
			cfg:      func(c *Config) { c.TLS = TLSImplicit },
			contains: []string{"tls handshake", "implicit TLS"},
		},
		{
			name: "context deadline on a silent server",
			addr: silent,
			cfg:  func(c *Config) { c.TLS = TLSNone },
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 100*time.Millisecond)
			},
			retryable: true,
			isErr:     context.DeadlineExceeded,
		},
		{
			name:      "configured timeout on a silent server",
			addr:      silent,
			cfg:       func(c *Config) { c.TLS, c.Timeout = TLSNone, 100*time.Millisecond },
			retryable: true,
			isErr:     context.DeadlineExceeded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := tt.addr
			if tt.server != nil {
				addr = tt.server.addr
			}
			before := 0
			if tt.server != nil {
				before = len(tt.server.messages())
			}
			cfg := Config{SMTP: addr, From: "notifier@example.com", To: []string{"admins@example.com", "bob@example.org"}}
			tt.cfg(&cfg)
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()

			start := time.Now()
			err := newChannel(t, cfg).Send(ctx, reminder(t))
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("Send took %v", elapsed)
			}
			msg := err.Error()
			t.Logf("error: %s", msg)
			if retry, _ := channels.Classify(err); retry != tt.retryable {
				t.Errorf("retryable = %v, want %v: %v", retry, tt.retryable, err)
			}
			if prefix := "email ops: smtp " + addr + ": "; !strings.HasPrefix(msg, prefix) {
				t.Errorf("error %q does not start with %q", msg, prefix)
			}
			for _, want := range tt.contains {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
			if strings.Contains(msg, testPassword) {
				t.Errorf("error quotes the password: %q", msg)
			}
			if tt.isErr != nil && !errors.Is(err, tt.isErr) {
				t.Errorf("error %q is not %v", msg, tt.isErr)
			}
			if tt.server != nil {
				if n := len(tt.server.messages()); n != before {
					t.Errorf("server accepted %d messages, want none", n-before)
				}
			}
		})
	}
}

func TestPasswordRedactedFromServerReply(t *testing.T) {
	// A server that quotes the password back must not leak it through
	// the error.
	ts := startServer(t, serverOpts{reject: map[string]*smtp.SMTPError{
		"admins@example.com": {Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "rejected " + testPassword},
	}, insecureAuth: true, user: "notifier", pass: testPassword})
	cfg := Config{SMTP: ts.addr, TLS: TLSNone, Username: "notifier", Password: testPassword,
		From: "notifier@example.com", To: []string{"admins@example.com"}}
	err := newChannel(t, cfg).Send(context.Background(), reminder(t))
	if err == nil {
		t.Fatal("Send succeeded")
	}
	if strings.Contains(err.Error(), testPassword) || !strings.Contains(err.Error(), "rejected <redacted>") {
		t.Errorf("error = %q, want the password redacted", err)
	}
	if !channels.IsPermanent(err) {
		t.Errorf("550 after redaction is not permanent: %v", err)
	}
}

func TestCustomHTMLTemplate(t *testing.T) {
	ts := startServer(t, serverOpts{})
	cfg := baseConfig(ts, "")
	cfg.TLS = TLSNone
	cfg.HTMLTemplate = `<p>{{.Name}} due {{day .Deadline}}{{if .AckURL}} <a href="{{.AckURL}}">ack</a>{{end}}</p>`
	m := reminder(t)
	if err := newChannel(t, cfg).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	msgs := ts.messages()
	if len(msgs) != 1 {
		t.Fatalf("received %d messages", len(msgs))
	}
	want := `<p>LWA &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; secret due 2026-03-31 <a href="https://notifier.example.com/ack/42?token=abc&amp;x=1">ack</a></p>`
	if got := parse(t, msgs[0].data).parts["text/html"]; got != want {
		t.Errorf("HTML part = %q, want %q", got, want)
	}
}

func TestBuildDoesNotContactServer(t *testing.T) {
	cfg := &Config{SMTP: closedAddr(t), From: "notifier@example.com", To: []string{"admins@example.com"}}
	ch, err := cfg.Build("ops", channels.Options{})
	if err != nil {
		t.Fatalf("Build against an unreachable server: %v", err)
	}
	if ch.Name() != "ops" || ch.Type() != "email" {
		t.Errorf("Name, Type = %q, %q", ch.Name(), ch.Type())
	}
	if cfg.TLS != "" {
		t.Errorf("Build changed the caller's config: tls = %q", cfg.TLS)
	}

	bad := &Config{SMTP: "nowhere", From: "notifier@example.com", To: []string{"admins@example.com"}}
	if ch, err := bad.Build("ops", channels.Options{}); err == nil || ch != nil {
		t.Errorf("Build of an invalid config = %v, %v; want nil and an error", ch, err)
	}
}
