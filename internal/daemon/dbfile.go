package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"

	"github.com/notifier-dev/notifier/internal/store/backend"
)

// dbFile is the SQLite file a daemon opened: its path, and what the path
// named when it was opened (device and inode, compared by os.SameFile).
// A file deleted or replaced under the daemon (a restore copied over
// it, a volume swapped) is no longer the one it writes to: the daemon
// would go on recording into a file nobody will read again, so it stops.
type dbFile struct {
	path   string
	opened fs.FileInfo

	mu   sync.Mutex
	stop context.CancelCauseFunc // Run's: set while it runs
}

// openedFile records the file at the database's path, just opened; on
// PostgreSQL there is none.
func openedFile(dsn string) (*dbFile, error) {
	if backend.IsPostgres(dsn) {
		return &dbFile{}, nil
	}
	fi, err := os.Stat(dsn)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	return &dbFile{path: dsn, opened: fi}, nil
}

// notCreated refuses a SQLite database that does not exist yet: `run`
// creates one only when told to (--init), so that a database deleted,
// or a volume not mounted, is not silently replaced by an empty one.
func notCreated(dsn string) error {
	if backend.IsPostgres(dsn) {
		return nil
	}
	if _, err := os.Stat(dsn); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("database %s does not exist; to create it, start with `notifier run --init` (or run `notifier migrate`)", dsn)
	}
	return nil
}

// check says whether the file at the path is still the one opened; if
// not, it stops the run it belongs to (once: the cause is the first
// error).
func (f *dbFile) check() error {
	if f == nil || f.opened == nil {
		return nil
	}
	var err error
	switch fi, serr := os.Stat(f.path); {
	case errors.Is(serr, fs.ErrNotExist):
		err = fmt.Errorf("database %s was deleted while notifier run had it open; stopping (restore it, then start again)", f.path)
	case serr != nil:
		err = fmt.Errorf("database %s: %w", f.path, serr)
	case !os.SameFile(f.opened, fi):
		err = fmt.Errorf("database %s was replaced while notifier run had it open (it is no longer the file opened); stopping", f.path)
	default:
		return nil
	}
	f.mu.Lock()
	stop := f.stop
	f.mu.Unlock()
	if stop != nil {
		stop(err)
	}
	return err
}

// stopOn makes a failed check stop the run: stop is Run's cancel.
func (f *dbFile) stopOn(stop context.CancelCauseFunc) {
	if f == nil {
		return
	}
	f.mu.Lock()
	f.stop = stop
	f.mu.Unlock()
}
