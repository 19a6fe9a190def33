package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/store/sqlite"
)

// TestCloseViewSaysTheFileChanged: a view that read a SQLite file
// without a lock (no -wal when it opened) while another process wrote it
// fails with what happened, the file changed under it ("run it again"),
// not with what SQLite made of the pages that changed ("database disk
// image is malformed", seen with `history` beside a loop of `ack`); a
// view that failed for another reason keeps its error; one that did not
// fail gets the close's.
func TestCloseViewSaysTheFileChanged(t *testing.T) {
	changed := fmt.Errorf("store: notifier.db: %w", sqlite.ErrChangedWhileRead)
	malformed := errors.New("store: history: database disk image is malformed")
	other := errors.New("store: history: context canceled")
	for _, tc := range []struct {
		name     string
		err      error // the command's
		closeErr error
		want     error
		wantAlso string // the command's error, kept in the message
	}{
		{"failed read, file changed", malformed, changed, sqlite.ErrChangedWhileRead, "database disk image is malformed"},
		{"no error, file changed", nil, changed, sqlite.ErrChangedWhileRead, ""},
		{"failed read, file unchanged", other, nil, other, ""},
		{"failed read, another close error", other, errors.New("close failed"), other, ""},
		{"nothing", nil, nil, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err
			closeView(func() error { return tc.closeErr }, &err)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if err != nil && (strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), tc.wantAlso)) {
				t.Errorf("error %q: want one line with %q", err, tc.wantAlso)
			}
		})
	}
}
