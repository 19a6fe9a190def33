package amazon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/domain"
)

// WriteNewSecret keeps a new client secret where the operator's tooling
// takes it from: the file named by the client id in dir, mode 0600,
// replaced atomically (a new file, synced, renamed over the old one, the
// folder synced). The file's modification time is the notification's
// eventTime: an older notification that SQS delivers late does not
// overwrite a newer secret (written reports whether the file was written).
// Errors never hold the secret.
func WriteNewSecret(dir string, n domain.Notice, secret channels.Secret) (written bool, err error) {
	if !domain.IsLWAClientID(n.ClientID) {
		return false, fmt.Errorf("amazon: new secret of notification %s: the client id is not of the form amzn1.application-oa2-client.…", n.ID)
	}
	if secret == "" {
		return false, fmt.Errorf("amazon: notification %s carries no newClientSecret", n.ID)
	}
	path := filepath.Join(dir, n.ClientID)
	if fi, err := os.Lstat(path); err == nil {
		if !fi.Mode().IsRegular() {
			return false, fmt.Errorf("amazon: %s is not a regular file; the new secret is not written", path)
		}
		if fi.ModTime().After(n.EventTime) {
			return false, nil // a newer secret is there
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("amazon: new secret: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+n.ClientID+".*")
	if err != nil {
		return false, fmt.Errorf("amazon: new secret: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename there is nothing to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return false, fmt.Errorf("amazon: new secret: %w", err)
	}
	if _, err := tmp.WriteString(string(secret)); err != nil {
		tmp.Close()
		return false, fmt.Errorf("amazon: new secret: writing %s: %w", tmp.Name(), errors.Unwrap(err))
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return false, fmt.Errorf("amazon: new secret: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return false, fmt.Errorf("amazon: new secret: %w", err)
	}
	at := n.EventTime
	if at.IsZero() {
		at = time.Now()
	}
	if err := os.Chtimes(tmp.Name(), at, at); err != nil {
		return false, fmt.Errorf("amazon: new secret: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return false, fmt.Errorf("amazon: new secret: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return true, nil
}
