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
	// More, when not 0, makes this the last problem of a list, standing
	// for that many more that were found and counted but not kept: a
	// hostile file of millions of problems costs a count, not memory.
	More int
	// Clock: judged against the clock (a rotated_at in the future), so
	// time alone may clear it; for More, one of those not kept was.
	Clock bool
}

// ProblemsShown is how many problems a log or an output lists before it
// says how many more there are; ProblemsKept how many a load keeps.
const (
	ProblemsShown = 100
	ProblemsKept  = 1000
)

func (p Problem) String() string {
	if p.More > 0 {
		return fmt.Sprintf("... and %d more", p.More)
	}
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

// Count is how many problems were found, the ones not kept included.
func (ps Problems) Count() int {
	n := len(ps)
	if n > 0 && ps[n-1].More > 0 {
		n += ps[n-1].More - 1
	}
	return n
}

// Timeless says no problem depends on the clock: the same files give
// the same problems at any later moment.
func (ps Problems) Timeless() bool {
	for _, p := range ps {
		if p.Clock {
			return false
		}
	}
	return true
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
