package amazon

import (
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/testutil/awsjson"
)

var day0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func dayN(n int) time.Time { return day0.AddDate(0, 0, n) }

// TestSourceCurrentVersion: the real SDK clients against the in-test
// Parameter Store and Secrets Manager (no emulator of theirs is reachable
// here): which version is current, and its date.
func TestSourceCurrentVersion(t *testing.T) {
	awsjson.SetEnv(t)
	srv := awsjson.Start(t)
	// A parameter whose value changed at version 3; versions 2 and 4 are
	// policy-only edits (the same value put again).
	for i, v := range []string{"pw-one", "pw-one", "pw-two", "pw-two"} {
		srv.PutParameter("/erp/db", v, dayN(10*i))
	}
	srv.PutParameter("/single", "only", dayN(5))
	// 120 versions, the value changing at each tenth: the history comes in
	// three pages of at most 50.
	for i := range 120 {
		srv.PutParameter("/long", "v"+string(rune('a'+i/10)), dayN(i))
	}
	srv.SetSecret("erp/api", dayN(40),
		awsjson.Version{ID: "v-old", Created: dayN(1), Stages: []string{"AWSPREVIOUS"}},
		awsjson.Version{ID: "v-cur", Created: dayN(31), Stages: []string{"AWSCURRENT"}},
		awsjson.Version{ID: "v-pending", Created: dayN(32), Stages: []string{"AWSPENDING"}})
	srv.SetSecret("undated", dayN(44), awsjson.Version{ID: "v1", Stages: []string{"AWSCURRENT"}})
	srv.SetSecret("no-current", dayN(44), awsjson.Version{ID: "v1", Created: dayN(2), Stages: []string{"AWSPREVIOUS"}})

	tests := []struct {
		name    string
		src     domain.AWSSource
		version string
		at      time.Time
		err     string
	}{
		{"policy-only edits do not move the date", domain.AWSSource{Kind: domain.SourceSSM, Name: "/erp/db"}, "3", dayN(20), ""},
		{"one version", domain.AWSSource{Kind: domain.SourceSSM, Name: "/single"}, "1", dayN(5), ""},
		{"a history of three pages", domain.AWSSource{Kind: domain.SourceSSM, Name: "/long"}, "111", dayN(110), ""},
		{"a missing parameter", domain.AWSSource{Kind: domain.SourceSSM, Name: "/nope"}, "", time.Time{}, "ssm:/nope: GetParameter: operation error SSM: GetParameter"},
		{"the AWSCURRENT version", domain.AWSSource{Kind: domain.SourceSecretsManager, Name: "erp/api"}, "v-cur", dayN(31), ""},
		{"no CreatedDate: LastChangedDate", domain.AWSSource{Kind: domain.SourceSecretsManager, Name: "undated"}, "v1", dayN(44), ""},
		{"no AWSCURRENT", domain.AWSSource{Kind: domain.SourceSecretsManager, Name: "no-current"}, "", time.Time{}, "no version has the stage AWSCURRENT"},
		{"a missing secret", domain.AWSSource{Kind: domain.SourceSecretsManager, Name: "nope"}, "", time.Time{}, "ResourceNotFoundException"},
	}
	r := NewSourceReader(channels.NewRedactor())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.src.Endpoint = srv.URL
			v, err := r.CurrentVersion(t.Context(), tt.src)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v.Version != tt.version || !v.At.Equal(tt.at) || v.Source != tt.src.Kind {
				t.Errorf("version = %+v, want %s at %s", v, tt.version, tt.at)
			}
		})
	}
	if n := srv.Calls("GetParameterHistory"); n < 3 {
		t.Errorf("GetParameterHistory called %d times; the long history is three pages", n)
	}
}

// TestSourceHostile: an endpoint that hangs is given up on, one that
// echoes the request's headers shows no AWS secret, nor does any error
// show a parameter's value.
func TestSourceHostile(t *testing.T) {
	awsjson.SetEnv(t)
	srv := awsjson.Start(t)
	srv.PutParameter("/erp/db", "pw-VALUE-never-shown", dayN(1))
	red := channels.NewRedactor()
	r := NewSourceReader(red)
	r.Timeout = 500 * time.Millisecond
	for _, kind := range []string{domain.SourceSSM, domain.SourceSecretsManager} {
		src := domain.AWSSource{Kind: kind, Name: "/erp/db", Endpoint: srv.URL}
		t.Run(kind+" echo", func(t *testing.T) {
			srv.SetMode(awsjson.Echo)
			_, err := r.CurrentVersion(t.Context(), src)
			if err == nil || !strings.Contains(err.Error(), "X-Amz-Security-Token=<redacted>") {
				t.Fatalf("err = %v; want the echo with the token redacted, or the test proves nothing", err)
			}
			for _, secret := range []string{awsjson.SessionToken, awsjson.SecretKey, "pw-VALUE-never-shown"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error shows %q: %v", secret, err)
				}
			}
		})
		t.Run(kind+" hang", func(t *testing.T) {
			srv.SetMode(awsjson.Hang)
			_, err := r.CurrentVersion(t.Context(), src)
			if err == nil || !strings.Contains(err.Error(), "deadline exceeded") {
				t.Fatalf("err = %v, want the timeout", err)
			}
		})
	}
}
