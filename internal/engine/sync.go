package engine

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"time"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
)

// syncConfig makes the store match the config, paying only for what
// changed. The settings that move deadlines and ladders (time zone,
// policies) are compared by fingerprint and a change makes the touched
// cycles due for planning. Each config file is stat'ed: one with the size
// and modification time of its last sync is not read; one with the same
// content hash is not parsed; a changed one is parsed and synced alone, in
// its own transaction, and the credentials that left it become inactive.
// A file with problems is logged and skipped, its last good version
// standing; a file gone from the config retires its credentials.
func (e *Engine) syncConfig(ctx context.Context, v view, now time.Time) error {
	cfg := v.cfg
	settings := map[string]string{"timezone": cfg.Timezone}
	for name, l := range v.ladders {
		settings["policy:"+name] = l.fingerprint
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
	paths := append([]string{filepath.Join(dir, cfg.Main.Path)}, cfg.Files...)
	states := make([]domain.ConfigFile, len(paths))
	listed := make(map[string]bool, len(paths))
	changed := map[string]bool{}
	for i, path := range paths {
		st, err := config.StatConfigFile(dir, path)
		if err != nil {
			e.logger.Error("config file skipped; its last synced version stands", "file", path, "err", err)
			continue
		}
		states[i] = st
		listed[st.Path] = true
		if prev, ok := known[st.Path]; !ok || !st.Unchanged(prev) {
			changed[st.Path] = true
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
	// Files are read and parsed a couple ahead of the one being written,
	// so parsing YAML and writing SQLite share the cores.
	var todo []int
	for i := range paths {
		if changed[states[i].Path] {
			todo = append(todo, i)
		}
	}
	reads := make(chan fileRead, 2)
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
	for r := range reads {
		if err := e.writeFile(ctx, r, known, opts, now); err != nil {
			return err
		}
		written[r.state.Path] = true
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

// writeFile syncs one file read into the store. Problems in the file are
// logged, not returned: the other files still sync.
func (e *Engine) writeFile(ctx context.Context, r fileRead, known map[string]domain.ConfigFile, opts domain.SyncOptions, now time.Time) error {
	var problems config.Problems
	switch {
	case errors.As(r.err, &problems):
		for _, p := range problems {
			e.logger.Error("config file change rejected; its last synced version stands", "problem", p.String())
		}
		return nil
	case r.err != nil:
		e.logger.Error("config file skipped; its last synced version stands", "file", r.path, "err", r.err)
		return nil
	}
	st := r.state
	if prev, ok := known[st.Path]; ok && prev.Hash == st.Hash {
		return e.store.RecordFile(ctx, st, now)
	}
	changes, err := e.store.SyncFile(ctx, st, r.creds, opts, now)
	var conflict *domain.FileConflict
	if errors.As(err, &conflict) {
		e.logger.Error("config file change rejected; its last synced version stands", "file", st.Path, "err", conflict.Error())
		return nil
	}
	if err != nil {
		return err
	}
	e.logChanges(st.Path, changes)
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
