package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/channels/registry"
)

// messageEnv is the environment of the cases in testdata/problems.txt.
var messageEnv = map[string]string{
	"SHORT":  "short",
	"LONG":   strings.Repeat("k", 48),
	"SECRET": "s3cr3t-value",
	"URL":    "https://hooks.example.com/x?key=abc",
}

// messageCase is one case of testdata/problems.txt: a config.yaml, the
// files beside it, and every problem it has, word for word.
type messageCase struct {
	name, config string
	files        map[string]string
	read         string // a credential file ReadCredentialFile reads after LoadMain
	want         string
}

// TestProblemMessages pins every problem's file, line, key and wording, byte
// for byte: a case per kind of mistake in each block. A case is
//
//	== name
//	config.yaml, where a line @@minimal stands for the minimal config
//	@@file path         (optional, repeated) a file beside it
//	@@read path         (optional) LoadMain, then ReadCredentialFile(path)
//	-- want
//	the error's text
//
// Every case's folder also holds the folders open (mode 0755) and closed
// (0700).
func TestProblemMessages(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "problems.txt"))
	if err != nil {
		t.Fatal(err)
	}
	cases := parseMessageCases(t, string(data))
	if len(cases) < 50 {
		t.Fatalf("%d cases", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.problems(t); got != c.want {
				t.Errorf("problems:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

func parseMessageCases(t *testing.T, data string) []messageCase {
	var cases []messageCase
	for _, block := range strings.Split(data, "\n== ")[1:] {
		text, want, ok := strings.Cut(block, "\n-- want\n")
		if !ok {
			t.Fatalf("case %q has no -- want", strings.SplitN(block, "\n", 2)[0])
		}
		name, text, _ := strings.Cut(text, "\n")
		c := messageCase{name: name, want: strings.TrimSuffix(want, "\n"), files: map[string]string{}}
		var kept []string
		for _, line := range strings.Split(text, "\n") {
			if path, ok := strings.CutPrefix(line, "@@read "); ok {
				c.read = path
				continue
			}
			kept = append(kept, line)
		}
		parts := strings.Split(strings.Join(kept, "\n")+"\n", "@@file ")
		c.config = strings.ReplaceAll(parts[0], "@@minimal\n", minimal)
		c.config = strings.ReplaceAll(c.config, "@@LONGNAME", "/"+strings.Repeat("a", 2048))
		for _, f := range parts[1:] {
			path, body, _ := strings.Cut(f, "\n")
			c.files[path] = body
		}
		cases = append(cases, c)
	}
	return cases
}

// problems loads the case and returns its error's text.
func (c messageCase) problems(t *testing.T) string {
	dir := t.TempDir()
	for name, mode := range map[string]os.FileMode{"open": 0o755, "closed": 0o700} {
		if err := os.Mkdir(filepath.Join(dir, name), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(dir, name), mode); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range c.files {
		writeFile(t, dir, name, body)
	}
	path := writeFile(t, dir, "config.yaml", c.config)
	if c.read == "" {
		_, err := Load(path, At(testNow), envOf(messageEnv), registry.Default())
		if err == nil {
			t.Fatal("no problems")
		}
		return err.Error()
	}
	cfg, err := LoadMain(path, At(testNow), envOf(messageEnv), registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = cfg.ReadCredentialFile(c.read)
	if err == nil {
		t.Fatal("no problems")
	}
	return err.Error()
}
