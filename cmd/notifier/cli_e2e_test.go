package main

// The command line's habits (issue 18): version, NOTIFIER_CONFIG, exit
// codes and status --fail-on, who --by is by default, help that matches
// the code.

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/domain"
)

// runIn runs the binary in dir with environ (nil: this process's) and
// exactly args (no --config added), and returns stdout, stderr and the
// exit code.
func runIn(t *testing.T, dir string, environ []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = environ
	atTestClock(cmd)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return out.String(), errb.String(), exit.ExitCode()
	} else if err != nil {
		t.Fatalf("running notifier %v: %v", args, err)
	}
	return out.String(), errb.String(), 0
}

// withEnv is this process's environment with kv set (NAME=value) and
// NOTIFIER_CONFIG unset unless kv sets it.
func withEnv(kv ...string) []string {
	env := slices.DeleteFunc(os.Environ(), func(s string) bool { return strings.HasPrefix(s, "NOTIFIER_CONFIG=") })
	return append(env, kv...)
}

// oneLine fails the test unless errs is one line containing every want.
func oneLine(t *testing.T, what, errs string, want ...string) {
	t.Helper()
	if strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Errorf("%s: stderr is not one line: %q", what, errs)
	}
	for _, w := range want {
		if !strings.Contains(errs, w) {
			t.Errorf("%s: stderr %q does not say %q", what, errs, w)
		}
	}
}

// The binary's own build info, read by the Go toolchain (go version -m):
// what `notifier version` must say, "(devel)"/"unknown" where it is absent.
func stampedVersion(t *testing.T) (version, commit, date string) {
	t.Helper()
	out, err := exec.Command("go", "version", "-m", binary).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	version, commit, date = "(devel)", "unknown", "unknown"
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[0] == "mod" && f[1] == "github.com/notifier-dev/notifier" && f[2] != "":
			version = f[2]
		case len(f) == 2 && f[0] == "build" && strings.HasPrefix(f[1], "vcs.revision="):
			commit = strings.TrimPrefix(f[1], "vcs.revision=")
		case len(f) == 2 && f[0] == "build" && strings.HasPrefix(f[1], "vcs.time="):
			date = strings.TrimPrefix(f[1], "vcs.time=")
		}
	}
	return version, commit, date
}

func TestVersion(t *testing.T) {
	version, commit, date := stampedVersion(t)
	dir := t.TempDir()                 // no config anywhere: version needs none
	env := withEnv("NOTIFIER_CONFIG=") // nor a valid NOTIFIER_CONFIG
	var lines []string
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, errs, code := runIn(t, dir, env, args...)
		if code != 0 || errs != "" {
			t.Fatalf("notifier %v: exit %d, stderr %q", args, code, errs)
		}
		if strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "notifier "+version+", commit "+commit) || !strings.Contains(out, "date "+date) {
			t.Errorf("notifier %v: %q; want one line with version %s, commit %s, date %s", args, out, version, commit, date)
		}
		lines = append(lines, out)
	}
	if lines[0] != lines[1] {
		t.Errorf("version and --version differ: %q, %q", lines[0], lines[1])
	}
	out, errs, code := runIn(t, dir, env, "version", "-o", "json")
	var got struct{ Version, Commit, Date, Go string }
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
		t.Fatalf("version -o json: exit %d, %v, stderr %q\n%s", code, err, errs, out)
	}
	if got.Version != version || got.Commit != commit || got.Date != date || !strings.HasPrefix(got.Go, "go1.") {
		t.Errorf("version -o json: %+v; want version %s, commit %s, date %s", got, version, commit, date)
	}
	_, errs, code = runIn(t, dir, env, "version", "-o", "yaml")
	if code != 1 {
		t.Errorf("version -o yaml: exit %d, want 1", code)
	}
	oneLine(t, "version -o yaml", errs, `--output: "yaml" is not one of text, json`)
}

// NOTIFIER_CONFIG is --config's default; the flag wins; an empty one is an
// error, never ./config.yaml.
func TestNotifierConfigEnv(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	elsewhere := t.TempDir()
	decoy := filepath.Join(elsewhere, "config.yaml") // what an empty variable must not fall back to
	body, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(decoy, bytes.Replace(body, []byte("notifier.db"), []byte("decoy.db"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		code int
		out  string   // in stdout
		errs []string // the one line on stderr
	}{
		{"the variable", withEnv("NOTIFIER_CONFIG=" + e.config), []string{"check"}, 0, e.config + ": ok", nil},
		{"the flag wins", withEnv("NOTIFIER_CONFIG=" + filepath.Join(elsewhere, "nope.yaml")), []string{"--config", e.config, "check"}, 0, e.config + ": ok", nil},
		{"neither: ./config.yaml", withEnv(), []string{"check"}, 0, "decoy.db", nil},
		{"empty", withEnv("NOTIFIER_CONFIG="), []string{"check"}, 1, "", []string{"NOTIFIER_CONFIG: empty"}},
		{"empty, a view", withEnv("NOTIFIER_CONFIG="), []string{"status"}, 1, "", []string{"NOTIFIER_CONFIG: empty"}},
		{"empty, the flag wins", withEnv("NOTIFIER_CONFIG="), []string{"--config", e.config, "check"}, 0, e.config + ": ok", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := runIn(t, elsewhere, tc.env, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.out) || tc.name != "neither: ./config.yaml" && strings.Contains(out, "decoy") {
				t.Fatalf("exit %d, want %d; stdout %q, want %q; stderr %q", code, tc.code, out, tc.out, errs)
			}
			if tc.code != 0 {
				oneLine(t, tc.name, errs, tc.errs...)
				if strings.Contains(out+errs, "decoy") || strings.Contains(errs, "problem") {
					t.Errorf("empty NOTIFIER_CONFIG fell back to ./config.yaml: %q %q", out, errs)
				}
			}
		})
	}
	help, _, _ := runIn(t, elsewhere, withEnv(), "--help")
	if !strings.Contains(help, "NOTIFIER_CONFIG") || !strings.Contains(help, "the flag wins") {
		t.Errorf("--help does not say --config defaults to NOTIFIER_CONFIG and that the flag wins:\n%s", help)
	}
}

// status --fail-on: exit 3 when a credential is in the state asked (due:
// due or overdue), 0 otherwise, 1 for an error; the table is printed
// either way.
func TestStatusFailOn(t *testing.T) {
	e := newEnv(t, "2026-06-01") // deadline 2026-11-28: ok before 10-29, due from it, overdue from 11-28
	e.tick("2026-10-01T00:00:00Z")
	for _, tc := range []struct {
		at, failOn string
		code       int
		errs       string
	}{
		{"2026-10-01T00:00:00Z", "due", 0, ""},
		{"2026-10-01T00:00:00Z", "overdue", 0, ""},
		{"2026-11-01T00:00:00Z", "due", 3, "1 credential(s) due or overdue (--fail-on due): sp-api-prod"},
		{"2026-11-01T00:00:00Z", "overdue", 0, ""},
		{"2026-12-01T00:00:00Z", "due", 3, "1 credential(s) due or overdue (--fail-on due): sp-api-prod"},
		{"2026-12-01T00:00:00Z", "overdue", 3, "1 credential(s) overdue (--fail-on overdue): sp-api-prod"},
		{"2026-12-01T00:00:00Z", "late", 1, `--fail-on: "late" is not one of overdue, due`},
	} {
		out, errs, code := e.run("status", "--at", tc.at, "--fail-on", tc.failOn)
		if code != tc.code {
			t.Errorf("status --at %s --fail-on %s: exit %d, want %d; stderr %q", tc.at, tc.failOn, code, tc.code, errs)
		}
		if tc.code != 1 && !strings.Contains(out, "sp-api-prod") {
			t.Errorf("status --at %s --fail-on %s: the table is missing: %q", tc.at, tc.failOn, out)
		}
		if tc.errs == "" && errs != "" {
			t.Errorf("status --at %s --fail-on %s: stderr %q, want none", tc.at, tc.failOn, errs)
		} else if tc.errs != "" {
			oneLine(t, "status --fail-on "+tc.failOn, errs, tc.errs)
		}
	}
	help := e.ok("status", "--help")
	for _, w := range []string{"Exit codes:", "0 ", "1 ", "3 ", "--fail-on"} {
		if !strings.Contains(help, w) {
			t.Errorf("status --help does not say %q:\n%s", w, help)
		}
	}
}

// --by (retract: --actor) defaults to the OS account only when it is a
// person's (uid >= 1000, not nobody); as root or a system account it is
// required, and nothing is recorded without it. The test build's
// NOTIFIER_TEST_USER (name:uid) stands for the OS account.
func TestActorDefaultsOnlyToAPersonsAccount(t *testing.T) {
	const wall = "2026-11-25T09:00:00Z"
	for _, tc := range []struct {
		user  string
		actor string // recorded; "" refused
	}{
		{"root:0", ""},
		{"daemon:1", ""},
		{"notifier:998", ""},
		{"nobody:65534", ""},
		{"alice:1000", "alice"},
		{"bob:1001", "bob"},
	} {
		t.Run(tc.user, func(t *testing.T) {
			e := newEnv(t, "2026-06-01")
			e.tick("2026-10-01T00:00:00Z") // the database exists: a refusal records nothing in it
			env := append(os.Environ(), testNowEnv+"="+wall, "NOTIFIER_TEST_USER="+tc.user)
			for _, args := range [][]string{
				{"ack", "sp-api-prod"},
				{"rotate", "sp-api-prod", "--at", "2026-11-24T09:00:00Z"},
				{"retract", "rotation", "sp-api-prod", "--reason", "typo"},
			} {
				out, errs, code := e.runWithEnv(env, args...)
				name := map[string]string{"retract": "--actor"}[args[0]]
				if name == "" {
					name = "--by"
				}
				if tc.actor == "" {
					if code != 1 {
						t.Errorf("%v as %s: exit %d, want 1; stdout %q", args, tc.user, code, out)
					}
					oneLine(t, strings.Join(args, " "), errs, name+": required", strings.Split(tc.user, ":")[0])
				} else if code != 0 {
					t.Errorf("%v as %s: exit %d, stdout %q, stderr %q; want done by %s", args, tc.user, code, out, errs, tc.actor)
				}
			}
			var actors []string
			for _, typ := range []string{"ack", "rotation", "retraction"} {
				for _, ev := range e.history("--type", typ) {
					if ev.Status == "cli" || typ != "rotation" {
						actors = append(actors, ev.Actor)
					}
				}
			}
			want := []string{}
			if tc.actor != "" {
				want = []string{tc.actor, tc.actor, tc.actor}
			}
			if !slices.Equal(append([]string{}, actors...), want) {
				t.Errorf("recorded actors as %s: %q, want %q", tc.user, actors, want)
			}
		})
	}
}

// Help that matches the code: history --type lists every event type;
// --at on the commands that record says it records a past moment, on
// views that it shows the record as of that moment; no "simulate" there.
func TestHelpMatchesTheCode(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	help := e.ok("history", "--help")
	var listed []string
	for _, line := range strings.Split(help, "\n") {
		if _, list, ok := strings.Cut(line, "only this type: "); ok && strings.Contains(line, "--type") {
			listed = strings.Split(list, ", ")
		}
	}
	if !slices.Equal(listed, domain.EventTypes()) {
		t.Errorf("history --help lists types %q; domain.EventTypes() is %q", listed, domain.EventTypes())
	}
	for _, tc := range []struct {
		args []string
		at   string
	}{
		{[]string{"ack"}, "record it at this past moment"},
		{[]string{"rotate"}, "record it at this past moment"},
		{[]string{"retract", "rotation"}, "record it at this past moment"},
		{[]string{"retract", "ack"}, "record it at this past moment"},
		{[]string{"status"}, "show the record as of this moment"},
		{[]string{"plan"}, "show the record as of this moment"},
		{[]string{"report"}, "show the record as of this moment"},
	} {
		help := e.ok(append(tc.args, "--help")...)
		var atLine string
		for _, line := range strings.Split(help, "\n") {
			if strings.Contains(line, "--at string") {
				atLine = line
			}
		}
		if !strings.Contains(atLine, tc.at) || strings.Contains(atLine, "simulate") {
			t.Errorf("%v --help: --at says %q; want %q, not simulate", tc.args, atLine, tc.at)
		}
	}
}
