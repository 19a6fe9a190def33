package engine

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
)

// RefusedFile is a config file the last sync refused: its last synced
// version stands (its tracked credentials keep their last good
// definition) until a good one is written.
type RefusedFile struct {
	Path    string // relative to the config's folder when it is inside it
	Problem string // the first problem, with its file:line
}

// refusals are the files refused by the last sync.
type refusals struct {
	mu    sync.Mutex
	files []RefusedFile
	// unchanged are the files of cfg refused for what they hold, whatever
	// the clock, by path, as stat'ed when read: while a file's size and
	// modification time stay, it is refused again without being read (a
	// hostile file of millions of problems is parsed once, not each
	// tick). A reload, a new cfg, reads them all again.
	cfg       *config.Config
	unchanged map[string]refusedState
}

// refusedState is a file refused for its content, as it was read.
type refusedState struct {
	file    domain.ConfigFile
	refusal RefusedFile
}

// unchangedFor gives the refusals remembered for cfg.
func (r *refusals) unchangedFor(cfg *config.Config) map[string]refusedState {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cfg != cfg {
		return nil
	}
	return r.unchanged
}

// remember keeps the refusals of this sync of cfg.
func (r *refusals) remember(cfg *config.Config, unchanged map[string]refusedState) {
	r.mu.Lock()
	r.cfg, r.unchanged = cfg, unchanged
	r.mu.Unlock()
}

// refusal describes why path was refused: the first of its problems with
// its file:line, and how many more there are.
func refusal(path string, err error) RefusedFile {
	var problems config.Problems
	if errors.As(err, &problems) && len(problems) > 0 {
		text := problems[0].String()
		if n := problems.Count() - 1; n > 0 {
			text += fmt.Sprintf(" (and %d more problem(s))", n)
		}
		if problems[0].File != "" {
			path = problems[0].File
		}
		return RefusedFile{Path: path, Problem: text}
	}
	return RefusedFile{Path: path, Problem: path + ": " + err.Error()}
}

// Refused lists the config files the last sync refused, by path.
func (e *Engine) Refused() []RefusedFile {
	e.refused.mu.Lock()
	defer e.refused.mu.Unlock()
	return slices.Clone(e.refused.files)
}

func (e *Engine) setRefused(files []RefusedFile) {
	slices.SortFunc(files, func(a, b RefusedFile) int { return strings.Compare(a.Path, b.Path) })
	files = slices.CompactFunc(files, func(a, b RefusedFile) bool { return a.Path == b.Path })
	e.refused.mu.Lock()
	e.refused.files = files
	e.refused.mu.Unlock()
}

// RefusedError is the one-line error of a sync that refused files: the
// command that ran it exits non-zero with it, naming each file and line.
func RefusedError(files []RefusedFile) error {
	if len(files) == 0 {
		return nil
	}
	texts := make([]string, len(files))
	for i, f := range files {
		texts[i] = f.Problem
	}
	return fmt.Errorf("%d config file(s) refused, their last synced version stands: %s", len(files), strings.Join(texts, "; "))
}
