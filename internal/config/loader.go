package config

import (
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/schedule"
)

var (
	envRE      = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)
	yamlLineRE = regexp.MustCompile(`^line (\d+): `)
)

// loader is the state of reading one file: where problems go, and what
// values are judged by. The blocks' own state lives with their readers
// (mainLoad, credReader).
type loader struct {
	file     string // as problems name it
	env      LookupEnv
	reg      Registry
	now      time.Time // zero: no check against now
	loc      *time.Location
	problems Problems
	dropped  int  // problems found beyond ProblemsKept, counted only
	clock    bool // one of them was judged against the clock

	// secrets are the values ${NAME} put into the file: each variable's
	// value and each whole value it was part of ("Bearer ${TOKEN}").
	secrets []string

	// keys are the yaml keys of each block type decoded so far, in field
	// order: read once, not once a credential.
	keys map[reflect.Type][]string
}

func (l *loader) errf(n *yaml.Node, key, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	l.add(Problem{File: l.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (l *loader) errAt(file string, line int, key, format string, args ...any) {
	l.add(Problem{File: file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// add keeps a problem, or only counts it once ProblemsKept are kept.
func (l *loader) add(p Problem) {
	switch {
	case p.More > 0:
		l.dropped += p.More
		l.clock = l.clock || p.Clock
	case len(l.problems) >= ProblemsKept:
		l.dropped++
		l.clock = l.clock || p.Clock
	default:
		l.problems = append(l.problems, p)
	}
}

// found is how many problems were found, kept or not.
func (l *loader) found() int { return len(l.problems) + l.dropped }

func (l *loader) addAll(ps Problems) {
	for _, p := range ps {
		l.add(p)
	}
}

// done gives the problems found, in file and line order, then one that
// counts those not kept; nil if there are none.
func (l *loader) done() Problems {
	l.problems.sort()
	if l.dropped > 0 {
		last := l.problems[len(l.problems)-1] // ProblemsKept are kept
		return append(l.problems, Problem{File: last.File, More: l.dropped, Clock: l.clock})
	}
	return l.problems
}

// parse reads one YAML document into its root mapping.
func (l *loader) parse(data []byte) *yaml.Node {
	var doc yaml.Node
	return l.root(&doc, yaml.Unmarshal(data, &doc))
}

// root turns a parsed document, or the parser's error, into the root
// mapping or problems.
func (l *loader) root(doc *yaml.Node, err error) *yaml.Node {
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 0
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = msg[len(m[0]):]
		}
		l.add(Problem{File: l.file, Line: line, Msg: "invalid YAML: " + msg})
		return nil
	}
	if len(doc.Content) == 0 {
		l.add(Problem{File: l.file, Msg: "the file is empty"})
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		l.errf(root, "", "the file must be a mapping of keys (database, channels, credentials, ...)")
		return nil
	}
	return root
}

// refusedTopLevel are keys an operator may expect that notifier refuses
// with a reason rather than as merely unknown.
var refusedTopLevel = map[string]string{
	// The database keeps facts only (who was told, when, where, with what
	// outcome; who acknowledged; who rotated), never a message's body:
	// there is nothing a retention period could prune, and facts are
	// evidence, kept for good.
	"retention": "nothing to prune: notifier keeps facts only (reminders' outcomes, acknowledgments, rotations), never message bodies, and keeps facts for good; remove the key",
}

// walk is the one walk over a block's keys. It checks that n is a mapping
// and reports a key refused at the top level, a key not in known (unknown
// opens that problem's text, known's list closes it), and a key that take
// refuses as given twice. take gets every other key, with its index in
// known, and its value. walk says false when n is not a mapping.
func (l *loader) walk(n *yaml.Node, key string, known []string, unknown string, take func(i int, k, v *yaml.Node) bool) bool {
	if n.Kind != yaml.MappingNode {
		l.errf(n, key, "must be a mapping")
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if why, ok := refusedTopLevel[k.Value]; ok && key == "" {
			l.errf(k, k.Value, "%s", why)
			continue
		}
		j := slices.Index(known, k.Value)
		switch {
		case j < 0:
			l.errf(k, join(key, k.Value), "%s%s)", unknown, strings.Join(known, ", "))
		case !take(j, k, v):
			l.errf(k, join(key, k.Value), "key given twice")
		}
	}
	return true
}

// decode walks the mapping n into block, a pointer to a struct whose
// fields are all *yaml.Node, tagged with the block's keys in the order
// problems list them: each field points at its key's value, nil when the
// key is absent. Values stay nodes until read, so that every problem found
// in one has its line, and ${NAME} is judged where the value is read:
// replaced in a secret (secret), refused anywhere else (str). It says false
// when n is not a mapping.
func (l *loader) decode(n *yaml.Node, key string, block any) bool {
	fields := reflect.ValueOf(block).Elem()
	return l.walk(n, key, l.keysOf(fields.Type()), "unknown key (known: ", func(i int, _, v *yaml.Node) bool {
		f := fields.Field(i)
		if !f.IsNil() {
			return false
		}
		f.Set(reflect.ValueOf(v))
		return true
	})
}

// keysOf is yamlKeys(t), remembered.
func (l *loader) keysOf(t reflect.Type) []string {
	keys, ok := l.keys[t]
	if !ok {
		if l.keys == nil {
			l.keys = map[reflect.Type][]string{}
		}
		keys = yamlKeys(t)
		l.keys[t] = keys
	}
	return keys
}

// str returns a scalar's value as written. ${NAME} is refused here: it is
// for secrets only (secret), and a value that is not one is stored in the
// database and shown in messages and output, where an environment value,
// taken for a secret, must never be.
func (l *loader) str(n *yaml.Node, key string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		l.errf(n, key, "must be a single value")
		return "", false
	}
	if refs := envRE.FindAllString(n.Value, -1); refs != nil {
		l.errf(n, key, "%s: ${NAME} is for secrets only (tokens, passwords, keys, secret URLs and headers, the database URL), and this value would be stored and shown: write it into the file", strings.Join(refs, ", "))
		return "", false
	}
	return n.Value, true
}

// secret returns a scalar's value with ${NAME} replaced, for the keys that
// hold a secret. fromEnv says whether anything was replaced: such a value
// must not be quoted in messages.
func (l *loader) secret(n *yaml.Node, key string) (val string, fromEnv bool, ok bool) {
	if n.Kind != yaml.ScalarNode {
		l.errf(n, key, "must be a single value")
		return "", false, false
	}
	val, fromEnv, err := l.expand(n.Value)
	if err != nil {
		l.errf(n, key, "%v", err)
		return "", fromEnv, false
	}
	return val, fromEnv, true
}

func (l *loader) expand(s string) (string, bool, error) {
	if !strings.Contains(s, "${") { // the regexp costs more than the rest of a credential
		return s, false, nil
	}
	var missing []string
	found := false
	out := envRE.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		v, ok := l.env(name)
		if !ok {
			missing = append(missing, m)
			return ""
		}
		found = true
		l.secrets = append(l.secrets, v)
		return v
	})
	if len(missing) > 0 {
		return "", true, fmt.Errorf("%s is not set in the environment", strings.Join(missing, ", "))
	}
	if found {
		l.secrets = append(l.secrets, out)
	}
	return out, found, nil
}

// span reads a duration of at most schedule.MaxSpan. The bound is here,
// not in schedule.ParseSpan, because only here is the key known (check says
// which one is out of range), and because the store must still read a span
// an older version wrote, so that a corrected config can replace it.
func (l *loader) span(n *yaml.Node, key string) (schedule.Span, string, bool) {
	s, ok := l.str(n, key)
	if !ok {
		return schedule.Span{}, "", false
	}
	sp, err := schedule.ParseSpan(s)
	if err == nil && sp.TooLong() {
		err = fmt.Errorf("%q is longer than %s (100 years)", s, schedule.MaxSpan)
	}
	if err != nil {
		l.errf(n, key, "%v", err)
		return schedule.Span{}, "", false
	}
	return sp, s, true
}

// positive is sp, with a problem if it is zero.
func (l *loader) positive(n *yaml.Node, key string, sp schedule.Span) schedule.Span {
	if sp.IsZero() {
		l.errf(n, key, "must be longer than 0s")
	}
	return sp
}

func (l *loader) time(n *yaml.Node, key string) (time.Time, bool) {
	s, ok := l.str(n, key)
	if !ok {
		return time.Time{}, false
	}
	t, err := ParseTime(s, l.loc)
	if err != nil {
		l.errf(n, key, "%v", err)
		return time.Time{}, false
	}
	// The store keeps whole seconds: a fraction would make every sync see
	// rotated_at move forward and record the same rotation again.
	return t.Truncate(time.Second), true
}

func (l *loader) strList(n *yaml.Node, key string) []string {
	if n.Kind != yaml.SequenceNode {
		l.errf(n, key, "must be a list")
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, item := range n.Content {
		if s, ok := l.str(item, fmt.Sprintf("%s[%d]", key, i)); ok {
			out = append(out, s)
		}
	}
	return out
}

func (l *loader) bool(n *yaml.Node, key string) bool {
	s, ok := l.str(n, key)
	if !ok {
		return false
	}
	switch s {
	case "true":
		return true
	case "false":
		return false
	}
	l.errf(n, key, "%q is not true or false", s)
	return false
}

func (l *loader) template(n *yaml.Node, key string) *template.Template {
	s, ok := l.str(n, key)
	if !ok {
		return nil
	}
	if err := channels.CheckTemplate(key, s); err != nil {
		l.errf(n, key, "%s", templateProblem(key, err))
		return nil
	}
	t, _ := channels.ParseTemplate(key, s)
	return t
}

// templateProblem shortens text/template's error, which repeats the
// template's name (here the key, already in the problem) up to three times:
// "template K: template: K:1:2: executing "K" at <.Nope>: ..." becomes
// "line 1:2: at <.Nope>: ...".
func templateProblem(name string, err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "template "+name+": ")
	msg = strings.TrimPrefix(msg, "template: "+name+":")
	msg = strings.Replace(msg, `executing "`+name+`" `, "", 1)
	return "line " + msg
}

// yamlKeys lists the yaml keys of a (pointer to a) struct type's fields.
func yamlKeys(t reflect.Type) []string {
	var out []string
	for _, f := range yamlFields(t) {
		out = append(out, f.Name)
	}
	return out
}

// yamlFields lists a (pointer to a) struct type's fields that have a yaml
// key, each with Name set to its key.
func yamlFields(t reflect.Type) []reflect.StructField {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []reflect.StructField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		f.Name = name
		out = append(out, f)
	}
	return out
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// relTo names path relative to dir when it is inside it.
func relTo(dir, path string) string {
	if r, err := filepath.Rel(dir, path); err == nil && filepath.IsLocal(r) {
		return r
	}
	return path
}
