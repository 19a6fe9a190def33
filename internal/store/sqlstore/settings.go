package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/notifier-dev/notifier/internal/domain"
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
		old, err := readSettings(t.Query(settingsQuery))
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
			if strings.HasPrefix(k, domain.AnnounceKey("")) {
				continue // where rotations are announced moves no deadline
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
		if slices.Contains(changed, "timezone") && old["timezone"] != "" {
			if err := t.rezone(now); err != nil {
				return err
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
	old, err := readSettings(s.db.Query(ctx, settingsQuery))
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

// settingsQuery reads the synced settings: every row of sync_state but
// the database's id, which is no setting and which a sync never removes.
const settingsQuery = `SELECT key, value FROM sync_state WHERE key <> '` + databaseIDKey + `'`

// databaseIDKey is the sync_state row of the database's id (migration
// 0008; 0006 on PostgreSQL).
const databaseIDKey = "database_id"

// DatabaseID is the database's id: random, made once by the migration
// that created it, carried by copy-db. Ack links are signed over it.
func (s *Store) DatabaseID(ctx context.Context) (string, error) {
	var id string
	err := s.db.QueryRow(ctx, `SELECT value FROM sync_state WHERE key = '`+databaseIDKey+`'`).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && id == "") {
		return "", errors.New("store: the database has no id (sync_state database_id): it was not migrated by this notifier")
	}
	if err != nil {
		return "", fmt.Errorf("store: database id: %w", err)
	}
	return id, nil
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

// rezone gives every active credential's open cycle the terms of the new
// time zone ("d" counts calendar days in it), each change an event; closed
// cycles keep the zone they had.
func (t *Tx) rezone(now time.Time) error {
	rows, err := t.Query(`SELECT c.id FROM ` + CurrentCycle + ` WHERE ` + t.IsTrue("c.active") + ` ORDER BY c.id`)
	ids, err := Collect(rows, err, func(r Scanner) (id string, err error) {
		err = r.Scan(&id)
		return id, err
	})
	if err != nil {
		return fmt.Errorf("store: time zone: %w", err)
	}
	for _, id := range ids {
		if err := t.RecordTerms(id, TermsConfig, now, nil); err != nil {
			return err
		}
	}
	return nil
}
