package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

var updateDocs = flag.Bool("update", false, "regenerate docs/reference/cli.md")

// cliReferencePath is the generated command-line reference, from this
// package's folder.
const cliReferencePath = "../../docs/reference/cli.md"

// regenerateCLI is what to run when the reference is out of date.
const regenerateCLI = "go test ./cmd/notifier -run TestCLIReference -update"

// TestCLIReference keeps docs/reference/cli.md what the command tree says:
// every command that help lists, its usage line, its flags with their
// defaults and usage strings, and its examples. Hidden commands and flags
// are left out, as help leaves them out.
func TestCLIReference(t *testing.T) {
	got := cliReference(t)
	if *updateDocs {
		if err := os.WriteFile(cliReferencePath, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(cliReferencePath)
	if err != nil {
		t.Fatalf("%v; generate it with: %s", err, regenerateCLI)
	}
	if string(want) != got {
		t.Fatalf("docs/reference/cli.md differs from the command tree (first difference at line %d); regenerate it with: %s", firstDiffLine(string(want), got), regenerateCLI)
	}
}

func firstDiffLine(a, b string) int {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return i + 1
		}
	}
	return min(len(al), len(bl)) + 1
}

// cliReference renders the command tree as markdown. Defaults that depend
// on the environment ($NOTIFIER_CONFIG) are taken without it.
func cliReference(t *testing.T) string {
	t.Setenv(ConfigEnv, "")
	os.Unsetenv(ConfigEnv)
	root := (&cli{}).root()
	root.InitDefaultVersionFlag()
	root.InitDefaultCompletionCmd()
	var b strings.Builder
	b.WriteString("# Command-line reference\n\n")
	b.WriteString("<!-- Generated from the command tree by `" + regenerateCLI + "`; do not edit. -->\n\n")
	b.WriteString("What every command shares (`--at`, exit codes, `--by`, read-only views) is in [the command line](../command-line.md).\n\n")
	b.WriteString("## Global flags\n\nEvery command takes these.\n\n")
	flagTable(&b, root.PersistentFlags())
	var cmds []*cobra.Command
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		cmds = append(cmds, cmd)
		for _, sub := range cmd.Commands() {
			if sub.IsAvailableCommand() {
				walk(sub)
			}
		}
	}
	walk(root)
	sort.SliceStable(cmds, func(i, j int) bool { return cmds[i].CommandPath() < cmds[j].CommandPath() })
	b.WriteString("## Commands\n\n")
	for _, cmd := range cmds[1:] {
		fmt.Fprintf(&b, "- [`%s`](#%s): %s\n", cmd.CommandPath(), anchorOf(cmd.CommandPath()), cmd.Short)
	}
	b.WriteString("\n")
	for _, cmd := range cmds {
		fmt.Fprintf(&b, "## %s\n\n%s\n\n", cmd.CommandPath(), cmd.Short)
		if cmd.Long != "" {
			// A line of cobra's own text that starts with # would be a heading.
			long := regexp.MustCompile(`(?m)^#`).ReplaceAllString(strings.TrimSpace(cmd.Long), `\#`)
			b.WriteString(long + "\n\n")
		}
		if cmd.Runnable() {
			fmt.Fprintf(&b, "```\n%s\n```\n\n", cmd.UseLine())
		}
		if len(cmd.Aliases) > 0 {
			fmt.Fprintf(&b, "Aliases: `%s`.\n\n", strings.Join(cmd.Aliases, "`, `"))
		}
		flagTable(&b, cmd.LocalNonPersistentFlags())
		if cmd.Example != "" {
			fmt.Fprintf(&b, "Examples:\n\n```sh\n%s\n```\n\n", strings.TrimRight(cmd.Example, "\n"))
		}
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

// flagTable writes a flag set's visible flags, sorted, as a table.
func flagTable(b *strings.Builder, fs *pflag.FlagSet) {
	var rows []string
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Name == "help" {
			return
		}
		name := "`--" + f.Name + "`"
		if f.Shorthand != "" {
			name = "`-" + f.Shorthand + "`, " + name
		}
		def := ""
		if f.DefValue != "" && f.DefValue != "[]" && !(f.Value.Type() == "bool" && f.DefValue == "false") {
			def = "`" + f.DefValue + "`"
		}
		usage := strings.ReplaceAll(strings.ReplaceAll(f.Usage, "|", `\|`), "\n", " ")
		rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s |", name, f.Value.Type(), def, usage))
	})
	if len(rows) == 0 {
		return
	}
	b.WriteString("| flag | type | default | usage |\n| --- | --- | --- | --- |\n")
	b.WriteString(strings.Join(rows, "\n") + "\n\n")
}

// anchorOf is the fragment a markdown heading gets: lowercase, spaces to
// dashes, punctuation other than - and _ dropped.
func anchorOf(heading string) string {
	heading = strings.ToLower(strings.TrimSpace(heading))
	var b strings.Builder
	for _, r := range heading {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127 && isLetter(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isLetter(r rune) bool { return strings.ToLower(string(r)) != strings.ToUpper(string(r)) }

var (
	mdLinkRE    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	mdHeadingRE = regexp.MustCompile(`^#{1,6} (.+?)\s*#*$`)
	schemeRE    = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
)

// docFiles are README.md and every markdown file under docs/, from the
// repository's root.
func docFiles(t *testing.T, root string) []string {
	files := []string{"README.md"}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".md") {
			rel, _ := filepath.Rel(root, p)
			files = append(files, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// anchors lists the fragments of a markdown file's headings, outside
// code blocks, with GitHub's -1, -2 suffixes for repeated ones.
func anchors(text string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	fence := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "```") {
			fence = !fence
			continue
		}
		m := mdHeadingRE.FindStringSubmatch(line)
		if fence || m == nil {
			continue
		}
		a := anchorOf(m[1])
		if n := seen[a]; n > 0 {
			out[fmt.Sprintf("%s-%d", a, n)] = true
		} else {
			out[a] = true
		}
		seen[a]++
	}
	return out
}

// links lists a markdown file's link targets outside code blocks and
// code spans.
func links(text string) []string {
	var out []string
	fence := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "```") {
			fence = !fence
			continue
		}
		if fence {
			continue
		}
		for _, m := range mdLinkRE.FindAllStringSubmatch(line, -1) {
			out = append(out, m[1])
		}
	}
	return out
}

// TestDocsLinks checks every link of README.md and docs/: it stays inside
// the repository (no scheme, no absolute path), its file exists, and its
// #fragment names a heading of that file.
func TestDocsLinks(t *testing.T) {
	root := "../.."
	texts := map[string]string{}
	for _, f := range docFiles(t, root) {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		texts[f] = string(b)
	}
	if len(texts) < 8 {
		t.Fatalf("found %d markdown files; want README.md and the docs/ folder", len(texts))
	}
	checked := 0
	for f, text := range texts {
		for _, l := range links(text) {
			checked++
			if schemeRE.MatchString(l) || strings.HasPrefix(l, "/") {
				t.Errorf("%s: link %s points outside the repository", f, l)
				continue
			}
			target, frag, _ := strings.Cut(l, "#")
			file := f
			if target != "" {
				file = filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(f), target)))
				if _, err := os.Stat(filepath.Join(root, file)); err != nil {
					t.Errorf("%s: link %s: %s does not exist", f, l, file)
					continue
				}
			}
			if frag == "" {
				continue
			}
			text, ok := texts[file]
			if !ok {
				t.Errorf("%s: link %s: a #fragment into %s, which is not markdown", f, l, file)
				continue
			}
			if !anchors(text)[frag] {
				t.Errorf("%s: link %s: %s has no heading #%s", f, l, file, frag)
			}
		}
	}
	if checked < 30 {
		t.Errorf("checked %d links; want the docs' links (at least 30)", checked)
	}
}

func TestAnchorOf(t *testing.T) {
	for in, want := range map[string]string{
		"Probe: does Amazon still accept the secret?": "probe-does-amazon-still-accept-the-secret",
		"notifier retract ack":                        "notifier-retract-ack",
		"`retry` and `defaults`":                      "retry-and-defaults",
		"Set up the queue":                            "set-up-the-queue",
	} {
		if got := anchorOf(in); got != want {
			t.Errorf("anchorOf(%q) = %q; want %q", in, got, want)
		}
	}
}
