package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// The fuzz targets feed the loader arbitrary bytes. `go test` runs their
// seeds, hostile inputs included; fuzz longer with, for example,
//
//	go test -fuzz=FuzzLoadMain -fuzztime=1m ./internal/config
//
// (one target at a time: FuzzLoadMain, FuzzReadCredentialFile,
// FuzzParseTime).

// fuzzEnv is the environment the fuzzed configs see.
var fuzzEnv = envOf(map[string]string{"TOKEN": "xoxb-fuzz", "PERIOD": "99999d", "WHEN": "1969-01-01", "EMPTY": ""})

// manyProblems is a credentials: list in flow style, small to write, with
// n items that are empty mappings: each lacks its id and its rotated_at.
func manyProblems(n int) string {
	return "credentials: [" + strings.Repeat("{},", n) + "]\n"
}

// hostileSeeds are inputs that broke, or could break, the loader: huge
// spans and times out of range, an empty time (an empty --at once
// meant now), escapes and bidi overrides, deep nesting, an alias bomb, and a
// config with 100,000 problems in a small form.
func hostileSeeds() []string {
	return []string{
		"credentials:\n  - {id: k, rotated_at: 2026-06-01, rotation_period: 281474976710656d}\n",
		"defaults: {rotation_period: 9223372036854775807d}\ncredentials:\n  - {id: k, rotated_at: 2026-06-01}\n",
		"retry: {initial_backoff: 2562047h47m16.854775807s, max_backoff: 2562047h47m16.854775807s}\ncredentials: []\n",
		"credentials:\n  - {id: k, rotated_at: '', expires_at: ''}\n",
		"credentials:\n  - {id: k, rotated_at: 1969-12-31, expires_at: 9999-12-31T23:59:59-12:00}\n",
		"credentials:\n  - {id: k, rotated_at: '${WHEN}', rotation_period: '${PERIOD}'}\n",
		"credentials:\n  - {id: \"k\\e[31m\\u202e\", name: \"\\e]0;owned\\a\", owner: \"\\u2066x\\u2069\", rotated_at: 2026-06-01}\n",
		"policies:\n  standard:\n    - {before: 876001h, repeat: 36500d1s, channels: [c]}\n",
		strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000),
		"credentials:\n" + strings.Repeat("  ", 1) + strings.Repeat("- ", 5_000) + "x\n",
		"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nchannels: {c: {type: webhook, url: [*c, *c, *c, *c, *c, *c, *c, *c, *c]}}\n",
		"\x00\x01\x1b\xff",
		"",
		manyProblems(50_000), // 100,000 problems
	}
}

// checkProblems asserts err is nil or Problems, each in file and naming a
// key or a line, on one line; a problem may name neither only when it is
// about the whole file (empty, not YAML).
func checkProblems(t *testing.T, err error, file string) {
	t.Helper()
	if err == nil {
		return
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %T %q is not Problems", err, err)
	}
	if len(ps) == 0 {
		t.Fatal("empty Problems")
	}
	for i, p := range ps {
		if p.File != file {
			t.Fatalf("problem %q is not in %s", p, file)
		}
		if p.More > 0 && (i != len(ps)-1 || i != ProblemsKept) {
			t.Fatalf("problem %d of %d counts %d more; only the one after the %d kept may", i, len(ps), p.More, ProblemsKept)
		}
		if p.Line == 0 && p.Key == "" && !strings.HasPrefix(p.Msg, "invalid YAML") && p.Msg != "the file is empty" && p.More == 0 {
			t.Fatalf("problem %q names neither a key nor a line", p)
		}
		if strings.ContainsAny(p.String(), "\n\r") {
			t.Fatalf("problem %q is not one line", p)
		}
	}
}

// checkCredentials asserts what a valid config promises of its
// credentials: bounded periods and times, and bounded schedule math.
func checkCredentials(t *testing.T, creds []Credential, loc *time.Location) {
	t.Helper()
	for _, c := range creds {
		if !isSlug(c.ID) || c.RotationPeriod.TooLong() || c.RotationPeriod.IsZero() ||
			c.RotatedAt.Before(schedule.MinTime) || c.RotatedAt.After(schedule.MaxTime) ||
			!c.ExpiresAt.IsZero() && (c.ExpiresAt.After(schedule.MaxTime) || !c.ExpiresAt.After(c.RotatedAt)) {
			t.Fatalf("a valid config holds %+v", c)
		}
		deadline := c.Deadline(c.RotatedAt, loc)
		schedule.DaysRemaining(deadline, schedule.MinTime, loc)
		schedule.DaysRemaining(deadline, schedule.MaxTime, loc)
	}
}

func FuzzLoadMain(f *testing.F) {
	example, err := os.ReadFile(filepath.Join("..", "..", "config.example.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(example))
	f.Add(minimal)
	f.Add(fileMain)
	for _, s := range hostileSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		dir := t.TempDir()
		path := writeFile(t, dir, "config.yaml", body)
		var cfg *Config
		var err error
		promptly(t, "LoadMain", func() { cfg, err = LoadMain(path, At(testNow), fuzzEnv, registry.Default()) })
		checkProblems(t, err, "config.yaml")
		if err != nil {
			return
		}
		checkCredentials(t, cfg.Credentials, cfg.Location)
		if cfg.Retry.InitialBackoff > schedule.MaxSpan.Approx() || cfg.Retry.MaxBackoff > schedule.MaxSpan.Approx() {
			t.Fatalf("a valid config holds retry %+v", cfg.Retry)
		}
		for _, p := range cfg.Policies {
			for _, s := range p.Stages {
				if s.Offset.TooLong() || s.Repeat.TooLong() {
					t.Fatalf("a valid config holds stage %+v", s.Stage)
				}
			}
		}
	})
}

// FuzzReadCredentialFile reads arbitrary bytes as a credential file, in
// chunks and whole: both give the same credentials and the same problems.
func FuzzReadCredentialFile(f *testing.F) {
	f.Add(fleetBody(3, func(int) string { return "" }))
	f.Add(fleetBody(5, func(i int) string {
		if i == 3 {
			return "  - {id: c-3, rotated_at: 2026-02-30}\n"
		}
		return ""
	}))
	f.Add("credentials:\n  - id: a\n    name: |\n      - not an item\n    rotated_at: 2026-05-01\n  - {id: b, rotated_at: someday}\n")
	f.Add("credentials:\n  - &base {id: a, rotated_at: 2026-05-01}\n  - <<: *base\n    id: b\n")
	for _, s := range hostileSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		dir := t.TempDir()
		writeFile(t, dir, "creds.yaml", body)
		cfg, err := LoadMain(writeFile(t, dir, "config.yaml", fileMain), At(testNow), fuzzEnv, registry.Default())
		if err != nil {
			t.Fatal(err)
		}
		var chunkCreds, wholeCreds []Credential
		var chunkErr, wholeErr error
		promptly(t, "ReadCredentialFile", func() {
			chunkCreds, _, chunkErr = cfg.readCredentialFile("creds.yaml", 2)
			wholeCreds, _, wholeErr = cfg.ReadCredentialFile("creds.yaml")
		})
		checkProblems(t, wholeErr, "creds.yaml")
		if got, want := problemStrings(chunkErr), problemStrings(wholeErr); !reflect.DeepEqual(got, want) {
			t.Fatalf("problems in chunks:\n%s\nwhole:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if !reflect.DeepEqual(chunkCreds, wholeCreds) {
			t.Fatalf("credentials differ: in chunks %+v, whole %+v", chunkCreds, wholeCreds)
		}
		checkCredentials(t, wholeCreds, cfg.Location)
	})
}

// FuzzParseTime: no panic; a time accepted is within the bounds and
// round-trips through RFC 3339; an error is one line.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"2026-06-01", "2026-06-01T09:30", "2026-06-01 09:30:15", "2026-06-01T09:30:00.25Z", "2026-06-01T09:30:00+14:00",
		"1970-01-01", "9999-12-31", "", "   ", "''", "garbage", "1969-12-31T23:59:59.999999999Z",
		"9999-12-31T23:59:59-12:00", "0000-01-01T00:00:00Z", "2099-01-01", "10000-01-01", "2026-02-30",
		"2026-06-01\x1b[31m", "2026-06-01\u202e", "2026-06-01T09:30:00Z\n2027-01-01",
	} {
		f.Add(s)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, loc := range []*time.Location{time.UTC, berlin, time.FixedZone("", -12*3600)} {
			tm, err := ParseTime(in, loc)
			if err != nil {
				if strings.ContainsAny(err.Error(), "\n\r") {
					t.Fatalf("ParseTime(%q): error %q is not one line", in, err)
				}
				continue
			}
			if tm.Before(schedule.MinTime) || tm.After(schedule.MaxTime) {
				t.Fatalf("ParseTime(%q, %v) = %v: out of range", in, loc, tm)
			}
			back, err := ParseTime(tm.Format(time.RFC3339Nano), loc)
			if err != nil || !back.Equal(tm) {
				t.Fatalf("ParseTime(%q, %v) = %v; as RFC 3339 it parses as %v, %v", in, loc, tm, back, err)
			}
		}
	})
}
