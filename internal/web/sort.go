package web

import (
	"fmt"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/report"
)

// The fleet's orders, as ?sort= names them: id (the default) and
// deadline (the current cycle's, then id).
const (
	sortID       = "id"
	sortDeadline = "deadline"
)

// setOrder reads the order and the cursor (after) into f: in id order
// the cursor is the last id; in deadline order it is the last row's
// deadline and id, "2026-12-20T09:00:00Z/cred-1" (cursorOf).
func setOrder(f *domain.CredentialFilter, sort, after string) error {
	switch sort {
	case "", sortID:
		f.After = after
		return nil
	case sortDeadline:
	default:
		return fmt.Errorf("sort: %q is not one of id, deadline", report.Escape(truncate(sort, 40)))
	}
	f.ByDeadline, f.After = true, ""
	if after == "" {
		return nil
	}
	at, id, ok := strings.Cut(after, "/")
	t, err := time.Parse(time.RFC3339, at)
	if !ok || err != nil || id == "" {
		return fmt.Errorf("after: %q is not a cursor of the deadline order (deadline/id)", report.Escape(truncate(after, 60)))
	}
	f.AfterDeadline, f.After = t, id
	return nil
}

// cursorOf is the cursor after st in the order f reads.
func cursorOf(f domain.CredentialFilter, st engine.CredentialStatus) string {
	if f.ByDeadline {
		return st.Deadline.UTC().Format(time.RFC3339) + "/" + st.ID
	}
	return st.ID
}
