package sqlite

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlstore"
)

// SyncFile makes the store match one config file's credentials, in one
// transaction: new credentials are added with their first rotation (source
// config), changed ones updated, a rotated_at that moved forward records a
// rotation, one that moved backward is ignored with an event, and the
// credentials that left the file become inactive. A credential that another
// active file defines is a *domain.FileConflict, and nothing is written,
// unless movable says that file is being synced too (a credential moving
// between files). Every credential the sync touched is due for planning.
func (s *Store) SyncFile(ctx context.Context, f domain.ConfigFile, creds []domain.Credential, opts domain.SyncOptions, now time.Time) ([]domain.Change, error) {
	all, err := s.SyncFiles(ctx, []domain.FileSync{{File: f, Credentials: creds}}, opts, now)
	if err != nil {
		return nil, err
	}
	return all[0], nil
}

// SyncFiles is SyncFile for several files in one transaction, the changes
// of each in the order given: a first sync of many files writes the pages
// that every file touches (random entries of the indexes on next actions
// and on event times) once per batch rather than once per file. A conflict
// in any file writes nothing of any of them.
func (s *Store) SyncFiles(ctx context.Context, files []domain.FileSync, opts domain.SyncOptions, now time.Time) ([][]domain.Change, error) {
	out := make([][]domain.Change, len(files))
	err := s.update(ctx, func(t *tx) error {
		// A large sync touches more index pages than the everyday cache
		// holds; a larger one for this transaction only saves rereading
		// and rewriting them, and is given back after.
		if _, err := t.tx.ExecContext(t.ctx, `PRAGMA cache_size = `+syncCacheSize); err != nil {
			return fmt.Errorf("store: sync: %w", err)
		}
		defer t.tx.ExecContext(context.WithoutCancel(t.ctx), `PRAGMA cache_size = `+cacheSize+`; PRAGMA shrink_memory`)
		// A file synced earlier in the batch owns what it lists: another
		// file of the batch defining one of its credentials conflicts.
		done := map[string]bool{}
		o := opts
		o.Movable = func(file string) bool { return !done[file] && opts.Movable != nil && opts.Movable(file) }
		for i, fs := range files {
			changes, err := t.syncFile(fs.File, fs.Credentials, o, now)
			if err != nil {
				return err
			}
			out[i] = changes
			done[fs.File.Path] = true
		}
		return nil
	})
	if err != nil {
		return nil, err // rolled back: none of the changes happened
	}
	return out, nil
}

// syncFile is one file of SyncFiles.
func (t *tx) syncFile(f domain.ConfigFile, creds []domain.Credential, opts domain.SyncOptions, now time.Time) (changes []domain.Change, err error) {
	before, err := sqlstore.FileCredentials(t, f.Path)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(creds))
	for i, c := range creds {
		ids[i] = c.ID
	}
	existing, err := t.credentials(ids)
	if err != nil {
		return nil, err
	}
	var fresh []int // indexes into creds: a first sync does not copy the file
	for i := range creds {
		c := stored(creds[i], f.Path)
		delete(before, c.ID)
		old, ok := existing[c.ID]
		if !ok {
			fresh = append(fresh, i)
			continue
		}
		if old.Active && old.File != "" && old.File != f.Path && (opts.Movable == nil || !opts.Movable(old.File)) {
			return nil, &domain.FileConflict{CredentialID: c.ID, File: old.File, In: f.Path}
		}
		if err := sqlstore.SyncCredential(t, sqlstore.Credential(old), c, now, &changes); err != nil {
			return nil, err
		}
	}
	changes = slices.Grow(changes, len(fresh)) // one "added" each
	if err := t.addCredentials(f.Path, creds, fresh, opts.FirstAction, now, &changes); err != nil {
		return nil, err
	}
	if err := sqlstore.RetireCredentials(t, before, now, "removed from the config; kept as inactive", &changes); err != nil {
		return nil, err
	}
	return changes, sqlstore.PutFile(t, f, now)
}

// addBatch is how many new credentials one round of statements adds.
const addBatch = 200

// stored is c as the store records it from the file at path: times as
// they read back.
func stored(c domain.Credential, path string) domain.Credential {
	c.File = path
	c.RotatedAt, c.ExpiresAt = storedTime(c.RotatedAt), storedTime(c.ExpiresAt)
	return c
}

// addCredentials adds the new credentials creds[i] of the file at path,
// for each i of fresh, with their first rotation (source config) and their
// history events, due for planning at first(c), or from the cycle's start
// when first is nil. A first sync adds thousands at a time: each statement
// writes a whole batch, the rotations derived from the rows just added,
// and only a batch at a time is copied.
func (t *tx) addCredentials(path string, creds []domain.Credential, fresh []int, first func(domain.Credential) time.Time, now time.Time, changes *[]domain.Change) error {
	// A credential dated by its AWS source (no rotated_at in the config)
	// has its first rotation recorded with that source; usually none is.
	bySource := map[string][]int{"config": fresh}
	if slices.ContainsFunc(fresh, func(i int) bool { return creds[i].DatedBy != "" }) {
		bySource = map[string][]int{}
		for _, i := range fresh {
			src := creds[i].DatedBy
			if src == "" {
				src = "config"
			}
			bySource[src] = append(bySource[src], i)
		}
	}
	batch := make([]domain.Credential, 0, min(addBatch, len(fresh)))
	for _, src := range []string{"config", domain.SourceSSM, domain.SourceSecretsManager} {
		idx := bySource[src]
		for lo := 0; lo < len(idx); lo += addBatch {
			batch = batch[:0]
			for _, i := range idx[lo:min(lo+addBatch, len(idx))] {
				batch = append(batch, stored(creds[i], path))
			}
			if err := t.addCredentialsFrom(batch, src, first, now, changes); err != nil {
				return err
			}
		}
	}
	return nil
}

// addCredentialsFrom is addCredentials of credentials whose first rotation
// has the source src.
func (t *tx) addCredentialsFrom(creds []domain.Credential, src string, first func(domain.Credential) time.Time, now time.Time, changes *[]domain.Change) error {
	n := FormatTime(now)
	for lo := 0; lo < len(creds); lo += addBatch {
		batch := creds[lo:min(lo+addBatch, len(creds))]
		rows := make([]any, 0, 16*len(batch))
		ids := make([]any, 0, len(batch))
		for _, c := range batch {
			next := minTime(c.RotatedAt, now)
			if first != nil {
				next = first(c)
			}
			rows = append(rows, c.ID, c.Name, c.Owner, c.RotationPeriod.String(), nullTime(c.ExpiresAt), c.Policy,
				FormatTime(c.RotatedAt), c.File, n, n, nullTime(next), nullString(c.LWAClientID),
				nullString(c.Source.Kind), c.Source.Name, c.Source.Region, c.Source.Endpoint)
			detail := fmt.Sprintf("%s (owner %s, period %s, policy %s)", c.Name, c.Owner, c.RotationPeriod, c.Policy)
			if err := t.insertEvent(domain.Event{Time: now, Type: domain.EventCredential, CredentialID: c.ID, Status: "added", Detail: detail}); err != nil {
				return err
			}
			ids = append(ids, c.ID)
			*changes = append(*changes, domain.Change{CredentialID: c.ID, Status: "added", Detail: detail})
		}
		in := placeholders(len(batch))
		if _, err := t.exec(`INSERT INTO credentials (id, name, owner, rotation_period, expires_at, policy, config_rotated_at, file, active, created_at, updated_at, next_action_at, lwa_client_id,
			source_kind, source_name, source_region, source_endpoint)
			VALUES `+strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,1,?,?,?,?,?,?,?,?),", len(batch)), ","), rows...); err != nil {
			return fmt.Errorf("store: add credentials: %w", err)
		}
		rotations, err := t.addFirstRotations(batch, src, in, ids, n)
		if err != nil {
			return fmt.Errorf("store: add credentials: %w", err)
		}
		for _, r := range rotations {
			if err := t.insertEvent(domain.Event{Time: r.RotatedAt, Type: domain.EventRotation, CredentialID: r.CredentialID, RotationID: r.ID,
				Status: src, Detail: "rotated at " + FormatTime(r.RotatedAt) + " (source " + src + ")"}); err != nil {
				return err
			}
		}
		if _, err := t.exec(`UPDATE credentials SET rotation_id = (SELECT MAX(r.id) FROM rotations r WHERE r.credential_id = credentials.id)
			WHERE id IN (`+in+`)`, ids...); err != nil {
			return fmt.Errorf("store: add credentials: %w", err)
		}
	}
	return nil
}

// addFirstRotations records the config's rotation of each of the
// credentials just added (ids, in the placeholders in) and returns them in
// id order. The rows are inserted in credential id order under the write
// lock, so SQLite gives them the consecutive rowids up to the last insert
// id, in that order: no row needs reading back.
func (t *tx) addFirstRotations(batch []domain.Credential, src, in string, ids []any, now string) ([]domain.Rotation, error) {
	res, err := t.exec(`INSERT INTO rotations (credential_id, rotated_at, source, recorded_at)
		SELECT id, config_rotated_at, ?, ? FROM credentials WHERE id IN (`+in+`) ORDER BY id`, append([]any{src, now}, ids...)...)
	if err != nil {
		return nil, err
	}
	last, err := res.LastInsertId()
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil || n != int64(len(batch)) {
		return nil, fmt.Errorf("%d first rotations recorded for %d credentials (%v)", n, len(batch), err)
	}
	out := make([]domain.Rotation, len(batch))
	for i, c := range batch {
		out[i] = domain.Rotation{CredentialID: c.ID, RotatedAt: c.RotatedAt}
	}
	slices.SortFunc(out, func(a, b domain.Rotation) int { return strings.Compare(a.CredentialID, b.CredentialID) })
	for i := range out {
		out[i].ID = last - int64(len(out)-1-i)
	}
	return out, nil
}

// credentials returns the rows of the given ids that exist, by id.
func (t *tx) credentials(ids []string) (map[string]credRow, error) {
	out := make(map[string]credRow, len(ids))
	for lo := 0; lo < len(ids); lo += sentBatch {
		batch := ids[lo:min(lo+sentBatch, len(ids))]
		args := make([]any, len(batch))
		for i, id := range batch {
			args[i] = id
		}
		rows, err := t.query(`SELECT `+credColumns+` FROM credentials c WHERE c.id IN (`+placeholders(len(batch))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("store: credentials: %w", err)
		}
		for rows.Next() {
			c, err := scanCred(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: credentials: %w", err)
			}
			out[c.ID] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: credentials: %w", err)
		}
	}
	return out, nil
}
