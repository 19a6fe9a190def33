package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
)

// syncConfig makes the store match the config, paying only for what
// changed. The settings that move deadlines and ladders (time zone,
// policies) are compared by fingerprint and a change makes the touched
// cycles due for planning. Each config file is stat'ed: one with the size
// and modification time of its last sync is not read; one with the same
// content hash is not parsed; changed ones are parsed (a few ahead of the
// writes) and synced a group at a time, and the credentials that left a
// file become inactive. A file with problems, or one that cannot be read,
// is logged and skipped, its last good version standing, and listed in
// Refused until a good version is synced; a file gone from the config
// retires its credentials.
func (e *Engine) syncConfig(ctx context.Context, v view, now time.Time) error {
	cfg := v.cfg
	var refused []RefusedFile
	refuse := func(path string, err error) {
		if rel, rerr := filepath.Rel(cfg.Dir, path); rerr == nil && filepath.IsLocal(rel) {
			path = rel
		}
		refused = append(refused, refusal(path, err))
	}
	settings := map[string]string{"timezone": cfg.Timezone}
	for name, l := range v.ladders {
		settings["policy:"+name] = l.fingerprint
	}
	for name, p := range cfg.Policies {
		if len(p.Announce) > 0 {
			settings[domain.AnnounceKey(name)] = strings.Join(p.Announce, ",")
		}
	}
	if changed, err := e.store.SyncSettings(ctx, settings, now); err != nil {
		return err
	} else if len(changed) > 0 {
		e.logger.Debug("settings changed; the cycles they touch are planned again", "keys", changed)
	}
	known, err := e.store.ConfigFiles(ctx)
	if err != nil {
		return err
	}
	dir := cfg.Dir
	files, err := cfg.CredentialFiles()
	if err != nil {
		return err
	}
	paths := append([]string{filepath.Join(dir, cfg.Main.Path)}, files...)
	states := make([]domain.ConfigFile, len(paths))
	listed := make(map[string]bool, len(paths))
	changed := map[string]bool{}
	wasRefused, stillRefused := e.refused.unchangedFor(cfg), map[string]refusedState{}
	for i, path := range paths {
		st, err := config.StatConfigFile(dir, path)
		if err != nil {
			// Still the config's: its credentials are not retired.
			if rel, rerr := filepath.Rel(dir, path); rerr == nil {
				listed[rel] = true
			}
			e.logger.Error("config file skipped; its last synced version stands", "file", path, "err", err)
			refuse(path, err)
			continue
		}
		states[i] = st
		listed[st.Path] = true
		if prev, ok := known[st.Path]; !ok || !st.Unchanged(prev) {
			changed[st.Path] = true
		}
		if r, ok := wasRefused[st.Path]; ok && changed[st.Path] && st.Unchanged(r.file) {
			e.logger.Error("config file still refused, unchanged since it was read", "file", r.refusal.Path, "problem", r.refusal.Problem)
			refused = append(refused, r.refusal)
			stillRefused[st.Path] = r
		}
	}
	// A credential may move from a file that is gone, or from one that
	// changed and is still to be written in this pass (if it still lists
	// the credential, its own write is then refused). A file written in
	// this pass owns what it lists: a second file defining one of its
	// credentials is refused, whichever order they come in.
	written := map[string]bool{}
	opts := domain.SyncOptions{
		Movable:     func(file string) bool { return !listed[file] || changed[file] && !written[file] },
		FirstAction: e.firstAction(v, now),
	}
	// Files are read and parsed ahead of the ones being written, so
	// parsing YAML and writing SQLite share the cores.
	var todo []int
	for i := range paths {
		if _, still := stillRefused[states[i].Path]; changed[states[i].Path] && !still {
			todo = append(todo, i)
		}
	}
	if len(todo) > 0 {
		defer roomToSync()()
	}
	reads := make(chan fileRead, 8)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(reads)
		for _, i := range todo {
			select {
			case reads <- e.readFile(cfg, paths[i], i == 0):
			case <-stop:
				return
			}
		}
	}()
	var group []fileRead
	size := 0
	flush := func() error {
		err := e.writeFiles(ctx, group, opts, written, refuse, now)
		group, size = group[:0], 0
		return err
	}
	synced := 0
	for r := range reads {
		if !e.needsSync(ctx, r, known, refuse, now) {
			var problems config.Problems
			if errors.As(r.err, &problems) && problems.Timeless() && r.state.Path != "" {
				stillRefused[r.state.Path] = refusedState{file: r.state, refusal: refused[len(refused)-1]}
			}
			continue
		}
		e.dateBySource(ctx, &r, now)
		group = append(group, r)
		synced += len(r.creds)
		if size += len(r.creds); size >= syncGroup {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if synced >= syncGroup {
		// A daemon that has just synced a large fleet would otherwise keep
		// the parsed files' memory for minutes while it sits idle.
		debug.FreeOSMemory()
	}
	for path := range known {
		if listed[path] {
			continue
		}
		changes, err := e.store.RetireFile(ctx, path, now)
		if err != nil {
			return err
		}
		e.logger.Warn("config file no longer in the config; its credentials are now inactive", "file", path, "inactive", len(changes))
	}
	e.setRefused(refused)
	e.refused.remember(cfg, stillRefused)
	return nil
}

// fileRead is one changed config file, read and parsed.
type fileRead struct {
	path  string
	creds []domain.Credential
	state domain.ConfigFile
	err   error
}

// readFile reads and parses one changed file.
func (e *Engine) readFile(cfg *config.Config, path string, main bool) fileRead {
	r := fileRead{path: path}
	if !main {
		r.creds, r.state, r.err = cfg.ReadCredentialFile(path)
		return r
	}
	// The main file was parsed when the config was loaded. A config
	// loaded whole (config.Load) also holds the credential files'
	// credentials: only the main file's are its.
	r.state = cfg.Main
	for _, c := range cfg.Credentials {
		if c.File == r.state.Path {
			r.creds = append(r.creds, c)
		}
	}
	return r
}

// syncGroup is how many credentials of changed files are synced in one
// transaction (a first sync of a million: ten): the pages of the indexes
// that every file touches are written a few times, not once per file. A
// group holds its parsed credentials, about 40 MB.
const syncGroup = 100_000

// needsSync logs and refuses a file that could not be read or has
// problems, and records one whose content did not change, reporting
// whether the file's credentials still need syncing.
func (e *Engine) needsSync(ctx context.Context, r fileRead, known map[string]domain.ConfigFile, refuse func(string, error), now time.Time) bool {
	var problems config.Problems
	switch {
	case errors.As(r.err, &problems):
		// A generated or hostile file may have millions of problems: the
		// log gets as many as `check` shows, then their count.
		for i, p := range problems {
			if i == config.ProblemsShown || p.More > 0 {
				e.logger.Error("config file change rejected; its last synced version stands", "file", r.path, "problem", fmt.Sprintf("... and %d more", problems.Count()-i))
				break
			}
			e.logger.Error("config file change rejected; its last synced version stands", "problem", p.String())
		}
		refuse(r.path, r.err)
		return false
	case r.err != nil:
		e.logger.Error("config file skipped; its last synced version stands", "file", r.path, "err", r.err)
		refuse(r.path, r.err)
		return false
	}
	if prev, ok := known[r.state.Path]; ok && prev.Hash == r.state.Hash {
		if err := e.store.RecordFile(ctx, r.state, now); err != nil {
			e.logger.Error("config file not recorded", "file", r.state.Path, "err", err)
		}
		return false
	}
	return true
}

// writeFiles syncs a group of files in one transaction; when one of them
// conflicts with another file, each is synced alone, so that only the
// conflicting one is refused (logged, and handed to refuse). Each file
// handled is marked written: it, or its last synced version if refused,
// owns what it lists.
func (e *Engine) writeFiles(ctx context.Context, group []fileRead, opts domain.SyncOptions, written map[string]bool, refuse func(string, error), now time.Time) error {
	if len(group) == 0 {
		return nil
	}
	files := make([]domain.FileSync, len(group))
	for i, r := range group {
		files[i] = domain.FileSync{File: r.state, Credentials: r.creds}
	}
	all, err := e.store.SyncFiles(ctx, files, opts, now)
	var conflict *domain.FileConflict
	switch {
	case err == nil:
		for i, changes := range all {
			e.logChanges(files[i].File.Path, changes)
			written[files[i].File.Path] = true
		}
		return nil
	case !errors.As(err, &conflict):
		return err
	case len(files) == 1:
		e.logger.Error("config file change rejected; its last synced version stands", "file", conflict.In, "err", conflict.Error())
		written[conflict.In] = true
		refuse(conflict.In, conflict)
		return nil
	}
	for _, r := range group {
		if err := e.writeFiles(ctx, []fileRead{r}, opts, written, refuse, now); err != nil {
			return err
		}
	}
	return nil
}

// logChanges logs what a file's sync did: a warning for each ignored edit,
// each change at debug level, and one line per file that counts them (a
// first sync adds thousands of credentials).
func (e *Engine) logChanges(file string, changes []domain.Change) {
	if len(changes) == 0 {
		return
	}
	counts := map[string]int{}
	for _, c := range changes {
		counts[c.Status]++
		if c.Warn {
			e.logger.Warn(c.Detail, "credential", c.CredentialID, "file", file)
			continue
		}
		e.logger.Debug("credential "+c.Status, "credential", c.CredentialID, "file", file, "detail", c.Detail)
	}
	attrs := []any{"file", file}
	for _, st := range slices.Sorted(maps.Keys(counts)) {
		attrs = append(attrs, st, counts[st])
	}
	e.logger.Info("config file synced", attrs...)
}

// roomToSync lifts the process's soft memory limit until the function it
// returns puts it back. The daemon keeps the runtime to a small limit
// (its live heap is small between syncs), but a sync of changed files
// holds their parsed credentials while it writes them: under the limit
// the collector ran without pause, and the first sync of a million
// credentials took 504 s instead of 125 s.
func roomToSync() func() {
	old := debug.SetMemoryLimit(math.MaxInt64)
	return func() { debug.SetMemoryLimit(old) }
}
