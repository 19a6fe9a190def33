package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with the config, located at a file, line and
// key: `config.yaml:14: credentials[2].rotation_period: "18Od" is not a
// duration`. Msg never quotes a value that came from the environment.
type Problem struct {
	File string
	Line int
	Key  string
	Msg  string
	// Err is the error behind a file that could not be read, if that is
	// the problem, so that errors.Is(err, fs.ErrNotExist) can tell a file
	// that went away.
	Err error
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Key != "" {
		b.WriteString(p.Key)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every problem found in one load, in file and line order.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Unwrap gives the errors behind the problems that have one.
func (ps Problems) Unwrap() []error {
	var errs []error
	for _, p := range ps {
		if p.Err != nil {
			errs = append(errs, p.Err)
		}
	}
	return errs
}

func (ps Problems) sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		return ps[i].Line < ps[j].Line
	})
}
