package engine

import (
	"context"
	"errors"
	"path/filepath"
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
	// A credential may move to a file synced in this pass, or from one
	// that is gone.
	movable := func(file string) bool { return changed[file] || !listed[file] }
	for i, path := range paths {
		if !changed[states[i].Path] {
			continue
		}
		if err := e.syncFile(ctx, cfg, path, i == 0, known, movable, now); err != nil {
			return err
		}
	}
	for path := range known {
		if listed[path] {
			continue
		}
		changes, err := e.store.RetireFile(ctx, path, now)
		if err != nil {
			return err
		}
		e.logChanges(path, changes)
	}
	return nil
}

// syncFile reads, parses and syncs one changed file. Problems in the file
// are logged, not returned: the other files still sync.
func (e *Engine) syncFile(ctx context.Context, cfg *config.Config, path string, main bool, known map[string]domain.ConfigFile,
	movable func(string) bool, now time.Time) error {
	var creds []domain.Credential
	var st domain.ConfigFile
	var err error
	if main {
		// The main file was parsed when the config was loaded. A config
		// loaded whole (config.Load) also holds the credential files'
		// credentials: only the main file's are its.
		st = cfg.Main
		for _, c := range cfg.Credentials {
			if c.File == st.Path {
				creds = append(creds, c)
			}
		}
	} else {
		creds, st, err = cfg.ReadCredentialFile(path)
	}
	var problems config.Problems
	switch {
	case errors.As(err, &problems):
		for _, p := range problems {
			e.logger.Error("config file change rejected; its last synced version stands", "problem", p.String())
		}
		return nil
	case err != nil:
		e.logger.Error("config file skipped; its last synced version stands", "file", path, "err", err)
		return nil
	}
	if prev, ok := known[st.Path]; ok && prev.Hash == st.Hash {
		return e.store.RecordFile(ctx, st, now)
	}
	changes, err := e.store.SyncFile(ctx, st, creds, movable, now)
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

func (e *Engine) logChanges(file string, changes []domain.Change) {
	for _, c := range changes {
		if c.Warn {
			e.logger.Warn(c.Detail, "credential", c.CredentialID, "file", file)
			continue
		}
		e.logger.Info("credential "+c.Status, "credential", c.CredentialID, "file", file, "detail", c.Detail)
	}
}
