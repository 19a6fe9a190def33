package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
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
	err := s.update(ctx, func(t *Tx) error {
		done, err := s.db.SyncStarted(t)
		if err != nil {
			return err
		}
		defer done()
		// A file synced earlier in the batch owns what it lists: another
		// file of the batch defining one of its credentials conflicts.
		synced := map[string]bool{}
		o := opts
		o.Movable = func(file string) bool { return !synced[file] && opts.Movable != nil && opts.Movable(file) }
		for i, fs := range files {
			changes, err := t.syncFile(fs.File, fs.Credentials, o, now)
			if err != nil {
				return err
			}
			out[i] = changes
			synced[fs.File.Path] = true
		}
		return nil
	})
	if err != nil {
		return nil, err // rolled back: none of the changes happened
	}
	n := 0
	for _, f := range files {
		n += len(f.Credentials)
	}
	s.db.Synced(ctx, n)
	return out, nil
}

// syncFile is one file of SyncFiles.
func (t *Tx) syncFile(f domain.ConfigFile, creds []domain.Credential, opts domain.SyncOptions, now time.Time) (changes []domain.Change, err error) {
	before, err := FileCredentials(t, f.Path)
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
		if err := SyncCredential(t, old, c, now, &changes); err != nil {
			return nil, err
		}
	}
	changes = slices.Grow(changes, len(fresh)) // one "added" each
	if err := t.addCredentials(f.Path, creds, fresh, opts.FirstAction, now, &changes); err != nil {
		return nil, err
	}
	if err := RetireCredentials(t, before, now, "removed from the config; kept as inactive", &changes); err != nil {
		return nil, err
	}
	return changes, PutFile(t, f, now)
}

// stored is c as the store records it from the file at path: times as
// they read back.
func stored(c domain.Credential, path string) domain.Credential {
	c.File = path
	c.RotatedAt, c.ExpiresAt = StoredTime(c.RotatedAt), StoredTime(c.ExpiresAt)
	return c
}

// addCredentials adds the new credentials creds[i] of the file at path,
// for each i of fresh, with their first rotation (source config, or the
// AWS source that dates it) and their history events, due for planning at
// first(c), or from the cycle's start when first is nil. A first sync adds
// thousands at a time: each statement writes a whole batch
// (Dialect.AddBatch), the rotations derived from the rows just added
// (Driver.FirstRotations), and only a batch at a time is copied.
func (t *Tx) addCredentials(path string, creds []domain.Credential, fresh []int, first func(domain.Credential) time.Time, now time.Time, changes *[]domain.Change) error {
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
	size := t.AddBatch()
	batch := make([]domain.Credential, 0, min(size, len(fresh)))
	for _, src := range []string{"config", domain.SourceSSM, domain.SourceSecretsManager} {
		idx := bySource[src]
		for lo := 0; lo < len(idx); lo += size {
			batch = batch[:0]
			for _, i := range idx[lo:min(lo+size, len(idx))] {
				batch = append(batch, stored(creds[i], path))
			}
			if err := t.addBatch(batch, src, first, now, changes); err != nil {
				return err
			}
		}
	}
	return nil
}

// addBatch adds one batch of addCredentials, whose first rotations have
// the source src, in one statement each.
func (t *Tx) addBatch(batch []domain.Credential, src string, first func(domain.Credential) time.Time, now time.Time, changes *[]domain.Change) error {
	n := t.Time(now)
	rows := make([]any, 0, 16*len(batch))
	for _, c := range batch {
		next := MinTime(c.RotatedAt, now)
		if first != nil {
			next = first(c)
		}
		rows = append(rows, c.ID, c.Name, c.Owner, c.RotationPeriod.String(), nullTime(t, c.ExpiresAt), c.Policy,
			t.Time(c.RotatedAt), c.File, n, n, nullTime(t, next), NullString(c.LWAClientID),
			NullString(c.Source.Kind), c.Source.Name, c.Source.Region, c.Source.Endpoint)
		detail := fmt.Sprintf("%s (owner %s, period %s, policy %s)", c.Name, c.Owner, c.RotationPeriod, c.Policy)
		if err := t.InsertEvent(domain.Event{Time: now, Type: domain.EventCredential, CredentialID: c.ID, Status: "added", Detail: detail}); err != nil {
			return err
		}
		*changes = append(*changes, domain.Change{CredentialID: c.ID, Status: "added", Detail: detail})
	}
	if _, err := t.Exec(`INSERT INTO credentials (id, name, owner, rotation_period, expires_at, policy, config_rotated_at, file, active, created_at, updated_at, next_action_at, lwa_client_id,
			source_kind, source_name, source_region, source_endpoint)
			VALUES `+strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,TRUE,?,?,?,?,?,?,?,?),", len(batch)), ","), rows...); err != nil {
		return fmt.Errorf("store: add credentials: %w", err)
	}
	rotations, err := t.store.db.FirstRotations(t, batch, src, now)
	if err != nil {
		return fmt.Errorf("store: add credentials: %w", err)
	}
	if err := t.firstTerms(batch, rotations); err != nil {
		return err
	}
	for _, r := range rotations {
		r.Source = src
		if err := t.InsertEvent(domain.Event{Time: r.RotatedAt, Type: domain.EventRotation, CredentialID: r.CredentialID, RotationID: r.ID,
			Status: src, Detail: rotationDetail(r)}); err != nil {
			return err
		}
	}
	return nil
}

// SyncCredential brings an existing credential's row (old) in line with
// the config's c: the changes an operator made, each with its event; a
// rotated_at that moved forward records a rotation, one that moved
// backward is ignored with an event.
func SyncCredential(t *Tx, old Credential, c domain.Credential, now time.Time, changes *[]domain.Change) error {
	var diffs []string
	diff := func(field, a, b string) {
		if a != b {
			diffs = append(diffs, fmt.Sprintf("%s %q -> %q", field, a, b))
		}
	}
	diff("name", old.Name, c.Name)
	diff("owner", old.Owner, c.Owner)
	diff("rotation_period", old.RotationPeriod.String(), c.RotationPeriod.String())
	diff("expires_at", optionalTime(old.ExpiresAt), optionalTime(c.ExpiresAt))
	diff("policy", old.Policy, c.Policy)
	diff("lwa.client_id", old.LWAClientID, c.LWAClientID)
	diff("source", old.Source.Detail(), c.Source.Detail())
	reactivated := !old.Active
	moved := old.File != c.File

	if c.DatedBy != "" {
		// No rotated_at in the config: the source's versions record the
		// rotations, and the config's record stays as it was.
		c.RotatedAt = old.RotatedAt
	}
	if len(diffs) == 0 && !reactivated && !moved && c.RotatedAt.Equal(old.RotatedAt) {
		return nil
	}
	// The row first: a rotation recorded from the config starts its cycle
	// with the config's terms as they are now.
	if err := t.PutCredential(c, true, now); err != nil {
		return err
	}
	switch {
	case c.DatedBy != "":
	case c.RotatedAt.After(old.RotatedAt):
		if err := configRotation(t, old, c, now, changes); err != nil {
			return err
		}
	case c.RotatedAt.Before(old.RotatedAt):
		current, err := t.Rotation(old.RotationID)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		if err == nil && !c.RotatedAt.Before(current.RotatedAt) {
			// Back to the current cycle's start: the later rotation the
			// config recorded was retracted.
			break
		}
		msg := fmt.Sprintf("rotated_at moved backward in the config (%s -> %s); ignored, the recorded rotations stand",
			FormatTime(old.RotatedAt), FormatTime(c.RotatedAt))
		if err == nil {
			only, err := onlyLiveRotation(t, current)
			if err != nil {
				return err
			}
			msg += "; " + BackwardHint(current, only)
		}
		if err := t.InsertEvent(domain.Event{Time: now, Type: domain.EventConfig, CredentialID: c.ID, Status: "ignored", Detail: msg}); err != nil {
			return err
		}
		*changes = append(*changes, domain.Change{CredentialID: c.ID, Status: "ignored", Detail: msg, Warn: true})
	}
	if reactivated {
		if err := t.InsertEvent(domain.Event{Time: now, Type: domain.EventCredential, CredentialID: c.ID, Status: "reactivated",
			Detail: "back in the config"}); err != nil {
			return err
		}
		*changes = append(*changes, domain.Change{CredentialID: c.ID, Status: "reactivated", Detail: "back in the config"})
	}
	if len(diffs) > 0 {
		detail := strings.Join(diffs, "; ")
		if err := t.InsertEvent(domain.Event{Time: now, Type: domain.EventCredential, CredentialID: c.ID, Status: "updated", Detail: detail}); err != nil {
			return err
		}
		*changes = append(*changes, domain.Change{CredentialID: c.ID, Status: "updated", Detail: detail})
		// The open cycle follows the config's new terms, as an event;
		// closed cycles keep theirs.
		if err := t.RecordTerms(c.ID, TermsConfig, now, changes); err != nil {
			return err
		}
	}
	if len(diffs) > 0 || reactivated {
		return t.MarkDue(c.ID, now)
	}
	return nil
}

// configRotation records the rotation an operator wrote into the config,
// unless an equal or newer one is already recorded (say, by `notifier
// rotate` a minute earlier).
func configRotation(t *Tx, old Credential, c domain.Credential, now time.Time, changes *[]domain.Change) error {
	latest, err := t.Rotation(old.RotationID)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	switch {
	case err == nil && latest.RotatedAt.Equal(c.RotatedAt):
		return nil
	case err == nil && latest.RotatedAt.After(c.RotatedAt):
		msg := fmt.Sprintf("rotated_at %s in the config is older than the latest recorded rotation %s (source %s); ignored",
			FormatTime(c.RotatedAt), FormatTime(latest.RotatedAt), latest.Source)
		*changes = append(*changes, domain.Change{CredentialID: c.ID, Status: "ignored", Detail: msg, Warn: true})
		return t.InsertEvent(domain.Event{Time: now, Type: domain.EventConfig, CredentialID: c.ID, Status: "ignored", Detail: msg})
	}
	if err := retractedAt(t, c.ID, c.RotatedAt); err != nil {
		msg := err.Error() + "; ignored"
		*changes = append(*changes, domain.Change{CredentialID: c.ID, Status: "ignored", Detail: msg, Warn: true})
		return t.InsertEvent(domain.Event{Time: now, Type: domain.EventConfig, CredentialID: c.ID, Status: "ignored", Detail: msg})
	}
	if _, err := t.InsertRotation(domain.Rotation{CredentialID: c.ID, RotatedAt: c.RotatedAt, Source: "config"}, now); err != nil {
		return err
	}
	*changes = append(*changes, domain.Change{CredentialID: c.ID, Status: "rotated", Detail: "rotation recorded from the config at " + FormatTime(c.RotatedAt)})
	return nil
}

// BackwardHint says, for a config whose rotated_at is before the current
// cycle's rotation r, how to undo r if it was the mistake: the config
// moving backward never retracts by itself, for a typo must not silently
// resume an old cycle. A credential's only live rotation (only: the
// first, the date it was added with) cannot be retracted
// (domain.ErrOnlyRotation): the hint then says so, not a command that
// would be refused.
func BackwardHint(r domain.Rotation, only bool) string {
	if only {
		return fmt.Sprintf("the rotation at %s (source %s) is %s's first rotation, which cannot be retracted: its cycles run from it "+
			"(to date the credential otherwise, remove it from the config and add it under a new id)", FormatTime(r.RotatedAt), r.Source, r.CredentialID)
	}
	return fmt.Sprintf("if the rotation at %s (source %s) was a mistake, undo it with: notifier retract rotation %s --rotation %d --reason \"...\"",
		FormatTime(r.RotatedAt), r.Source, r.CredentialID, r.ID)
}

// onlyLiveRotationSQL counts a credential's live rotations other than
// one: none, and a retraction of that one is refused.
const onlyLiveRotationSQL = `SELECT COUNT(*) FROM rotations r WHERE r.credential_id = ? AND r.id <> ? AND ` + LiveRotation

// onlyLiveRotation says whether r is its credential's only live rotation.
func onlyLiveRotation(t *Tx, r domain.Rotation) (bool, error) {
	var others int
	if err := t.QueryRow(onlyLiveRotationSQL, r.CredentialID, r.ID).Scan(&others); err != nil {
		return false, fmt.Errorf("store: rotations of %s: %w", r.CredentialID, err)
	}
	return others == 0, nil
}

// OnlyLiveRotation says whether r is its credential's only live
// rotation (BackwardHint).
func (s *Store) OnlyLiveRotation(ctx context.Context, r domain.Rotation) (bool, error) {
	var others int
	if err := s.db.QueryRow(ctx, onlyLiveRotationSQL, r.CredentialID, r.ID).Scan(&others); err != nil {
		return false, fmt.Errorf("store: rotations of %s: %w", r.CredentialID, err)
	}
	return others == 0, nil
}

// optionalTime is t as a change's detail shows it: empty for none.
func optionalTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return FormatTime(t)
}
