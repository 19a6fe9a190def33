package domain

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/schedule"
)

// CredentialFilter narrows a view of credentials (status, plan, and later
// the console and the API). The zero value selects everything. Each field
// is applied in the store's query where the store can, so that a narrow
// view reads few rows; what only the engine can judge (a stage is active)
// is applied by the engine on what the query returned.
type CredentialFilter struct {
	Owner  string // exact owner
	Policy string // exact policy name
	// Channel is a configured channel: the credentials whose policy's
	// ladder (a stage or an escalation) sends to it; "" any. The engine
	// turns it into a set of policies the store's query selects.
	Channel string
	// State is one of ok, due, overdue, inactive; "" any.
	State string
	// DueWithin selects credentials whose deadline is at most this span
	// after now (overdue ones included); zero: no bound.
	DueWithin schedule.Span
	// Credential is a glob over the credential id: * any run of
	// characters, ? one character, [a-z] a class; "" any.
	Credential string
	// Limit stops after this many rows; 0: no limit.
	Limit int
	// After keeps only ids after it (keyset pagination: the last id of
	// the page before); "" from the first.
	After string
	// ByDeadline orders by the current cycle's deadline, then id, instead
	// of id; the keyset is then (AfterDeadline, After), the last row's
	// deadline and id.
	ByDeadline    bool
	AfterDeadline time.Time
}

// CheckGlob refuses a malformed --credential pattern.
func CheckGlob(pattern string) error {
	if _, err := path.Match(pattern, ""); err != nil {
		return fmt.Errorf("%q is not a valid pattern (use *, ? and [a-z])", pattern)
	}
	return nil
}

// MatchGlob reports whether id matches the pattern: like path.Match, but
// * also matches "/", since credential ids are not paths.
func MatchGlob(pattern, id string) bool {
	if pattern == "" {
		return true
	}
	// path.Match's * stops at '/'; credential ids may contain it.
	ok, _ := path.Match(strings.ReplaceAll(pattern, "/", "\x00"), strings.ReplaceAll(id, "/", "\x00"))
	return ok
}

// GlobPrefix is the literal start of a --credential pattern, before its
// first wildcard: every id it matches begins with it, so a store can cut
// its query to that range.
func GlobPrefix(pattern string) string {
	if i := strings.IndexAny(pattern, `*?[\`); i >= 0 {
		return pattern[:i]
	}
	return pattern
}
