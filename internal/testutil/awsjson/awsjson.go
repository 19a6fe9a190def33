// Package awsjson is an in-test Parameter Store and Secrets Manager: an
// httptest server that answers the few AWS JSON-protocol operations
// notifier uses (GetParameter, GetParameterHistory, DescribeSecret,
// ListSecretVersionIds), by their X-Amz-Target header, in
// application/x-amz-json-1.1 (and PutParameter, for the new-secret sink), to the real aws-sdk-go-v2 clients pointed
// at it with BaseEndpoint. It is a stand-in only because no emulator that
// speaks these services is reachable here (see DESIGN.md, "Testing with
// real parts"); it checks what the SDK sends as AWS would (the target,
// the content type, a signed request).
package awsjson

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Credentials the SDK signs with in tests; SessionToken is what an
// echoing endpoint sends back.
const (
	AccessKey    = "AKIDAWSJSONTEST"
	SecretKey    = "awsjson-SEKRIT-key/0123456789"
	SessionToken = "FwoGZXIvYXdzAWSJSONsessionTOKEN+xyz/42=="
	Region       = "us-east-2"
)

// Env is the environment that makes the SDK use the credentials above
// and nothing of the machine's (no files, no instance metadata).
func Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + SecretKey,
		"AWS_SESSION_TOKEN=" + SessionToken,
		"AWS_REGION=" + Region,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
	}
}

// SetEnv sets Env for the test.
func SetEnv(t testing.TB) {
	for _, kv := range Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// Mode is how the server misbehaves.
type Mode int

const (
	Normal Mode = iota
	Hang        // answers nothing until the client gives up
	Echo        // answers 400 quoting the request's headers (the session token among them)
)

// Version is one version of a secret of Secrets Manager.
type Version struct {
	ID      string
	Created time.Time // zero: no CreatedDate
	Stages  []string
}

type paramVersion struct {
	number int64
	value  string
	at     time.Time
	keyID  string
}

// Server is one fake Parameter Store and Secrets Manager.
type Server struct {
	URL string

	mu      sync.Mutex
	mode    Mode
	params  map[string][]paramVersion
	secrets map[string][]Version
	changed map[string]time.Time // a secret's LastChangedDate
	calls   map[string]int
	closed  chan struct{} // closed at the test's end: hung requests end
	putAt   time.Time     // the LastModifiedDate PutParameter gives
}

// SetPutTime sets the LastModifiedDate that PutParameter gives the
// versions it writes (the fake has no clock of its own).
func (s *Server) SetPutTime(at time.Time) {
	s.mu.Lock()
	s.putAt = at
	s.mu.Unlock()
}

// Parameter returns a parameter's current value, version and KMS key id
// ("" and 0 when it has none), as a test reads back what was put.
func (s *Server) Parameter(name string) (value string, version int64, keyID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := s.params[name]
	if len(vs) == 0 {
		return "", 0, ""
	}
	v := vs[len(vs)-1]
	return v.value, v.number, v.keyID
}

// Start starts a server, closed at the test's end.
func Start(t testing.TB) *Server {
	s := &Server{params: map[string][]paramVersion{}, secrets: map[string][]Version{}, changed: map[string]time.Time{}, calls: map[string]int{}, closed: make(chan struct{})}
	ts := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		close(s.closed)
		ts.Close()
	})
	s.URL = ts.URL
	return s
}

// SetMode makes the server misbehave, or stop.
func (s *Server) SetMode(m Mode) {
	s.mu.Lock()
	s.mode = m
	s.mu.Unlock()
}

// PutParameter writes a new version of a parameter, at at.
func (s *Server) PutParameter(name, value string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := s.params[name]
	s.params[name] = append(vs, paramVersion{number: int64(len(vs) + 1), value: value, at: at})
}

// SetSecret sets the versions of a secret and its LastChangedDate.
func (s *Server) SetSecret(name string, changed time.Time, versions ...Version) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets[name] = versions
	s.changed[name] = changed
}

// Calls counts the requests of an operation ("GetParameterHistory").
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

func epoch(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	mode := s.mode
	s.mu.Unlock()
	switch mode {
	case Hang:
		// The body read, the server notices the client hanging up.
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-s.closed:
		}
		return
	case Echo:
		var b strings.Builder
		for k, v := range r.Header {
			fmt.Fprintf(&b, "%s=%s; ", k, strings.Join(v, ","))
		}
		fail(w, http.StatusBadRequest, "AccessDeniedException", "request refused: "+b.String())
		return
	}
	target := r.Header.Get("X-Amz-Target")
	if r.Header.Get("Content-Type") != "application/x-amz-json-1.1" || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		fail(w, http.StatusBadRequest, "SerializationException", "not an AWS JSON 1.1 signed request")
		return
	}
	var in struct {
		Name, SecretId, NextToken string
		MaxResults                int
		WithDecryption            bool
		// PutParameter's
		Value, Type, KeyId string
		Overwrite          bool
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	_, op, _ := strings.Cut(target, ".")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[op]++
	switch target {
	case "AmazonSSM.GetParameter":
		vs := s.params[in.Name]
		if len(vs) == 0 {
			fail(w, http.StatusBadRequest, "ParameterNotFound", "")
			return
		}
		v := vs[len(vs)-1]
		answer(w, map[string]any{"Parameter": s.param(in.Name, v, in.WithDecryption)})
	case "AmazonSSM.GetParameterHistory":
		vs := s.params[in.Name]
		if len(vs) == 0 {
			fail(w, http.StatusBadRequest, "ParameterNotFound", "")
			return
		}
		from, _ := strconv.Atoi(in.NextToken)
		n := in.MaxResults
		if n <= 0 || n > 50 {
			n = 50
		}
		to := min(from+n, len(vs))
		var out []map[string]any
		for _, v := range vs[from:to] {
			out = append(out, s.param(in.Name, v, in.WithDecryption))
		}
		res := map[string]any{"Parameters": out}
		if to < len(vs) {
			res["NextToken"] = strconv.Itoa(to)
		}
		answer(w, res)
	case "AmazonSSM.PutParameter":
		vs := s.params[in.Name]
		if len(vs) > 0 && !in.Overwrite {
			fail(w, http.StatusBadRequest, "ParameterAlreadyExists", "The parameter already exists.")
			return
		}
		if in.Type != "SecureString" {
			fail(w, http.StatusBadRequest, "ValidationException", "notifier must put SecureString, not "+in.Type)
			return
		}
		v := paramVersion{number: int64(len(vs) + 1), value: in.Value, at: s.putAt, keyID: in.KeyId}
		s.params[in.Name] = append(vs, v)
		answer(w, map[string]any{"Version": v.number, "Tier": "Standard"})
	case "secretsmanager.DescribeSecret":
		if _, ok := s.secrets[in.SecretId]; !ok {
			fail(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
			return
		}
		answer(w, map[string]any{"Name": in.SecretId, "LastChangedDate": epoch(s.changed[in.SecretId])})
	case "secretsmanager.ListSecretVersionIds":
		vs, ok := s.secrets[in.SecretId]
		if !ok {
			fail(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
			return
		}
		sorted := append([]Version(nil), vs...)
		sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Created.After(sorted[j].Created) })
		var out []map[string]any
		for _, v := range sorted {
			m := map[string]any{"VersionId": v.ID, "VersionStages": v.Stages}
			if !v.Created.IsZero() {
				m["CreatedDate"] = epoch(v.Created)
			}
			out = append(out, m)
		}
		answer(w, map[string]any{"Versions": out, "Name": in.SecretId})
	default:
		fail(w, http.StatusBadRequest, "UnknownOperationException", target)
	}
}

func (s *Server) param(name string, v paramVersion, decrypt bool) map[string]any {
	value := v.value
	if !decrypt {
		value = "AQICAHencrypted" + strconv.FormatInt(v.number, 10) // a SecureString read without decryption
	}
	return map[string]any{"Name": name, "Type": "SecureString", "Value": value, "Version": v.number, "LastModifiedDate": epoch(v.at)}
}

func answer(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
