package sqlstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// ConfigFiles returns every config file as last synced, by path.
func (s *Store) ConfigFiles(ctx context.Context) (map[string]domain.ConfigFile, error) {
	rows, err := s.db.Query(ctx, `SELECT path, size, mod_time, hash FROM config_files`)
	files, err := Collect(rows, err, func(r Scanner) (f domain.ConfigFile, err error) {
		var mt string
		if err := r.Scan(&f.Path, &f.Size, &mt, &f.Hash); err != nil {
			return f, err
		}
		if f.ModTime, err = time.Parse(time.RFC3339Nano, mt); err != nil {
			return f, fmt.Errorf("config file %s: %w", f.Path, err)
		}
		return f, nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: config files: %w", err)
	}
	out := make(map[string]domain.ConfigFile, len(files))
	for _, f := range files {
		out[f.Path] = f
	}
	return out, nil
}

// PutFile records a config file as synced now.
func PutFile(t *Tx, f domain.ConfigFile, now time.Time) error {
	_, err := t.Exec(`INSERT INTO config_files (path, size, mod_time, hash, synced_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (path) DO UPDATE SET size = excluded.size, mod_time = excluded.mod_time, hash = excluded.hash, synced_at = excluded.synced_at`,
		f.Path, f.Size, f.ModTime.UTC().Format(time.RFC3339Nano), f.Hash, t.Time(now))
	if err != nil {
		return fmt.Errorf("store: config file %s: %w", f.Path, err)
	}
	return nil
}

// RecordFile remembers a file whose content is unchanged (same hash) but
// whose size or modification time moved, so it is not read again.
func (s *Store) RecordFile(ctx context.Context, f domain.ConfigFile, now time.Time) error {
	return s.update(ctx, func(t *Tx) error { return PutFile(t, f, now) })
}

// FileCredentials returns the active credentials a file defined at its
// last sync.
func FileCredentials(t *Tx, path string) (map[string]bool, error) {
	ids, err := Strings(t.Query(`SELECT id FROM credentials WHERE file = ? AND `+t.IsTrue("active"), path))
	if err != nil {
		return nil, fmt.Errorf("store: credentials of %s: %w", path, err)
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// RetireCredentials makes the credentials ids inactive, in id order, each
// with the change detail.
func RetireCredentials(t *Tx, ids map[string]bool, now time.Time, detail string, changes *[]domain.Change) error {
	for _, id := range slices.Sorted(maps.Keys(ids)) {
		if err := t.Retire(id, now, detail); err != nil {
			return err
		}
		*changes = append(*changes, domain.Change{CredentialID: id, Status: "inactive", Detail: detail})
	}
	return nil
}

// RetireFile forgets a config file that is gone from the config: its
// credentials become inactive.
func (s *Store) RetireFile(ctx context.Context, path string, now time.Time) ([]domain.Change, error) {
	var changes []domain.Change
	err := s.update(ctx, func(t *Tx) error {
		changes = changes[:0]
		ids, err := FileCredentials(t, path)
		if err != nil {
			return err
		}
		if err := RetireCredentials(t, ids, now, "its file "+path+" is no longer in the config; kept as inactive", &changes); err != nil {
			return err
		}
		if _, err := t.Exec(`DELETE FROM config_files WHERE path = ?`, path); err != nil {
			return fmt.Errorf("store: config file %s: %w", path, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return changes, nil
}
