package config

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels/registry"
)

// The problem the Problem doc quotes, with its exact text.
func TestProblemStringExact(t *testing.T) {
	body := `channels:
  console: {type: stdout}
policies:
  standard:
    - {before: 7d, channels: [console]}
credentials:
  - id: first
    rotated_at: 2026-06-01
  - id: second
    rotated_at: 2026-06-01
  - id: third
    name: Third
    rotated_at: 2026-06-01
    rotation_period: 18Od
`
	_, err := loadYAML(t, body, nil)
	ps := problemsOf(t, err)
	if len(ps) != 1 {
		t.Fatalf("%d problems, want 1:\n%v", len(ps), err)
	}
	want := `config.yaml:14: credentials[2].rotation_period: "18Od" is not a duration (use e.g. 180d, 36h, 1d12h, 30m)`
	if got := ps[0].String(); got != want {
		t.Errorf("String() =\n  %s\nwant\n  %s", got, want)
	}
	if got := err.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if p := ps[0]; p.File != "config.yaml" || p.Line != 14 || p.Key != "credentials[2].rotation_period" {
		t.Errorf("problem = %+v", p)
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "c.yaml", Line: 3, Key: "a.b", Msg: "bad"}, "c.yaml:3: a.b: bad"},
		{Problem{File: "c.yaml", Key: "policies", Msg: "none"}, "c.yaml: policies: none"},
		{Problem{File: "c.yaml", Line: 2, Msg: "invalid YAML: x"}, "c.yaml:2: invalid YAML: x"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.p, got, tt.want)
		}
	}
	ps := Problems{tests[0].p, tests[2].p}
	if got, want := ps.Error(), "c.yaml:3: a.b: bad\nc.yaml:2: invalid YAML: x"; got != want {
		t.Errorf("Problems.Error() = %q, want %q", got, want)
	}
}

// One config with many mistakes: every one is reported, once, in line order,
// at its line and key, and nothing else is.
func TestEveryProblemAtOnce(t *testing.T) {
	body := `timezone: Mars/Base                   # @tz
check_schedule: "every tuesday"       # @cron
colour: blue                          # @unknown-top
channels:
  console: {type: stdout}
  hook: {type: webhook}               # @no-url
  pigeon: {type: carrier}             # @bad-type
  env: {type: webhook, url: "${MISSING_URL}"}   # @unset
policies:
  standard:
    - {before: 30d, channels: [console]}
    - {before: 7d, after: 1d, channels: [console]}           # @both
    - {before: 1d, channels: [pager]}                        # @undefined-channel
    - {after: 0s, channels: [console], template: "{{.Nope}}"} # @missing-field
    - {after: 1d, channels: [console], subject: "{{if}}"}    # @no-parse
  empty: []                           # @empty
credentials:
  - id: ok-one                        # @first-one
    rotated_at: 2026-01-01
    secret: x                         # @unknown-cred
  - id: Bad Id                        # @slug
    rotated_at: 2026-13-45            # @bad-time
  - id: ok-one                        # @dup
    rotated_at: 2026-01-01
    rotation_period: 18Od             # @bad-span
  - {id: future, rotated_at: 2026-08-01}                          # @future
  - {id: backward, rotated_at: 2026-03-01, expires_at: 2026-02-01}  # @expires
  - {id: nopol, rotated_at: 2026-03-01, policy: nope}             # @policy
`
	tests := []struct {
		marker, key, msg string
	}{
		{"@tz", "timezone", `"Mars/Base" is not an IANA time zone name`},
		{"@cron", "check_schedule", `"every tuesday" is not a cron spec`},
		{"@unknown-top", "colour", "unknown key (known: database, timezone,"},
		{"@no-url", "channels.hook.url", "missing: the URL to POST reminders to"},
		{"@bad-type", "channels.pigeon.type", `"carrier" is not a channel type (one of: `},
		{"@unset", "channels.env.url", "${MISSING_URL} is not set in the environment"},
		{"@both", "policies.standard[1]", "give before: or after:, not both"},
		{"@undefined-channel", "policies.standard[2].channels[0]", `channel "pager" is not defined under channels:`},
		{"@missing-field", "policies.standard[3].template", "can't evaluate field Nope"},
		{"@no-parse", "policies.standard[4].subject", "missing value for if"},
		{"@empty", "policies.empty", "the ladder is empty"},
		{"@unknown-cred", "credentials[0].secret", "unknown key (known: id, name, owner,"},
		{"@slug", "credentials[1].id", `"Bad Id" is not a slug`},
		{"@bad-time", "credentials[1].rotated_at", `"2026-13-45" is not a time`},
		{"@dup", "credentials[2].id", `"ok-one" is already used at config.yaml:` + strconv.Itoa(lineOf(t, body, "@first-one"))},
		{"@bad-span", "credentials[2].rotation_period", `"18Od" is not a duration`},
		{"@future", "credentials[3].rotated_at", "2026-08-01T00:00:00Z is in the future (now is 2026-07-01T12:00:00Z)"},
		{"@expires", "credentials[4].expires_at", "is not after rotated_at"},
		{"@policy", "credentials[5].policy", `policy "nope" is not defined under policies:`},
	}
	_, err := loadYAML(t, body, nil)
	ps := problemsOf(t, err)
	if len(ps) != len(tests) {
		t.Errorf("%d problems, want %d:\n%v", len(ps), len(tests), err)
	}
	for i, tt := range tests {
		if i >= len(ps) {
			t.Errorf("missing problem for %s", tt.marker)
			continue
		}
		p, line := ps[i], lineOf(t, body, tt.marker)
		if p.File != "config.yaml" || p.Line != line || p.Key != tt.key || !strings.Contains(p.Msg, tt.msg) {
			t.Errorf("problem %d = %s\nwant config.yaml:%d: %s: …%s…", i, p, line, tt.key, tt.msg)
		}
	}
}

// Mistakes that each need a config of their own.
func TestSingleProblems(t *testing.T) {
	tests := []struct {
		name, body, marker, key, msg string
	}{
		// yaml.v3 names the line of the block it was parsing (credentials:),
		// not the badly indented line below it.
		{"invalid YAML: indentation", "channels:\n  console: {type: stdout}\ncredentials: # @here\n  - id: one\n   rotated_at: 2026-06-01\n",
			"@here", "", "invalid YAML: did not find expected '-' indicator"},
		// A scanner error names the line itself.
		{"invalid YAML: tab", "channels:\n  console: {type: stdout}\ncredentials:\n\t- id: one # @here\n",
			"@here", "", "invalid YAML: found character that cannot start any token"},
		{"invalid YAML: unclosed quote", minimal + "database: 'n.db # @here\n",
			"@here", "", "invalid YAML: "},
		{"empty file", "", "", "", "the file is empty"},
		{"not a mapping", "- a\n- b # @here\n", "", "", "the file must be a mapping"},
		{"no credentials", "channels:\n  console: {type: stdout}\npolicies:\n  standard: [{before: 1d, channels: [console]}]\n",
			"", "credentials", "no credentials"},
		{"default policy missing", "channels:\n  console: {type: stdout}\ncredentials:\n  - {id: one, rotated_at: 2026-06-01}\n",
			"", "policies", `no policy named "standard"`},
		{"defaults.policy undefined", minimal + "defaults:\n  policy: gentle # @here\n",
			"@here", "defaults.policy", `policy "gentle" is not defined under policies:`},
		{"missing rotated_at", minimal + "  - id: two # @here\n", "@here", "credentials[1].rotated_at", "missing"},
		{"missing id", minimal + "  - rotated_at: 2026-06-01 # @here\n", "@here", "credentials[1].id", "missing"},
		{"zero period", minimal + "defaults:\n  rotation_period: 0d # @here\n", "@here", "defaults.rotation_period", "must be longer than 0s"},
		{"local timezone", "timezone: Local # @here\n" + minimal, "@here", "timezone", `"Local" is not an IANA time zone name`},
		{"key given twice", "timezone: UTC\ntimezone: UTC # @here\n" + minimal, "@here", "timezone", "key given twice"},
		{"stage without before or after", "channels:\n  c: {type: stdout}\npolicies:\n  standard:\n    - {channels: [c]} # @here\ncredentials:\n  - {id: one, rotated_at: 2026-06-01}\n",
			"@here", "policies.standard[0]", "missing before: (e.g. 30d) or after:"},
		{"stage without channels", "channels:\n  c: {type: stdout}\npolicies:\n  standard:\n    - {before: 1d} # @here\ncredentials:\n  - {id: one, rotated_at: 2026-06-01}\n",
			"@here", "policies.standard[0].channels", "missing"},
		{"repeat too short", "channels:\n  c: {type: stdout}\npolicies:\n  standard:\n    - {after: 0s, repeat: 30s, channels: [c]} # @here\ncredentials:\n  - {id: one, rotated_at: 2026-06-01}\n",
			"@here", "policies.standard[0].repeat", "must be at least 1m"},
		{"unless_acknowledged not a bool", "channels:\n  c: {type: stdout}\npolicies:\n  standard:\n    - {before: 1d, unless_acknowledged: yes, channels: [c]} # @here\ncredentials:\n  - {id: one, rotated_at: 2026-06-01}\n",
			"@here", "policies.standard[0].unless_acknowledged", `"yes" is not true or false`},
		{"unknown channel key", "channels:\n  c:\n    type: stdout\n    colour: red # @here\npolicies:\n  standard: [{before: 1d, channels: [c]}]\ncredentials:\n  - {id: one, rotated_at: 2026-06-01}\n",
			"@here", "channels.c.colour", "unknown key for this channel type"},
		{"channel without type", "channels:\n  c: {format: json} # @here\npolicies:\n  standard: [{before: 1d, channels: [c]}]\ncredentials:\n  - {id: one, rotated_at: 2026-06-01}\n",
			"@here", "channels.c.type", "missing (one of: "}, // and no second problem where the stage names c
		{"channel with unknown type", "channels:\n  c: {type: carrier} # @here\npolicies:\n  standard: [{before: 1d, channels: [c]}]\ncredentials:\n  - {id: one, rotated_at: 2026-06-01}\n",
			"@here", "channels.c.type", `"carrier" is not a channel type (one of: `},
		{"channel not a mapping", "channels:\n  c: stdout # @here\npolicies:\n  standard: [{before: 1d, channels: [c]}]\ncredentials:\n  - {id: one, rotated_at: 2026-06-01}\n",
			"@here", "channels.c", "must be a mapping with at least type:"},
		{"empty ladder used by a credential", "channels:\n  c: {type: stdout}\npolicies:\n  standard: [{before: 1d, channels: [c]}]\n  gentle: [] # @here\ncredentials:\n  - {id: one, rotated_at: 2026-06-01, policy: gentle}\n",
			"@here", "policies.gentle", "the ladder is empty: give at least one stage"},
		{"policy not a list", "channels:\n  c: {type: stdout}\npolicies:\n  standard: {before: 1d} # @here\ncredentials:\n  - {id: one, rotated_at: 2026-06-01}\n",
			"@here", "policies.standard", "must be a list of stages"},
		{"channel's own validation", "channels:\n  c:\n    type: stdout\n    format: xml # @here\npolicies:\n  standard: [{before: 1d, channels: [c]}]\ncredentials:\n  - {id: one, rotated_at: 2026-06-01}\n",
			"@here", "channels.c.format", `"xml" is not text or json`},
		{"channel template", "channels:\n  c:\n    type: stdout\n    text_template: \"{{.Nope}}\" # @here\npolicies:\n  standard: [{before: 1d, channels: [c]}]\ncredentials:\n  - {id: one, rotated_at: 2026-06-01}\n",
			"@here", "channels.c.text_template", "can't evaluate field Nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadYAML(t, tt.body, nil)
			ps := problemsOf(t, err)
			if len(ps) != 1 {
				t.Fatalf("%d problems, want 1:\n%v", len(ps), err)
			}
			p := ps[0]
			line := 0
			if tt.marker != "" {
				line = lineOf(t, tt.body, tt.marker)
			}
			if p.File != "config.yaml" || (tt.marker != "" && p.Line != line) || p.Key != tt.key || !strings.Contains(p.Msg, tt.msg) {
				t.Errorf("problem = %s\nwant config.yaml:%d: %s: …%s…", p, line, tt.key, tt.msg)
			}
		})
	}
}

// rotated_at after now is a mistake only while it is in the future.
func TestRotatedAtFuture(t *testing.T) {
	path := writeFile(t, t.TempDir(), "config.yaml", minimal)
	tests := []struct {
		now     time.Time
		problem bool
	}{
		{time.Date(2026, 5, 31, 23, 59, 59, 0, time.UTC), true},
		{time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), false}, // the same instant is not the future
		{time.Date(2026, 6, 2, 0, 0, 0, 0, time.UTC), false},
	}
	for _, tt := range tests {
		cfg, err := Load(path, At(tt.now), envOf(nil), registry.Default())
		if !tt.problem {
			if err != nil {
				t.Errorf("now %v: %v", tt.now, err)
			} else if c := cfg.Credentials[0]; !c.RotatedAt.Equal(utc("2026-06-01T00:00:00Z")) {
				t.Errorf("now %v: rotated_at %v", tt.now, c.RotatedAt)
			}
			continue
		}
		ps := problemsOf(t, err)
		want := "config.yaml:7: credentials[0].rotated_at: 2026-06-01T00:00:00Z is in the future (now is 2026-05-31T23:59:59Z)"
		if len(ps) != 1 || ps[0].String() != want {
			t.Errorf("now %v: problems\n%v\nwant\n%s", tt.now, err, want)
		}
	}
}

// The clock is asked for now in the configured zone, so `--at 2026-06-01`
// can mean midnight there.
func TestClockGetsTheConfiguredZone(t *testing.T) {
	path := writeFile(t, t.TempDir(), "config.yaml", "timezone: Asia/Tokyo\n"+minimal)
	var asked *time.Location
	clock := func(loc *time.Location) time.Time {
		asked = loc
		return time.Date(2026, 6, 1, 0, 0, 0, 0, loc) // exactly rotated_at
	}
	if _, err := Load(path, clock, envOf(nil), registry.Default()); err != nil {
		t.Fatal(err)
	}
	if asked == nil || asked.String() != "Asia/Tokyo" {
		t.Errorf("clock called with %v, want Asia/Tokyo", asked)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(t.TempDir()+"/nope.yaml", At(testNow), envOf(nil), registry.Default())
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("err = %v, want one naming the file", err)
	}
	if _, ok := err.(Problems); ok {
		t.Error("a missing file is not a Problems list")
	}
}
