package config

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/schedule"
)

func TestParseTime(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in   string
		want string // RFC 3339 in UTC
	}{
		{"2026-06-01", "2026-05-31T22:00:00Z"}, // midnight in Berlin (CEST)
		{"2026-01-15", "2026-01-14T23:00:00Z"}, // midnight in Berlin (CET)
		{"2026-06-01T09:30", "2026-06-01T07:30:00Z"},
		{"2026-06-01 09:30", "2026-06-01T07:30:00Z"},
		{"2026-06-01T09:30:15", "2026-06-01T07:30:15Z"},
		{"2026-06-01 09:30:15", "2026-06-01T07:30:15Z"},
		{"  2026-06-01  ", "2026-05-31T22:00:00Z"},
		{"2026-06-01T09:30:00Z", "2026-06-01T09:30:00Z"},      // RFC 3339 keeps its own zone
		{"2026-06-01T09:30:00+02:00", "2026-06-01T07:30:00Z"}, // whatever loc says
		{"2026-06-01T09:30:00.25Z", "2026-06-01T09:30:00.25Z"},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in, berlin)
		if err != nil {
			t.Errorf("ParseTime(%q): %v", tt.in, err)
			continue
		}
		if want, _ := time.Parse(time.RFC3339Nano, tt.want); !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, want %v", tt.in, got.UTC(), want)
		}
	}
	for _, in := range []string{"", "tomorrow", "2026-13-01", "2026-06-31", "06/01/2026", "2026-06-01T25:00", "1d"} {
		if got, err := ParseTime(in, berlin); err == nil {
			t.Errorf("ParseTime(%q) = %v, want an error", in, got)
		} else if !strings.Contains(err.Error(), "is not a time (use 2026-06-01") {
			t.Errorf("ParseTime(%q) error %q does not say how to write a time", in, err)
		}
	}
}

// Date-only times in the config are midnight in its zone; RFC 3339 is kept.
func TestConfigTimesInZone(t *testing.T) {
	cfg := mustLoad(t, `timezone: Europe/Berlin
channels:
  console: {type: stdout}
policies:
  standard: [{before: 1d, channels: [console]}]
credentials:
  - {id: date-only, rotated_at: 2026-06-01}
  - {id: local-clock, rotated_at: "2026-06-01 09:30"}
  - {id: rfc3339, rotated_at: "2026-06-01T00:00:00Z", expires_at: "2026-12-01T08:00:00-05:00"}
`, nil)
	if cfg.Timezone != "Europe/Berlin" || cfg.Location.String() != "Europe/Berlin" {
		t.Errorf("timezone %q, location %v", cfg.Timezone, cfg.Location)
	}
	want := map[string][2]string{
		"date-only":   {"2026-05-31T22:00:00Z", ""},
		"local-clock": {"2026-06-01T07:30:00Z", ""},
		"rfc3339":     {"2026-06-01T00:00:00Z", "2026-12-01T13:00:00Z"},
	}
	for id, w := range want {
		c, ok := cfg.Credential(id)
		if !ok {
			t.Fatalf("no credential %s", id)
		}
		if got := c.RotatedAt.UTC().Format(time.RFC3339); got != w[0] {
			t.Errorf("%s rotated_at = %s, want %s", id, got, w[0])
		}
		gotExp := ""
		if !c.ExpiresAt.IsZero() {
			gotExp = c.ExpiresAt.UTC().Format(time.RFC3339)
		}
		if gotExp != w[1] {
			t.Errorf("%s expires_at = %q, want %q", id, gotExp, w[1])
		}
	}
}

// The store keeps whole seconds; the config must not carry a fraction that
// the store would drop (sync would see rotated_at move forward every time).
func TestConfigTimesWholeSeconds(t *testing.T) {
	cfg := mustLoad(t, `channels:
  console: {type: stdout}
policies:
  standard: [{before: 1d, channels: [console]}]
credentials:
  - {id: one, rotated_at: "2026-06-01T09:30:00.75Z", expires_at: "2026-09-01T00:00:00.5Z"}
`, nil)
	c := cfg.Credentials[0]
	if !c.RotatedAt.Equal(utc("2026-06-01T09:30:00Z")) || !c.ExpiresAt.Equal(utc("2026-09-01T00:00:00Z")) {
		t.Errorf("rotated_at %v, expires_at %v: want whole seconds", c.RotatedAt, c.ExpiresAt)
	}
	// The cycle read back from the store (whole seconds) still gets the
	// explicit expiry.
	if got := c.Deadline(utc("2026-06-01T09:30:00Z"), time.UTC); !got.Equal(c.ExpiresAt) {
		t.Errorf("Deadline of the stored cycle = %v, want expires_at %v", got, c.ExpiresAt)
	}
}

func TestDeadline(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	rotated := time.Date(2026, 6, 1, 0, 0, 0, 0, berlin) // 2026-05-31T22:00:00Z
	c := Credential{ID: "x", RotatedAt: rotated, RotationPeriod: schedule.Span{Days: 180}}
	tests := []struct {
		name  string
		c     Credential
		start time.Time
		want  string
	}{
		// 180 calendar days in Berlin: midnight CET after the DST change,
		// not 180*24h (which would be 2026-11-27T22:00:00Z, 23:00 local).
		{"calendar days across DST", c, rotated, "2026-11-27T23:00:00Z"},
		{"a later cycle", c, time.Date(2026, 11, 20, 0, 0, 0, 0, berlin), "2027-05-18T22:00:00Z"},
		{"clock period", Credential{RotatedAt: rotated, RotationPeriod: schedule.Span{Clock: 36 * time.Hour}}, rotated, "2026-06-02T10:00:00Z"},
		{"expires_at for the config's cycle",
			Credential{RotatedAt: rotated, RotationPeriod: schedule.Span{Days: 180}, ExpiresAt: utc("2026-09-01T12:00:00Z")},
			rotated.UTC(), "2026-09-01T12:00:00Z"},
		{"expires_at not for a later cycle",
			Credential{RotatedAt: rotated, RotationPeriod: schedule.Span{Days: 180}, ExpiresAt: utc("2026-09-01T12:00:00Z")},
			time.Date(2026, 8, 1, 0, 0, 0, 0, berlin), "2027-01-27T23:00:00Z"},
	}
	for _, tt := range tests {
		got := tt.c.Deadline(tt.start, berlin)
		if got.UTC().Format(time.RFC3339) != tt.want {
			t.Errorf("%s: Deadline = %s, want %s", tt.name, got.UTC().Format(time.RFC3339), tt.want)
		}
	}
	// The loaded config gives the same: 2026-11-28 00:00 CET.
	cfg := mustLoad(t, "timezone: Europe/Berlin\n"+minimal, nil)
	one := cfg.Credentials[0]
	d := one.Deadline(one.RotatedAt, cfg.Location)
	if got := d.In(cfg.Location).Format("2006-01-02 15:04 MST"); got != "2026-11-28 00:00 CET" {
		t.Errorf("loaded deadline = %s, want 2026-11-28 00:00 CET", got)
	}
}

func TestStagesSortedLeastUrgentFirst(t *testing.T) {
	cfg := mustLoad(t, `channels:
  c: {type: stdout}
policies:
  standard:
    - {after: 0s, channels: [c]}
    - {before: 24h, channels: [c]}
    - {after: 2d, channels: [c]}
    - {before: 30d, channels: [c], name: first, subject: "{{.Name}}!"}
    - {before: 7d, channels: [c]}
credentials:
  - {id: one, rotated_at: 2026-06-01}
`, nil)
	p := cfg.Policies["standard"]
	if got, want := stageNames(p), []string{"first", "7d", "24h", "overdue", "overdue+2d"}; !slices.Equal(got, want) {
		t.Errorf("stages = %v, want %v", got, want)
	}
	// Templates travel with their stage when it moves.
	if p.Stages[0].Subject == nil || p.Stages[0].Subject.Name() != "policies.standard[3].subject" {
		t.Errorf("first stage lost its subject template: %v", p.Stages[0].Subject)
	}
	for _, s := range p.Stages[1:] {
		if s.Subject != nil {
			t.Errorf("stage %s got a subject template", s.Name)
		}
	}
}

func TestStagesDueAtTheSameTime(t *testing.T) {
	body := `channels:
  c: {type: stdout}
policies:
  standard:                       # @policy
    - {before: 1d, channels: [c]}
    - {before: 24h, channels: [c]}
    - {name: late, after: 0s, channels: [c]}
credentials:
  - {id: one, rotated_at: 2026-06-01}
`
	_, err := loadYAML(t, body, nil)
	ps := problemsOf(t, err)
	if len(ps) != 1 {
		t.Fatalf("%d problems, want 1:\n%v", len(ps), err)
	}
	want := `config.yaml:5: policies.standard: stages "1d" and "24h" are due at the same time`
	if ps[0].String() != want {
		t.Errorf("problem = %s\nwant %s", ps[0], want)
	}

	_, err = loadYAML(t, `channels:
  c: {type: stdout}
policies:
  standard:
    - {before: 7d, channels: [c]}
    - {name: 7d, before: 6d, channels: [c]}   # @dup
credentials:
  - {id: one, rotated_at: 2026-06-01}
`, nil)
	ps = problemsOf(t, err)
	if len(ps) != 1 || ps[0].Line != 6 || ps[0].Key != "policies.standard[1].name" || !strings.Contains(ps[0].Msg, `stage name "7d" used twice`) {
		t.Errorf("problems:\n%v", err)
	}
}

func TestRetry(t *testing.T) {
	cfg := mustLoad(t, minimal, nil)
	if want := (Retry{MaxAttempts: DefaultMaxAttempts, InitialBackoff: DefaultInitialBackoff, MaxBackoff: DefaultMaxBackoff}); cfg.Retry != want {
		t.Errorf("default retry = %+v, want %+v", cfg.Retry, want)
	}
	cfg = mustLoad(t, "retry:\n  max_attempts: 3\n  initial_backoff: 30s\n  max_backoff: 1h30m\n"+minimal, nil)
	if want := (Retry{MaxAttempts: 3, InitialBackoff: 30 * time.Second, MaxBackoff: 90 * time.Minute}); cfg.Retry != want {
		t.Errorf("retry = %+v, want %+v", cfg.Retry, want)
	}
	// Only some keys: the others keep their defaults.
	cfg = mustLoad(t, "retry:\n  max_backoff: 10m\n"+minimal, nil)
	if want := (Retry{MaxAttempts: 8, InitialBackoff: time.Minute, MaxBackoff: 10 * time.Minute}); cfg.Retry != want {
		t.Errorf("retry = %+v, want %+v", cfg.Retry, want)
	}

	bad := []struct {
		retry, key, msg string
		line            int
	}{
		{"  max_attempts: 0\n", "retry.max_attempts", `"0" is not a whole number from 1 to 100`, 2},
		{"  max_attempts: 101\n", "retry.max_attempts", `"101" is not a whole number from 1 to 100`, 2},
		{"  max_attempts: three\n", "retry.max_attempts", `"three" is not a whole number`, 2},
		{"  initial_backoff: 1d\n", "retry.initial_backoff", "must be a duration of at least 1s in h, m or s", 2},
		{"  initial_backoff: 0s\n", "retry.initial_backoff", "must be a duration of at least 1s in h, m or s", 2},
		{"  initial_backoff: 500ms\n", "retry.initial_backoff", "must be a duration of at least 1s in h, m or s", 2},
		{"  max_backoff: soon\n", "retry.max_backoff", `"soon" is not a duration`, 2},
		{"  initial_backoff: 2h\n", "retry.max_backoff", "is shorter than retry.initial_backoff", 2},
		{"  jitter: 5s\n", "retry.jitter", "unknown key (known: max_attempts, initial_backoff, max_backoff)", 2},
	}
	for _, tt := range bad {
		_, err := loadYAML(t, "retry:\n"+tt.retry+minimal, nil)
		ps := problemsOf(t, err)
		if len(ps) != 1 || ps[0].Key != tt.key || ps[0].Line != tt.line || !strings.Contains(ps[0].Msg, tt.msg) {
			t.Errorf("retry %q: problems\n%v\nwant line %d %s: …%s…", tt.retry, err, tt.line, tt.key, tt.msg)
		}
	}
}

func TestDatabasePath(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ db, want string }{
		{"", dir + "/notifier.db"},
		{"database: data/n.db\n", dir + "/data/n.db"},
		{"database: /var/lib/notifier/n.db\n", "/var/lib/notifier/n.db"},
	}
	for _, tt := range tests {
		cfg, err := Load(writeFile(t, dir, "config.yaml", tt.db+minimal), At(testNow), envOf(nil), registry.Default())
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Database != tt.want {
			t.Errorf("%q: Database = %q, want %q", tt.db, cfg.Database, tt.want)
		}
	}
}
