// Package goaws runs goaws (github.com/Admiral-Piett/goaws v0.4.4), a real
// server of the SNS query protocol, inside the test process, on 127.0.0.1
// only, and gives tests what they need around it: topics with http
// subscriptions, a Recorder that receives what SNS delivers to a
// subscription, and a Proxy that records the raw requests an SDK sends.
//
// goaws keeps its state (topics, queues, environment, logrus logger) in
// package globals, so there is one server per process: Start returns the
// same Server to every caller. Topic names are global too; give each test its
// own (CreateTopic with a unique name).
//
// In-process rather than `go build` of goaws/app/cmd: nothing to build or
// install at test time, no free-port race (the listener is opened before
// goaws is served), no process to reap, and no listening on 0.0.0.0 (the
// goaws binary binds every interface; this binds loopback only).
package goaws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	goawsapp "github.com/Admiral-Piett/goaws/app"
	"github.com/Admiral-Piett/goaws/app/router"
	"github.com/sirupsen/logrus"
)

// Region and AccountID are what the server puts in the ARNs it makes.
const (
	Region    = "us-east-1"
	AccountID = "123456789012"
)

// Server is goaws listening on 127.0.0.1.
type Server struct {
	// URL is the endpoint to give the SDK ("http://127.0.0.1:PORT").
	URL string
}

var (
	startOnce sync.Once
	shared    *Server
	startErr  error
)

// Start starts goaws in this process the first time it is called and
// returns the same server afterwards; it lives until the process exits.
// goaws logs through logrus' standard logger, which Start silences unless
// GOAWS_LOG is set in the environment (GOAWS_LOG=debug for every request).
func Start() (*Server, error) {
	startOnce.Do(func() {
		switch os.Getenv("GOAWS_LOG") {
		case "":
			logrus.SetOutput(io.Discard)
		case "debug":
			logrus.SetLevel(logrus.DebugLevel)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			startErr = fmt.Errorf("goaws: listen: %w", err)
			return
		}
		_, port, _ := net.SplitHostPort(l.Addr().String())
		// Set before the first request is served: goaws reads these (without
		// a lock) to build ARNs and the URLs in SNS messages.
		goawsapp.CurrentEnvironment.Host = "127.0.0.1"
		goawsapp.CurrentEnvironment.Port = port
		goawsapp.CurrentEnvironment.Region = Region
		goawsapp.CurrentEnvironment.AccountID = AccountID
		srv := &http.Server{Handler: router.New(), ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(l) //nolint:errcheck // serves until the process exits
		shared = &Server{URL: "http://" + l.Addr().String()}
	})
	return shared, startErr
}

// MustStart is Start for tests: it fails tb if goaws can't start.
func MustStart(tb testing.TB) *Server {
	tb.Helper()
	s, err := Start()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// TopicARN is the ARN goaws gives the topic name.
func (s *Server) TopicARN(name string) string {
	return "arn:aws:sns:" + Region + ":" + AccountID + ":" + name
}

// CreateTopic creates the topic name (a name ending in ".fifo" makes a FIFO
// ARN; goaws does not treat it differently) with an http(s) subscription to
// each endpoint, confirmed already, and returns its ARN. It does what goaws
// does for topics declared in its YAML config: the Subscribe action would
// block for a second and then POST a SubscriptionConfirmation.
func (s *Server) CreateTopic(name string, endpoints ...string) string {
	arn := s.TopicARN(name)
	topic := &goawsapp.Topic{Name: name, Arn: arn}
	for i, ep := range endpoints {
		protocol := "http"
		if strings.HasPrefix(ep, "https:") {
			protocol = "https"
		}
		topic.Subscriptions = append(topic.Subscriptions, &goawsapp.Subscription{
			TopicArn:        arn,
			Protocol:        protocol,
			EndPoint:        ep,
			SubscriptionArn: fmt.Sprintf("%s:sub-%d", arn, i+1),
		})
	}
	goawsapp.SyncTopics.Lock()
	goawsapp.SyncTopics.Topics[name] = topic
	goawsapp.SyncTopics.Unlock()
	return arn
}

// Notification is the JSON document SNS POSTs to an http subscription.
type Notification struct {
	Type              string // "Notification" or "SubscriptionConfirmation"
	MessageId         string
	TopicArn          string
	Subject           string
	Message           string
	Timestamp         string
	SubscribeURL      string
	MessageAttributes map[string]Attribute
}

// Attribute is one message attribute of a Notification.
type Attribute struct {
	Type  string
	Value string
}

// Recorder is an http subscription endpoint on 127.0.0.1 that keeps every
// notification SNS delivers to it.
type Recorder struct {
	URL   string
	notes chan Notification
	errs  chan error
}

// NewRecorder starts a Recorder, closed at the end of the test. A
// SubscriptionConfirmation is confirmed (its SubscribeURL visited, as a
// real endpoint must do) and not kept.
func NewRecorder(tb testing.TB) *Recorder {
	r := &Recorder{notes: make(chan Notification, 64), errs: make(chan error, 64)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var n Notification
		if err := json.NewDecoder(req.Body).Decode(&n); err != nil {
			r.errs <- fmt.Errorf("recorder: %s %s: not an SNS JSON document: %w", req.Method, req.URL, err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if n.Type == "SubscriptionConfirmation" {
			if err := confirm(req.Context(), n.SubscribeURL); err != nil {
				r.errs <- err
			}
			return
		}
		r.notes <- n
	}))
	tb.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// confirm visits a SubscribeURL, which must point to loopback.
func confirm(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost" {
		return fmt.Errorf("recorder: refusing SubscribeURL %q: not loopback", raw)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("recorder: confirm subscription: %w", err)
	}
	resp.Body.Close()
	return nil
}

// Next returns the next notification, or an error if none arrives within
// timeout (or the endpoint received something that is not SNS JSON).
func (r *Recorder) Next(timeout time.Duration) (Notification, error) {
	select {
	case n := <-r.notes:
		return n, nil
	case err := <-r.errs:
		return Notification{}, err
	case <-time.After(timeout):
		return Notification{}, errors.New("recorder: no notification within " + timeout.String())
	}
}

// Pending returns the notifications received and not yet taken by Next,
// without waiting.
func (r *Recorder) Pending() []Notification {
	var out []Notification
	for {
		select {
		case n := <-r.notes:
			out = append(out, n)
		default:
			return out
		}
	}
}

// Proxy is a reverse proxy on 127.0.0.1 in front of a server that records
// the form of every request passing through it: the raw parameters an SDK
// put on the wire, including those goaws ignores (MessageGroupId,
// MessageDeduplicationId, PhoneNumber, ...).
type Proxy struct {
	URL string

	mu    sync.Mutex
	forms []url.Values
}

// NewProxy starts a Proxy to target, closed at the end of the test.
func NewProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	u, err := url.Parse(target)
	if err != nil {
		tb.Fatal(err)
	}
	p := &Proxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		p.mu.Lock()
		p.forms = append(p.forms, form)
		p.mu.Unlock()
		req.Body = io.NopCloser(strings.NewReader(string(body)))
		rp.ServeHTTP(w, req)
	}))
	tb.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Requests returns the forms of the requests seen so far, oldest first.
func (p *Proxy) Requests() []url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]url.Values(nil), p.forms...)
}
