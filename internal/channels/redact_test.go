package channels_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
)

// Secrets of the Redactor tests: each holds characters that escaping and
// base64 change ('+', '/', '=', ' ', ':'), so that every form differs from
// the value.
const (
	rPass   = "pa55+word/SEKRIT=1"
	rUser   = "notifier@example.com"
	rToken  = "xoxb-1234-SEKRIT+token/abc"
	rKey    = "k3y+SEKRIT/query=42"
	rPath   = "B0SEKRITpathKEY0000xyz"
	rSessTk = "FwoGZXIvYXdzEJr//////////wEaDSEKRIT+session/token=="
)

func b64(s string) []string {
	b := []byte(s)
	return []string{
		base64.StdEncoding.EncodeToString(b), base64.URLEncoding.EncodeToString(b),
		base64.RawStdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// TestRedactorForms: a secret registered one way is cut out of a text in
// every form it takes on the wire, and no part of it survives.
func TestRedactorForms(t *testing.T) {
	// A form is a text as a service echoes it; whole says the text is
	// nothing but the secret's form, to be replaced as a whole, leaving no
	// character of it (a blob half redacted keeps bits of the secret).
	type form struct {
		name, text string
		whole      bool
	}
	forms := func(prefix string, texts ...string) []form {
		out := make([]form, len(texts))
		for i, s := range texts {
			out[i] = form{fmt.Sprintf("%s %d", prefix, i), s, true}
		}
		return out
	}
	tests := []struct {
		name     string
		register func(r *channels.Redactor)
		secrets  []string // none of these may survive in any form's redaction
		forms    []form   // texts as a service would echo them
	}{
		{
			name:     "value",
			register: func(r *channels.Redactor) { r.Add(rToken) },
			secrets:  []string{rToken},
			forms: append(append([]form{
				{"raw", rToken, true},
				{"query-escaped", url.QueryEscape(rToken), true},
				{"path-escaped", url.PathEscape(rToken), true},
				{"json", jsonString(rToken), true},
				{"json with escaped slashes", strings.ReplaceAll(jsonString(rToken), "/", `\/`), true},
				{"go quoted", strconv.Quote(rToken), false},
				{"url.Error", (&url.Error{Op: "Post", URL: "https://slack.example/api?token=" + rToken, Err: errors.New("EOF")}).Error(), false},
			}, forms("base64", b64(rToken)...)...),
				// The token inside longer base64 texts, at each offset modulo 3:
				// the characters that also depend on the text around it stay.
				form{"embedded in base64 0", b64("{" + rToken + "}")[0], false},
				form{"embedded in base64 1", b64("{\"" + rToken + "\"}")[0], false},
				form{"embedded in base64 2", b64("ab:" + rToken + "\n")[1], false}),
		},
		{
			name:     "login",
			register: func(r *channels.Redactor) { r.AddLogin(rUser, rPass) },
			secrets:  []string{rPass},
			forms: append(append(append(append(
				forms("AUTH PLAIN", b64("\x00"+rUser+"\x00"+rPass)...),
				forms("AUTH PLAIN with identity", b64(rUser+"\x00"+rUser+"\x00"+rPass)...)...),
				forms("AUTH LOGIN", b64(rPass)...)...),
				forms("Basic", b64(rUser+":"+rPass)...)...),
				form{"raw", rPass, true}, form{"user info", rUser + ":" + rPass, true}),
		},
		{
			name: "secret URL",
			register: func(r *channels.Redactor) {
				r.AddURL("https://bot:" + url.PathEscape(rPass) + "@hooks.example.com/services/T0000/" + rPath + "?key=" + url.QueryEscape(rKey) + "&sig=" + rKey)
			},
			secrets: []string{rPass, rKey, rPath},
			forms: []form{
				{"user info password", rPass, true},
				{"user info password escaped", url.PathEscape(rPass), true},
				{"query value escaped", "GET /hook?key=" + url.QueryEscape(rKey), false},
				{"query value decoded", rKey, true},
				{"query value as written", "sig=" + rKey, false},
				{"query value decoded from +", strings.ReplaceAll(rKey, "+", " "), true},
				{"path segment", "no_service: /services/T0000/" + rPath, false},
				{"path segment base64", b64(rPath)[0], true},
			},
		},
		{
			name:     "bearer header",
			register: func(r *channels.Redactor) { r.AddHeader("Authorization", "Bearer "+rToken) },
			secrets:  []string{rToken},
			forms: []form{
				{"token alone", "invalid token " + rToken, false},
				{"header", "Authorization: [Bearer " + rToken + "]", false},
				{"query-escaped token", url.QueryEscape(rToken), true},
			},
		},
		{
			name:     "basic header",
			register: func(r *channels.Redactor) { r.AddHeader("Authorization", "Basic "+b64(rUser + ":" + rPass)[0]) },
			secrets:  []string{rPass},
			forms: []form{
				{"password alone", "bad password " + rPass, false},
				{"blob", "Basic " + b64(rUser + ":" + rPass)[0], false},
			},
		},
		{
			name:     "token header under another name",
			register: func(r *channels.Redactor) { r.AddHeader("X-Auth", "Token "+rToken) },
			secrets:  []string{rToken},
			forms:    []form{{"token alone", rToken, true}},
		},
		{
			name:     "AWS session token",
			register: func(r *channels.Redactor) { r.Rotate("sns ops", "wJalrXUtnFEMI/K7MDENG/SEKRIT", rSessTk) },
			secrets:  []string{rSessTk, "wJalrXUtnFEMI/K7MDENG/SEKRIT"},
			forms: []form{
				{"header echo", "X-Amz-Security-Token: " + rSessTk, false},
				{"query-escaped", "X-Amz-Security-Token=" + url.QueryEscape(rSessTk), false},
				{"secret key", "wJalrXUtnFEMI/K7MDENG/SEKRIT", true},
			},
		},
	}
	for _, tt := range tests {
		for _, f := range tt.forms {
			t.Run(tt.name+"/"+f.name, func(t *testing.T) {
				r := channels.NewRedactor()
				tt.register(r)
				text := "service said: " + f.text + " (end)"
				got := r.String(text)
				if !strings.Contains(got, channels.Redacted) {
					t.Errorf("nothing redacted in %q", got)
				}
				if got == text || strings.Contains(got, f.text) {
					t.Errorf("the form survives: %q", got)
				}
				if !strings.HasPrefix(got, "service said: ") || !strings.HasSuffix(got, " (end)") {
					t.Errorf("redaction took more than the secret: %q", got)
				}
				if want := "service said: " + channels.Redacted + " (end)"; f.whole && got != want {
					t.Errorf("got %q, want %q: the form is not replaced whole", got, want)
				}
				for _, s := range tt.secrets {
					if strings.Contains(got, s) || strings.Contains(got, "SEKRIT") {
						t.Errorf("the secret survives: %q", got)
					}
				}
			})
		}
	}
}

// TestRedactorLeavesWhatIsNotSecret: short values are not registered, nor
// are a secret URL's short path segments and query values; other text is
// left as it is.
func TestRedactorLeavesWhatIsNotSecret(t *testing.T) {
	r := channels.NewRedactor()
	r.Add("ops", "", "on", "42!")                                                      // shorter than MinSecretLen
	r.AddURL("https://hooks.example.com/api/v1/" + rPath + "?format=json&key=" + rKey) // api, v1, json: short
	r.AddLogin("notifier", "abc")                                                      // a 3-byte password: nothing
	r.AddHeader("Authorization", "Bearer ab")                                          // "Bearer ab" is registered, not "ab"
	text := "ops on 42! api v1 json abc ab: channel_not_found; Content-Type: application/json"
	if got := r.String(text); got != text {
		t.Errorf("String(%q) = %q, want it unchanged", text, got)
	}
	if got := r.String(rPath + " " + rKey); got != channels.Redacted+" "+channels.Redacted {
		t.Errorf("the URL's key parts are not redacted: %q", got)
	}
	var nilR *channels.Redactor
	nilR.Add(rToken)
	if got := nilR.String(rToken); got != rToken {
		t.Errorf("a nil Redactor changed %q to %q", rToken, got)
	}
}

// TestRedactorOverlappingSecrets: secrets that overlap in a text are cut
// out as one run, leaving no piece of either.
func TestRedactorOverlappingSecrets(t *testing.T) {
	r := channels.NewRedactor()
	r.Add("AAAA1111", "1111BBBB", "BBBBCCCC")
	if got := r.String("x AAAA1111BBBBCCCC y AAAA1111 1111BBBB"); got != "x <redacted> y <redacted> <redacted>" {
		t.Errorf("got %q", got)
	}
}

// TestRedactorRotateKeepsTwo: Rotate keeps the current and the previous
// values of a source, and forgets older ones.
func TestRedactorRotateKeepsTwo(t *testing.T) {
	r := channels.NewRedactor()
	r.Rotate("sns a", "session-token-1")
	r.Rotate("sns a", "session-token-2")
	r.Rotate("sns b", "session-token-b")
	if got := r.String("session-token-1 session-token-2 session-token-b"); got != "<redacted> <redacted> <redacted>" {
		t.Errorf("got %q", got)
	}
	r.Rotate("sns a", "session-token-3")
	if got := r.String("session-token-1 session-token-2 session-token-3 session-token-b"); got != "session-token-1 <redacted> <redacted> <redacted>" {
		t.Errorf("after a third rotation: %q", got)
	}
}

// TestRedactorErrorKeepsClassification: the redacted error is classified
// as the original, errors.Is still answers about the original chain, and
// errors.As no longer reaches the original errors, which hold the secret.
func TestRedactorErrorKeepsClassification(t *testing.T) {
	r := channels.NewRedactor()
	r.Add(rToken)
	se := &channels.StatusError{Code: 503, Status: "503 Service Unavailable", Body: "token " + rToken}
	tests := []struct {
		name  string
		err   error
		retry bool
		after time.Duration
	}{
		{"permanent", channels.Permanent(fmt.Errorf("slack ops: %w", se)), false, 0},
		{"retryable", channels.Retryable(fmt.Errorf("slack ops: %w: %w", se, context.DeadlineExceeded)), true, 0},
		{"retry after", channels.RetryAfter(fmt.Errorf("slack ops: %w", se), 7*time.Second), true, 7 * time.Second},
		{"wrapped after marking", fmt.Errorf("outer: %w", channels.Permanent(se)), false, 0},
		{"unmarked", fmt.Errorf("slack ops: %w", se), true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.Error(tt.err)
			if strings.Contains(got.Error(), rToken) || !strings.Contains(got.Error(), "token "+channels.Redacted) {
				t.Errorf("error = %q", got)
			}
			if retry, after := channels.Classify(got); retry != tt.retry || after != tt.after {
				t.Errorf("Classify = (%v, %v), want (%v, %v)", retry, after, tt.retry, tt.after)
			}
			if errors.Is(tt.err, context.DeadlineExceeded) != errors.Is(got, context.DeadlineExceeded) {
				t.Error("errors.Is(context.DeadlineExceeded) changed")
			}
			var found *channels.StatusError
			if errors.As(got, &found) {
				t.Errorf("errors.As reaches the unredacted StatusError: %q", found.Body)
			}
		})
	}
	if plain := errors.New("no secret here"); r.Error(plain) != plain {
		t.Error("an error without a secret was replaced")
	}
	if r.Error(nil) != nil {
		t.Error("Error(nil) != nil")
	}
}

// TestRedactorClassifyHTTP: the body is redacted before it is cut, so a
// secret that straddles the snippet's end is cut out whole; the
// StatusError's Body holds only the redacted text; Retry-After survives.
func TestRedactorClassifyHTTP(t *testing.T) {
	r := channels.NewRedactor()
	r.Add(rToken)
	for _, at := range []int{0, 490, 500, 511, 512} {
		t.Run(strconv.Itoa(at), func(t *testing.T) {
			body := strings.Repeat("x", at) + rToken + strings.Repeat("y", 2000)
			resp := &http.Response{StatusCode: 503, Header: http.Header{"Retry-After": {"7"}}, Body: ioNopCloser(body)}
			err := r.ClassifyHTTP(resp, nil, now)
			var se *channels.StatusError
			if !errors.As(err, &se) {
				t.Fatalf("no StatusError: %v", err)
			}
			if strings.Contains(se.Body, "SEKRIT") || strings.Contains(se.Body, rToken[:10]) {
				t.Errorf("Body keeps a piece of the secret: %q", se.Body[max(0, len(se.Body)-60):])
			}
			if at <= 511 && !strings.Contains(se.Body, channels.Redacted) {
				t.Errorf("Body does not show the redaction: ...%q", se.Body[max(0, len(se.Body)-60):])
			}
			if len(se.Body) > 512+len(channels.Redacted) || len(se.Body) < 512-len(rToken) {
				t.Errorf("Body has %d bytes", len(se.Body))
			}
			if retry, after := channels.Classify(err); !retry || after != 7*time.Second {
				t.Errorf("Classify = (%v, %v), want retryable after 7s", retry, after)
			}
		})
	}
	// A transport error quotes the URL.
	urlErr := &url.Error{Op: "Post", URL: "https://hooks.example.com/x?token=" + rToken, Err: errors.New("connection refused")}
	err := r.ClassifyHTTP(nil, urlErr, now)
	if strings.Contains(err.Error(), "SEKRIT") {
		t.Errorf("transport error: %v", err)
	}
	if retry, _ := channels.Classify(err); !retry {
		t.Error("transport error not retryable")
	}
}

func ioNopCloser(s string) *nopCloser { return &nopCloser{strings.NewReader(s)} }

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }
