package main

import (
	"bufio"
	"bytes"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
)

// Shell completion: `notifier completion bash|zsh|fish|powershell` is
// cobra's; the values come from here. Credential ids, channel and policy
// names are read from the config (--config, or NOTIFIER_CONFIG) at each
// TAB, quietly: a config that cannot be read completes nothing and says
// nothing. Nothing is validated: the main file's settings are parsed
// without its credentials: block, and the ids are picked from the
// credential lines as they are read, prefix-filtered and capped, so that
// a fleet of a million completes at once.

// MaxCompletions caps the values offered: a shell shows no more usefully.
const MaxCompletions = 1000

// maxCompletionLine is the longest line read; a longer one ends the read
// (a file that is no config).
const maxCompletionLine = 1 << 20

// completeArgs are the commands whose first argument is a credential id
// or a channel name.
var completeArgs = map[string]string{
	"notifier ack":              "credential",
	"notifier rotate":           "credential",
	"notifier probe":            "credential",
	"notifier retract rotation": "credential",
	"notifier retract ack":      "credential",
	"notifier test":             "channel",
}

// completionExamples are the Examples of cobra's completion commands.
var completionExamples = map[string]string{
	"notifier completion":            "  source <(notifier completion bash)\n  notifier completion zsh > \"${fpath[1]}/_notifier\"",
	"notifier completion bash":       "  source <(notifier completion bash)\n  notifier completion bash > /etc/bash_completion.d/notifier",
	"notifier completion zsh":        "  notifier completion zsh > \"${fpath[1]}/_notifier\"",
	"notifier completion fish":       "  notifier completion fish > ~/.config/fish/completions/notifier.fish",
	"notifier completion powershell": "  notifier completion powershell | Out-String | Invoke-Expression",
}

const noFiles = cobra.ShellCompDirectiveNoFileComp

// completions adds cobra's completion command and wires the dynamic
// values into every command of the tree: the arguments of
// completeArgs, and the flags --credential, --policy and --type wherever
// a command has them (--state and --output register their own values).
func (c *cli) completions(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
		path := cmd.CommandPath()
		if ex, ok := completionExamples[path]; ok && cmd.Example == "" {
			cmd.Example = ex
		}
		switch completeArgs[path] {
		case "credential":
			cmd.ValidArgsFunction = c.completeFirst(c.credentialIDs)
		case "channel":
			cmd.ValidArgsFunction = c.completeFirst(func(prefix string) []string { return c.scanMain(nil).names("channels", prefix) })
		}
		if cmd.Flags().Lookup("credential") != nil {
			_ = cmd.RegisterFlagCompletionFunc("credential", c.completeFlag(c.credentialIDs))
		}
		if cmd.Flags().Lookup("policy") != nil {
			_ = cmd.RegisterFlagCompletionFunc("policy", c.completeFlag(func(prefix string) []string { return c.scanMain(nil).names("policies", prefix) }))
		}
		if cmd.Flags().Lookup("type") != nil {
			_ = cmd.RegisterFlagCompletionFunc("type", c.completeFlag(func(prefix string) []string { return withPrefix(domain.EventTypes(), prefix) }))
		}
	}
	walk(root)
}

// isCompletion reports whether cmd is cobra's completion machinery, which
// runs whatever the environment says.
func isCompletion(cmd *cobra.Command) bool {
	if cmd.Name() == cobra.ShellCompRequestCmd || cmd.Name() == cobra.ShellCompNoDescRequestCmd {
		return true
	}
	return cmd.HasParent() && cmd.Parent().Name() == "completion" || cmd.Name() == "completion"
}

func (c *cli) completeFirst(values func(prefix string) []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, noFiles
		}
		return values(toComplete), noFiles
	}
}

func (c *cli) completeFlag(values func(prefix string) []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return values(toComplete), noFiles
	}
}

// withPrefix is the values that start with prefix.
func withPrefix(values []string, prefix string) []string {
	var out []string
	for _, v := range values {
		if strings.HasPrefix(v, prefix) {
			out = append(out, v)
		}
	}
	return out
}

// mainScan is what completion reads of the main config file: its
// settings without the credentials: block, nil when the file cannot be
// read or the rest is no YAML mapping.
type mainScan struct {
	settings map[string]yaml.Node
}

// scanMain reads the main config file in one pass: the lines of the
// credentials: block go to ids (nil: skipped), the rest is parsed as
// YAML. Nothing of the file is kept but the settings.
func (c *cli) scanMain(ids *idSet) mainScan {
	var s mainScan
	f, err := config.OpenRegular(c.configPath)
	if err != nil {
		return s
	}
	defer f.Close()
	var rest bytes.Buffer
	inCreds := false
	err = eachLine(f, func(line []byte) bool {
		if top := len(line) > 0 && line[0] != ' ' && line[0] != '\t' && line[0] != '#' && line[0] != '-' && line[0] != '\n' && line[0] != '\r'; top {
			inCreds = bytes.HasPrefix(line, []byte("credentials:"))
			if inCreds {
				rest.WriteString("credentials: []\n")
				line = line[len("credentials:"):]
			}
		}
		switch {
		case !inCreds:
			rest.Write(line)
		case ids != nil && !ids.full():
			ids.line(line)
		}
		return true
	})
	if err != nil || yaml.Unmarshal(rest.Bytes(), &s.settings) != nil {
		s.settings = nil
	}
	return s
}

// names are the keys of the mapping at key (channels, policies) that
// start with prefix, sorted.
func (s mainScan) names(key, prefix string) []string {
	n, ok := s.settings[key]
	if !ok || n.Kind != yaml.MappingNode {
		return nil
	}
	var out []string
	for i := 0; i+1 < len(n.Content) && len(out) < MaxCompletions; i += 2 {
		if k := n.Content[i].Value; strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// credentialIDs are the ids that start with prefix: the main file's
// credentials, then those of the credential_files, in file order, each
// once, at most MaxCompletions.
func (c *cli) credentialIDs(prefix string) []string {
	ids := &idSet{prefix: prefix, seen: map[string]bool{}}
	s := c.scanMain(ids)
	if s.settings == nil {
		return nil
	}
	globs, ok := s.settings["credential_files"]
	if !ok {
		return ids.out
	}
	var list []string
	if globs.Decode(&list) != nil {
		return ids.out
	}
	dir := filepath.Dir(c.configPath)
	for _, g := range list {
		if !filepath.IsAbs(g) {
			g = filepath.Join(dir, g)
		}
		matches, _ := filepath.Glob(g)
		slices.Sort(matches)
		for _, m := range matches {
			if ids.full() {
				return ids.out
			}
			if f, err := config.OpenRegular(m); err == nil {
				ids.scan(f)
				f.Close()
			}
		}
	}
	return ids.out
}

// idSet collects the ids of credential lines that start with prefix.
type idSet struct {
	prefix string
	seen   map[string]bool
	out    []string
}

func (s *idSet) full() bool { return len(s.out) >= MaxCompletions }

// scan picks the value of every `id:` key (block or flow style) from r,
// until the set is full.
func (s *idSet) scan(r io.Reader) {
	_ = eachLine(r, func(line []byte) bool {
		s.line(line)
		return !s.full()
	})
}

// line picks the ids of one line.
func (s *idSet) line(line []byte) {
	for rest := line; ; {
		i := bytes.Index(rest, []byte("id:"))
		if i < 0 {
			return
		}
		key := isIDKey(line[:len(line)-len(rest)+i])
		rest = rest[i+3:]
		if !key {
			continue
		}
		if id := idValue(rest); id != "" && strings.HasPrefix(id, s.prefix) && !s.seen[id] && !s.full() {
			s.seen[id] = true
			s.out = append(s.out, id)
		}
	}
}

// isIDKey reports whether the `id:` after before is a key: first on its
// line (after the indentation and a list's dash), or in a flow mapping
// after { or a comma; not a word ending in id (client_id), nor text.
func isIDKey(before []byte) bool {
	b := bytes.TrimRight(before, " \t")
	if len(bytes.Trim(b, " \t-")) == 0 {
		return true
	}
	last := b[len(b)-1]
	return last == '{' || last == ','
}

// idValue is the scalar at the start of b: quoted, or up to a space, a
// comma, a brace or a comment.
func idValue(b []byte) string {
	b = bytes.TrimLeft(b, " \t")
	if len(b) > 0 && (b[0] == '"' || b[0] == '\'') {
		if end := bytes.IndexByte(b[1:], b[0]); end >= 0 {
			return string(b[1 : 1+end])
		}
		return ""
	}
	end := bytes.IndexAny(b, " \t,}#\r\n")
	if end < 0 {
		end = len(b)
	}
	return string(b[:end])
}

// eachLine calls fn with each line of r, newline included, until fn
// returns false; a line longer than maxCompletionLine is an error.
func eachLine(r io.Reader, fn func([]byte) bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxCompletionLine)
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			return i + 1, data[:i+1], nil
		}
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	})
	for sc.Scan() {
		if !fn(sc.Bytes()) {
			return nil
		}
	}
	return sc.Err()
}
