package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// SyncSettings compares the settings that move deadlines and ladders (the
// time zone, each policy's fingerprint) with the last sync's, records the
// new values, and makes due the cycles a change touches: every active one
// for a new time zone, the credentials of a policy whose ladder changed.
// It returns the keys that changed.
func (s *Store) SyncSettings(ctx context.Context, values map[string]string, now time.Time) ([]string, error) {
	// Every tick asks; nearly always nothing changed, and a read answers
	// that without taking the write lock.
	if same, err := s.settingsAre(ctx, values); err != nil || same {
		return nil, err
	}
	var changed []string
	err := s.update(ctx, func(t *Tx) error {
		changed = changed[:0]
		old, err := readSettings(t.Query(`SELECT key, value FROM sync_state`))
		if err != nil {
			return err
		}
		w := t.Time(now)
		due := `UPDATE credentials SET ` + t.DueSet() + ` WHERE ` + t.IsTrue("active")
		for _, k := range slices.Sorted(maps.Keys(values)) {
			v := values[k]
			if prev, ok := old[k]; ok && prev == v {
				continue
			}
			changed = append(changed, k)
			if _, err := t.Exec(`INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
				return fmt.Errorf("store: sync state %s: %w", k, err)
			}
			if policy, ok := strings.CutPrefix(k, "policy:"); ok {
				_, err = t.Exec(due+` AND policy = ?`, w, w, policy)
			} else {
				_, err = t.Exec(due, w, w)
			}
			if err != nil {
				return fmt.Errorf("store: sync state %s: %w", k, err)
			}
		}
		for k := range old {
			if _, ok := values[k]; !ok {
				if _, err := t.Exec(`DELETE FROM sync_state WHERE key = ?`, k); err != nil {
					return fmt.Errorf("store: sync state %s: %w", k, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return changed, nil
}

// settingsAre reports whether the stored settings are exactly values.
func (s *Store) settingsAre(ctx context.Context, values map[string]string) (bool, error) {
	old, err := readSettings(s.db.Query(ctx, `SELECT key, value FROM sync_state`))
	if err != nil || len(old) != len(values) {
		return false, err
	}
	for k, v := range old {
		if want, ok := values[k]; !ok || want != v {
			return false, nil
		}
	}
	return true, nil
}

// readSettings reads the rows of sync_state.
func readSettings(rows *sql.Rows, err error) (map[string]string, error) {
	type setting struct{ key, value string }
	all, err := Collect(rows, err, func(r Scanner) (s setting, err error) {
		err = r.Scan(&s.key, &s.value)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: sync state: %w", err)
	}
	out := make(map[string]string, len(all))
	for _, s := range all {
		out[s.key] = s.value
	}
	return out, nil
}
