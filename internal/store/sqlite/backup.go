package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/notifier-dev/notifier/internal/chain"
)

// ErrBackupExists refuses to overwrite an existing file without force.
var ErrBackupExists = errors.New("already exists")

// BackupInfo describes a finished backup.
type BackupInfo struct {
	Path  string
	Bytes int64
}

// Backup writes a consistent copy of the database to dest while others
// write (SQLite's VACUUM INTO reads one snapshot), into a temporary file
// beside dest, verifies the copy (VerifyCopy), and only then renames it to
// dest: dest is never half-written. An existing dest is refused with
// ErrBackupExists unless overwrite is set; without it the final step is a
// hard link, which fails rather than replace a file that appeared
// meanwhile.
func (s *Store) Backup(ctx context.Context, dest string, overwrite bool) (BackupInfo, error) {
	info := BackupInfo{Path: dest}
	if dest == "" {
		return info, errors.New("backup: give the path of the copy")
	}
	if abs, err := filepath.Abs(dest); err == nil {
		if src, err := filepath.Abs(s.path); err == nil && abs == src {
			return info, fmt.Errorf("backup: %s is the database itself", dest)
		}
	}
	if st, err := os.Stat(dest); err == nil {
		if !overwrite {
			return info, fmt.Errorf("backup: %s %w; give --force to replace it", dest, ErrBackupExists)
		}
		if !st.Mode().IsRegular() {
			return info, fmt.Errorf("backup: %s exists and is not a regular file", dest)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return info, fmt.Errorf("backup: %w", err)
	}
	dir := filepath.Dir(dest)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dest)+".tmp-*")
	if err != nil {
		return info, fmt.Errorf("backup: %w", err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	os.Remove(tmpPath) // VACUUM INTO wants to create the file itself
	done := false
	defer func() {
		if !done {
			os.Remove(tmpPath)
		}
	}()
	src := sql.OpenDB(connector{dsn: readOnlyDSN(s.path, false)})
	_, err = src.ExecContext(ctx, `VACUUM INTO ?`, tmpPath)
	src.Close()
	if err != nil {
		return info, fmt.Errorf("backup: copy: %w", err)
	}
	if err := os.Chmod(tmpPath, 0o600); err != nil {
		return info, fmt.Errorf("backup: %w", err)
	}
	if err := VerifyCopy(ctx, tmpPath); err != nil {
		return info, err
	}
	if overwrite {
		err = os.Rename(tmpPath, dest)
	} else if err = os.Link(tmpPath, dest); err == nil {
		os.Remove(tmpPath)
	} else if errors.Is(err, fs.ErrExist) {
		err = fmt.Errorf("%s %w; give --force to replace it", dest, ErrBackupExists)
	}
	if err != nil {
		return info, fmt.Errorf("backup: %w", err)
	}
	done = true
	if st, err := os.Stat(dest); err == nil {
		info.Bytes = st.Size()
	}
	return info, nil
}

// VerifyCopy checks a copy of the database before it is kept: SQLite's
// integrity_check must answer ok, and the history's hash chain must verify
// (VerifyChain). A chain keyed with audit.key is left to `notifier verify
// --db COPY --config ...`: a backup does not hold the key.
func VerifyCopy(ctx context.Context, path string) error {
	db := sql.OpenDB(connector{dsn: readOnlyDSN(path, true)})
	defer db.Close()
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return fmt.Errorf("backup: verify the copy: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("backup: verify the copy: %w", err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("backup: verify the copy: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("backup: the copy fails integrity_check: %s", strings.Join(problems, "; "))
	}
	return verifyCopyChain(ctx, path)
}

// verifyCopyChain checks a backup's hash chain: any break fails the backup,
// but for a keyed chain, which only the key can check.
func verifyCopyChain(ctx context.Context, path string) error {
	cs, err := OpenReadOnly(ctx, path)
	if err != nil {
		return fmt.Errorf("backup: verify the copy: %w", err)
	}
	defer cs.Close()
	rep, err := cs.VerifyChain(ctx, chain.Options{})
	if err != nil {
		return fmt.Errorf("backup: verify the copy: %w", err)
	}
	if rep.Problem != nil && rep.Problem.Kind != chain.KindKey {
		return fmt.Errorf("backup: the copy's history does not verify: %s", rep.Problem.Detail)
	}
	return nil
}
