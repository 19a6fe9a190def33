package postgres

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlstore"
)

// SyncFile makes the store match one config file's credentials, in one
// transaction (see the SQLite store's doc: the same contract).
func (s *Store) SyncFile(ctx context.Context, f domain.ConfigFile, creds []domain.Credential, opts domain.SyncOptions, now time.Time) ([]domain.Change, error) {
	all, err := s.SyncFiles(ctx, []domain.FileSync{{File: f, Credentials: creds}}, opts, now)
	if err != nil {
		return nil, err
	}
	return all[0], nil
}

// SyncFiles is SyncFile for several files in one transaction, the changes
// of each in the order given. A conflict in any file writes nothing.
func (s *Store) SyncFiles(ctx context.Context, files []domain.FileSync, opts domain.SyncOptions, now time.Time) ([][]domain.Change, error) {
	out := make([][]domain.Change, len(files))
	err := s.update(ctx, func(t *tx) error {
		// A file synced earlier in the batch owns what it lists.
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
		return nil, err
	}
	s.analyzeIfLarge(ctx, files)
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
	var fresh []domain.Credential
	for _, c := range creds {
		c.File = f.Path
		c.RotatedAt, c.ExpiresAt = storedTime(c.RotatedAt), zeroOrStored(c.ExpiresAt)
		delete(before, c.ID)
		old, ok := existing[c.ID]
		if !ok {
			fresh = append(fresh, c)
			continue
		}
		if old.Active && old.File != "" && old.File != f.Path && (opts.Movable == nil || !opts.Movable(old.File)) {
			return nil, &domain.FileConflict{CredentialID: c.ID, File: old.File, In: f.Path}
		}
		if err := sqlstore.SyncCredential(t, sqlstore.Credential(old), c, now, &changes); err != nil {
			return nil, err
		}
	}
	if err := t.addCredentials(fresh, opts.FirstAction, now, &changes); err != nil {
		return nil, err
	}
	if err := sqlstore.RetireCredentials(t, before, now, "removed from the config; kept as inactive", &changes); err != nil {
		return nil, err
	}
	return changes, sqlstore.PutFile(t, f, now)
}

func zeroOrStored(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return storedTime(t)
}

// addBatch is how many new credentials one round of statements adds.
const addBatch = 1000

// addCredentials adds new credentials with their first rotation (source
// config, or the AWS source that dates it) and their history events, due
// for planning at first(c), or from the cycle's start when first is nil; a
// whole batch per statement.
func (t *tx) addCredentials(creds []domain.Credential, first func(domain.Credential) time.Time, now time.Time, changes *[]domain.Change) error {
	// A credential dated by its AWS source (no rotated_at in the config)
	// has its first rotation recorded with that source.
	bySource := map[string][]domain.Credential{}
	for _, c := range creds {
		src := c.DatedBy
		if src == "" {
			src = "config"
		}
		bySource[src] = append(bySource[src], c)
	}
	for _, src := range []string{"config", domain.SourceSSM, domain.SourceSecretsManager} {
		if err := t.addCredentialsFrom(bySource[src], src, first, now, changes); err != nil {
			return err
		}
	}
	return nil
}

// addCredentialsFrom is addCredentials of credentials whose first rotation
// has the source src.
func (t *tx) addCredentialsFrom(creds []domain.Credential, src string, first func(domain.Credential) time.Time, now time.Time, changes *[]domain.Change) error {
	n := storedTime(now)
	for lo := 0; lo < len(creds); lo += addBatch {
		batch := creds[lo:min(lo+addBatch, len(creds))]
		rows := make([]any, 0, 16*len(batch))
		ids := make([]string, 0, len(batch))
		for _, c := range batch {
			next := minTime(c.RotatedAt, now)
			if first != nil {
				next = first(c)
			}
			rows = append(rows, c.ID, c.Name, c.Owner, c.RotationPeriod.String(), nullTime(c.ExpiresAt), c.Policy,
				storedTime(c.RotatedAt), c.File, n, n, nullTime(next), nullString(c.LWAClientID),
				nullString(c.Source.Kind), c.Source.Name, c.Source.Region, c.Source.Endpoint)
			detail := fmt.Sprintf("%s (owner %s, period %s, policy %s)", c.Name, c.Owner, c.RotationPeriod, c.Policy)
			if err := t.insertEvent(domain.Event{Time: now, Type: domain.EventCredential, CredentialID: c.ID, Status: "added", Detail: detail}); err != nil {
				return err
			}
			ids = append(ids, c.ID)
			*changes = append(*changes, domain.Change{CredentialID: c.ID, Status: "added", Detail: detail})
		}
		if _, err := t.exec(`INSERT INTO credentials (id, name, owner, rotation_period, expires_at, policy, config_rotated_at, file, active, created_at, updated_at, next_action_at, lwa_client_id,
			source_kind, source_name, source_region, source_endpoint)
			VALUES `+strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,TRUE,?,?,?,?,?,?,?,?),", len(batch)), ","), rows...); err != nil {
			return fmt.Errorf("store: add credentials: %w", err)
		}
		// The first rotations, read back to make them current and to
		// append their events in id order.
		rr, err := t.query(`INSERT INTO rotations (credential_id, rotated_at, source, recorded_at)
			SELECT id, config_rotated_at, ?, ? FROM credentials WHERE id = ANY(?) ORDER BY id
			RETURNING id, credential_id, rotated_at`, src, n, ids)
		if err != nil {
			return fmt.Errorf("store: add credentials: %w", err)
		}
		var rots []domain.Rotation
		for rr.Next() {
			r := domain.Rotation{Source: src}
			if err := rr.Scan(&r.ID, &r.CredentialID, &r.RotatedAt); err != nil {
				rr.Close()
				return fmt.Errorf("store: add credentials: %w", err)
			}
			r.RotatedAt = r.RotatedAt.UTC()
			rots = append(rots, r)
		}
		rr.Close()
		if err := rr.Err(); err != nil {
			return fmt.Errorf("store: add credentials: %w", err)
		}
		sort.Slice(rots, func(i, j int) bool { return rots[i].ID < rots[j].ID })
		rids := make([]int64, len(rots))
		cids := make([]string, len(rots))
		for i, r := range rots {
			rids[i], cids[i] = r.ID, r.CredentialID
		}
		if _, err := t.exec(`UPDATE credentials SET rotation_id = v.rid FROM unnest(?::text[], ?::bigint[]) AS v(id, rid) WHERE credentials.id = v.id`,
			cids, rids); err != nil {
			return fmt.Errorf("store: add credentials: %w", err)
		}
		for _, r := range rots {
			if err := t.insertEvent(domain.Event{Time: r.RotatedAt, Type: domain.EventRotation, CredentialID: r.CredentialID, RotationID: r.ID,
				Status: src, Detail: rotationDetail(r)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// credentials returns the rows of the given ids that exist, by id.
func (t *tx) credentials(ids []string) (map[string]credRow, error) {
	out := make(map[string]credRow, len(ids))
	for lo := 0; lo < len(ids); lo += idBatch {
		batch := ids[lo:min(lo+idBatch, len(ids))]
		rows, err := t.query(`SELECT `+credColumns+` FROM credentials c WHERE c.id = ANY(?)`, batch)
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
