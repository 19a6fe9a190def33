package config

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Every duration and time the config holds is bounded, and check names the
// key out of range, at its line.
func TestConfigBounds(t *testing.T) {
	const tmpl = `retry: {initial_backoff: %s, max_backoff: %s}
defaults: {rotation_period: %s}
channels:
  console: {type: stdout}
policies:
  standard:
    - {before: %s, channels: [console]}
    - {after: %s, repeat: %s, channels: [console]}
credentials:
  - {id: one, rotated_at: %s, rotation_period: %s, expires_at: %s}
`
	ok := map[string]string{
		"initial": "1m", "max": "1h", "default": "180d", "before": "30d", "after": "0s",
		"repeat": "24h", "rotated": "2026-06-01", "period": "180d", "expires": "2026-12-01",
	}
	build := func(change map[string]string) string {
		v := map[string]string{}
		for k, x := range ok {
			v[k] = x
		}
		for k, x := range change {
			v[k] = x
		}
		return fmt.Sprintf(tmpl, v["initial"], v["max"], v["default"], v["before"], v["after"], v["repeat"],
			v["rotated"], v["period"], v["expires"])
	}
	mustLoad(t, build(nil), nil)
	// At the bounds: accepted.
	mustLoad(t, build(map[string]string{"default": "36500d", "period": "876000h", "before": "36499d24h",
		"max": "876000h", "initial": "876000h", "repeat": "36500d", "after": "36500d",
		"rotated": "1970-01-01T00:00:00Z", "expires": "9999-12-31"}), nil)

	tests := []struct {
		name   string
		change map[string]string
		want   string // the problem, after "config.yaml:"
	}{
		{"a rotation period of 2^48 days", map[string]string{"period": "281474976710656d"},
			`10: credentials[0].rotation_period: "281474976710656d" is longer than 36500d (100 years)`},
		{"a default period just too long", map[string]string{"default": "36501d"},
			`2: defaults.rotation_period: "36501d" is longer than 36500d (100 years)`},
		{"before, in hours", map[string]string{"before": "876001h"},
			`7: policies.standard[0].before: "876001h" is longer than 36500d (100 years)`},
		{"after", map[string]string{"after": "36500d1s"},
			`8: policies.standard[1].after: "36500d1s" is longer than 36500d (100 years)`},
		{"repeat", map[string]string{"repeat": "9223372036854775807d"},
			`8: policies.standard[1].repeat: "9223372036854775807d" is longer than 36500d (100 years)`},
		{"max backoff, the longest Duration", map[string]string{"max": "2562047h47m16.854775807s"},
			`1: retry.max_backoff: "2562047h47m16.854775807s" is longer than 36500d (100 years)`},
		{"initial backoff", map[string]string{"initial": "900000h"},
			`1: retry.initial_backoff: "900000h" is longer than 36500d (100 years)`},
		{"rotated_at before 1970", map[string]string{"rotated": "1969-12-31"},
			`10: credentials[0].rotated_at: "1969-12-31" is before 1970-01-01T00:00:00Z (times are from 1970-01-01 to 9999-12-31)`},
		{"rotated_at at year 0", map[string]string{"rotated": "0000-01-01T00:00:00Z"},
			`10: credentials[0].rotated_at: "0000-01-01T00:00:00Z" is before 1970-01-01T00:00:00Z`},
		{"expires_at past 9999-12-31", map[string]string{"expires": "9999-12-31T23:00:00Z"},
			`10: credentials[0].expires_at: "9999-12-31T23:00:00Z" is after 9999-12-31T00:00:00Z (times are from 1970-01-01 to 9999-12-31)`},
		{"expires_at on 9999-12-31 west of UTC", map[string]string{"expires": "9999-12-31T00:00:00-05:00"},
			`10: credentials[0].expires_at: "9999-12-31T00:00:00-05:00" is after 9999-12-31T00:00:00Z`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadYAML(t, build(tt.change), nil)
			ps := problemsOf(t, err)
			if len(ps) != 1 || !strings.HasPrefix(ps[0].String(), "config.yaml:"+tt.want) {
				t.Errorf("problems:\n%v\nwant one starting config.yaml:%s", err, tt.want)
			}
		})
	}
}

// A value from the environment is named by its reference, never quoted,
// when it is out of range too: rotation_period is no secret, so ${NAME} is
// refused there before its range is judged.
func TestConfigBoundsFromEnvironment(t *testing.T) {
	body := strings.Replace(minimal, "rotated_at: 2026-06-01}", "rotated_at: 2026-06-01, rotation_period: \"${PERIOD}\"}", 1)
	_, err := loadYAML(t, body, map[string]string{"PERIOD": "99999d"})
	ps := problemsOf(t, err)
	want := "config.yaml:7: credentials[0].rotation_period: ${PERIOD}: ${NAME} is for secrets only (tokens, passwords, keys, secret URLs and headers, the database URL), and this value would be stored and shown: write it into the file"
	if len(ps) != 1 || ps[0].String() != want {
		t.Errorf("problems:\n%v\nwant %s", err, want)
	}
}

func TestParseTimeBounds(t *testing.T) {
	tokyo := time.FixedZone("UTC+9", 9*3600)
	for _, tt := range []struct {
		in      string
		loc     *time.Location
		wantErr string // "" when accepted
	}{
		{"1970-01-01", time.UTC, ""},
		{"1970-01-01T09:00", tokyo, ""},
		{"1970-01-01", tokyo, `"1970-01-01" is before 1970-01-01T00:00:00Z`}, // 15:00 UTC the day before
		{"1969-12-31T23:59:59.999Z", time.UTC, `is before 1970-01-01T00:00:00Z`},
		{"0001-01-01", time.UTC, `is before`},
		{"9999-12-31", time.UTC, ""},
		{"9999-12-31", tokyo, ""},
		{"9999-12-31T00:00:01Z", time.UTC, `"9999-12-31T00:00:01Z" is after 9999-12-31T00:00:00Z`},
		{"9999-12-31T23:59:59-12:00", time.UTC, `is after`},
		{"10000-01-01", time.UTC, `is not a time`},
		{"", time.UTC, `"" is not a time`},
	} {
		_, err := ParseTime(tt.in, tt.loc)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("ParseTime(%q, %v): %v", tt.in, tt.loc, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("ParseTime(%q, %v) = %v, want an error with %q", tt.in, tt.loc, err, tt.wantErr)
		}
	}
}
