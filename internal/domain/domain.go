// Package domain holds the words of notifier's vocabulary as Go types: a
// credential, the cycle a rotation starts, its deadline, an acknowledgment,
// a delivery and its statuses, an event of the history. It knows nothing
// of SQL, YAML or any channel; the config, the store and the engine all
// speak it.
package domain

import (
	"time"

	"github.com/notifier-dev/notifier/internal/schedule"
)

// Credential is one secret that must be rotated, as the config describes it.
type Credential struct {
	ID             string
	Name           string
	Owner          string
	RotatedAt      time.Time     // the operator's record of the last rotation
	RotationPeriod schedule.Span // the cycle's length
	ExpiresAt      time.Time     // an explicit deadline for the cycle of RotatedAt; zero if none
	Policy         string
	// File is the config file that defines the credential, relative to the
	// main config's folder; a credential that leaves its file becomes
	// inactive. Line is where its id is written, for problems.
	File string
	Line int
}

// Deadline is the end of a cycle that started at start: ExpiresAt for the
// cycle the config records, start + RotationPeriod (calendar days in loc)
// otherwise.
func (c Credential) Deadline(start time.Time, loc *time.Location) time.Time {
	if !c.ExpiresAt.IsZero() && start.Equal(c.RotatedAt) {
		return c.ExpiresAt
	}
	return c.RotationPeriod.Add(start, 1, loc)
}

// ConfigFile is a config file as it was when last synced. A file whose size
// and modification time are unchanged is not read again; one whose content
// hash is unchanged is not parsed again.
type ConfigFile struct {
	Path    string // relative to the main config's folder
	Size    int64
	ModTime time.Time
	Hash    string // hex SHA-256 of the content
}

// Unchanged reports whether f looks like the file last synced as g without
// reading it: same size and modification time.
func (f ConfigFile) Unchanged(g ConfigFile) bool {
	return f.Path == g.Path && f.Size == g.Size && f.ModTime.Equal(g.ModTime)
}
