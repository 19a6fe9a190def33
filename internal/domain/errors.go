package domain

import (
	"errors"
	"fmt"
	"time"
)

// Errors a caller (CLI, HTTP) can tell apart.
var (
	ErrNotFound          = errors.New("not found")
	ErrUnknownCredential = errors.New("unknown credential")
	ErrInactive          = errors.New("credential is inactive")
	ErrNotNewer          = errors.New("rotation is not newer than the latest recorded one")
	ErrBeforeCycle       = errors.New("acknowledgment is before the current cycle started")
	// ErrFuture refuses an acknowledgment or a rotation dated after the
	// real clock: a record can be back-dated, never dated ahead.
	ErrFuture = errors.New("in the future")
	// ErrRetracted refuses to retract a record already retracted.
	ErrRetracted = errors.New("already retracted")
	// ErrOnlyRotation refuses to retract a credential's only live
	// rotation: there would be no cycle left to resume.
	ErrOnlyRotation = errors.New("the only rotation of a credential cannot be retracted")
	// ErrClaimLost says an outcome was not recorded on its outbox row:
	// the sender's claim had expired and another sender took the row.
	ErrClaimLost = errors.New("the claim had been lost")
)

// AlreadyAcknowledged is returned, and nothing recorded, when the current
// cycle was acknowledged before: a second click changes nothing.
type AlreadyAcknowledged struct {
	Credential string
	By         string
	At         time.Time
	Until      time.Time // a snooze's end; zero: acknowledged for the cycle
}

func (a *AlreadyAcknowledged) Error() string {
	if !a.Until.IsZero() {
		return fmt.Sprintf("%s: already snoozed by %s at %s until %s", a.Credential, a.By, a.At.UTC().Format(time.RFC3339), a.Until.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("%s: already acknowledged by %s at %s", a.Credential, a.By, a.At.UTC().Format(time.RFC3339))
}

// SnoozeRefused is returned, and nothing recorded, for a snooze that
// cannot be: one that ends before it starts or has ended already, or
// "until the next stage" after the last stage. Reason says why, in words
// a person reads.
type SnoozeRefused struct {
	Credential string
	Reason     string
}

func (e *SnoozeRefused) Error() string { return "snooze of " + e.Credential + ": " + e.Reason }

// FileConflict is returned when a config file defines a credential that
// another config file, unchanged, already defines.
type FileConflict struct {
	CredentialID string
	File         string // the file that already defines it
	In           string // the file refused
}

func (c *FileConflict) Error() string {
	return fmt.Sprintf("%s: credential %q is already defined in %s", c.In, c.CredentialID, c.File)
}
