package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/notifier-dev/notifier/internal/domain"
)

// completionConfig has credentials in both styles in the main file
// (a compact list at column 0 too), more in a credential file (one id
// quoted), a secret from an unset ${NAME}: completion validates nothing.
const completionConfig = `database: notifier.db
timezone: UTC
policies:
  standard:
    - {before: 30d, channels: [ops]}
  gentle: [{before: 1d, channels: [ops]}]
channels:
  ops: {type: webhook, url: "${NOTIFIER_TEST_UNSET_HOOK}"}
  console: {type: stdout}
credential_files: [creds/*.yaml]
credentials:
  - {id: sp-api-prod, rotated_at: 2026-06-01}
- id: sp-api-eu
  lwa: {client_id: amzn1.application-oa2-client.x1}
  rotated_at: 2026-06-01
http:
  listen: 127.0.0.1:0
`

const completionCreds = `credentials:
  - id: "sp-api-us"
    name: "not an id: here-either"
    rotated_at: 2026-06-01
  - {id: db-main, rotated_at: 2026-06-01}
`

func writeCompletionConfig(t *testing.T) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "config.yaml")
	if err := os.MkdirAll(filepath.Join(dir, "creds"), 0o700); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{path: completionConfig, filepath.Join(dir, "creds", "a.yaml"): completionCreds} {
		if err := os.WriteFile(name, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir, path
}

// completed runs `notifier __complete args` and returns the values
// offered, failing unless the directive is :4 (no file names) and
// stderr holds only cobra's own debug line.
func completed(t *testing.T, dir string, environ []string, args ...string) []string {
	t.Helper()
	out, errs, code := runIn(t, dir, environ, append([]string{"__complete"}, args...)...)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != 0 || lines[len(lines)-1] != ":4" {
		t.Fatalf("__complete %q: exit %d\nstdout: %s\nstderr: %s", args, code, out, errs)
	}
	if strings.Contains(errs, "notifier:") || strings.Contains(strings.ToLower(errs), "error") {
		t.Errorf("__complete %q said something besides the values: %q", args, errs)
	}
	return lines[:len(lines)-1]
}

func TestCompletionValues(t *testing.T) {
	dir, path := writeCompletionConfig(t)
	var typesR []string
	for _, ty := range domain.EventTypes() {
		if strings.HasPrefix(ty, "r") {
			typesR = append(typesR, ty)
		}
	}
	all := []string{"sp-api-prod", "sp-api-eu", "sp-api-us", "db-main"}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"ack", "sp-"}, []string{"sp-api-prod", "sp-api-eu", "sp-api-us"}},
		{[]string{"rotate", ""}, all},
		{[]string{"probe", "db"}, []string{"db-main"}},
		{[]string{"retract", "rotation", "sp-api-e"}, []string{"sp-api-eu"}},
		{[]string{"retract", "ack", "sp-api-u"}, []string{"sp-api-us"}},
		{[]string{"ack", "nothing-"}, nil},
		{[]string{"ack", "sp-api-prod", ""}, nil}, // one argument only
		{[]string{"test", ""}, []string{"console", "ops"}},
		{[]string{"test", "o"}, []string{"ops"}},
		{[]string{"test", "ops", "--credential", "sp-api-p"}, []string{"sp-api-prod"}},
		{[]string{"history", "--credential", "db"}, []string{"db-main"}},
		{[]string{"history", "--type", "r"}, typesR},
		{[]string{"tick", "-o", ""}, []string{"table", "json"}},
		{[]string{"ack", "--output", ""}, []string{"text", "json"}},
	} {
		got := completed(t, dir, withEnv(), append([]string{"--config", path}, tc.args...)...)
		if !slices.Equal(got, tc.want) {
			t.Errorf("complete %q: %q, want %q", tc.args, got, tc.want)
		}
	}
	// NOTIFIER_CONFIG is the config, from any folder; --config wins.
	if got := completed(t, t.TempDir(), withEnv(ConfigEnv+"="+path), "ack", "d"); !slices.Equal(got, []string{"db-main"}) {
		t.Errorf("complete with NOTIFIER_CONFIG: %q", got)
	}
	if got := completed(t, dir, withEnv(ConfigEnv+"=/nonexistent.yaml"), "--config", path, "ack", "d"); !slices.Equal(got, []string{"db-main"}) {
		t.Errorf("complete with --config over NOTIFIER_CONFIG: %q", got)
	}
}

// A config that cannot be read completes nothing and prints no error.
func TestCompletionOfABrokenConfig(t *testing.T) {
	dir, _ := writeCompletionConfig(t)
	broken := filepath.Join(dir, "broken.yaml")
	if err := os.WriteFile(broken, []byte("channels: [unclosed\ncredentials:\n  - {id: sp-api-prod}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	binary := filepath.Join(dir, "binary.yaml")
	if err := os.WriteFile(binary, bytes.Repeat([]byte{0, 0xff, 'x'}, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		environ []string
		args    []string
	}{
		{"missing", withEnv(), []string{"--config", filepath.Join(dir, "absent.yaml"), "ack", ""}},
		{"not YAML", withEnv(), []string{"--config", broken, "ack", "sp"}},
		{"not YAML, channels", withEnv(), []string{"--config", broken, "test", ""}},
		{"binary", withEnv(), []string{"--config", binary, "rotate", ""}},
		{"a folder", withEnv(), []string{"--config", dir, "probe", ""}},
		{"NOTIFIER_CONFIG empty", withEnv(ConfigEnv + "="), []string{"ack", ""}},
	} {
		if got := completed(t, dir, tc.environ, tc.args...); len(got) != 0 {
			t.Errorf("%s: completed %q", tc.name, got)
		}
	}
}

// `notifier completion SHELL` prints each shell's script, is listed in
// the help, and takes the root's persistent flags and NOTIFIER_CONFIG.
func TestCompletionScripts(t *testing.T) {
	dir, path := writeCompletionConfig(t)
	for shell, mark := range map[string]string{
		"bash": "__start_notifier", "zsh": "#compdef notifier", "fish": "complete -c notifier", "powershell": "Register-ArgumentCompleter",
	} {
		for _, environ := range [][]string{withEnv(), withEnv(ConfigEnv + "=")} {
			out, errs, code := runIn(t, dir, environ, "--config", path, "--log-level", "warn", "completion", shell)
			if code != 0 || !strings.Contains(out, mark) {
				t.Errorf("completion %s: exit %d, %q\n%.200s", shell, code, errs, out)
			}
		}
	}
	if out, _, _ := runIn(t, dir, withEnv(), "--help"); !strings.Contains(out, "completion") {
		t.Errorf("--help does not list completion:\n%s", out)
	}
}

// --policy and --state complete wherever the views' filter is used: a
// command with viewFilter's flags, completed by cobra in-process.
func TestCompletionOfTheViewFilter(t *testing.T) {
	_, path := writeCompletionConfig(t)
	c := &cli{configPath: path}
	root := &cobra.Command{Use: "notifier"}
	var f viewFilter
	view := &cobra.Command{Use: "view", Run: func(*cobra.Command, []string) {}}
	f.flags(view)
	root.AddCommand(view)
	c.completions(root)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"view", "--policy", ""}, []string{"gentle", "standard"}},
		{[]string{"view", "--policy", "s"}, []string{"standard"}},
		{[]string{"view", "--credential", "sp-api-e"}, []string{"sp-api-eu"}},
		{[]string{"view", "--state", ""}, viewStates},
	} {
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&bytes.Buffer{})
		root.SetArgs(append([]string{cobra.ShellCompNoDescRequestCmd}, tc.args...))
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if got := lines[:len(lines)-1]; !slices.Equal(got, tc.want) || lines[len(lines)-1] != ":4" {
			t.Errorf("complete %q: %q, want %q and :4", tc.args, lines, tc.want)
		}
	}
}
