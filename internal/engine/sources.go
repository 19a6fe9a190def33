package engine

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// SourceReader reads the current version of a secret kept in AWS
// (Parameter Store, Secrets Manager): its id and date, never its value.
// Its errors are redacted. internal/amazon's SourceReader is one.
type SourceReader interface {
	CurrentVersion(ctx context.Context, src domain.AWSSource) (domain.SourceVersion, error)
}

// WithSourceReader sets how credentials with a source: are read (default:
// none; such credentials then keep the dates the config gives, and one
// without rotated_at is not added).
func WithSourceReader(r SourceReader) Option { return func(e *Engine) { e.sources = r } }

// sourceWorkers is how many sources are read at once: a slow region
// delays only its own credentials.
const sourceWorkers = 4

// syncSources reads the current version of every active credential's AWS
// source and records it: a new version is a rotation at its date (once
// per version). A source that cannot be read is logged and tried again at
// the next sync; the others go on.
func (e *Engine) syncSources(ctx context.Context, now time.Time) {
	if e.sources == nil {
		return
	}
	creds, err := e.store.SourcedCredentials(ctx)
	if err != nil {
		e.logger.Error("credentials with a source: not read", "err", err)
		return
	}
	work := make(chan domain.SourcedCredential)
	var wg sync.WaitGroup
	for range min(sourceWorkers, len(creds)) {
		wg.Go(func() {
			for c := range work {
				e.syncSource(ctx, c, now)
			}
		})
	}
	for _, c := range creds {
		work <- c
	}
	close(work)
	wg.Wait()
}

// syncSource reads and records the current version of one credential's
// source (the engine's part of syncSources).
func (e *Engine) syncSource(ctx context.Context, c domain.SourcedCredential, now time.Time) {
	v, err := e.sources.CurrentVersion(ctx, c.Source)
	if err != nil {
		e.logger.Warn("source not read; the recorded rotations stand", "credential", c.ID, "err", e.redactor.String(err.Error()))
		return
	}
	v.CredentialID = c.ID
	status, err := e.store.RecordSourceVersion(ctx, v, now)
	switch {
	case err != nil:
		e.logger.Error("source version not recorded", "credential", c.ID, "source", c.Source.String(), "version", v.Version, "err", err)
	case status == domain.VersionRotated:
		e.logger.Info("rotation recorded from the source", "credential", c.ID, "source", c.Source.String(), "version", v.Version, "at", v.At.Format(time.RFC3339))
	case status == domain.VersionOlder:
		e.logger.Info("source version not newer than the latest rotation; no rotation recorded", "credential", c.ID, "source", c.Source.String(), "version", v.Version)
	}
}

// dateBySource gives the credentials of a changed file that have a source
// and no rotated_at a date. One already in the store keeps its record
// (DatedBy: the sync does not take a date for the operator's). A new one
// gets the date of its source's current version, so that its first cycle
// starts then; when the source cannot be read it is left out of this
// sync, logged, and the file is marked to be read again at the next sync,
// so that one unreadable source holds back no other credential.
func (e *Engine) dateBySource(ctx context.Context, r *fileRead, now time.Time) {
	kept := r.creds[:0]
	retry := false
	for _, c := range r.creds {
		if c.Source.IsZero() || !c.RotatedAt.IsZero() {
			kept = append(kept, c)
			continue
		}
		c.DatedBy = c.Source.Kind
		if old, err := e.store.Cycle(ctx, c.ID); err == nil {
			c.RotatedAt = old.Credential.RotatedAt
			kept = append(kept, c)
			continue
		}
		var v domain.SourceVersion
		err := errors.New("sources are not read here")
		if e.sources != nil {
			v, err = e.sources.CurrentVersion(ctx, c.Source)
		}
		if err != nil {
			e.logger.Error("credential not added yet: it has no rotated_at and its source cannot be read; tried again at the next sync",
				"credential", c.ID, "file", r.state.Path, "line", c.Line, "err", e.redactor.String(err.Error()))
			retry = true
			continue
		}
		// Never dated after now (a run at --at in the past), as
		// RecordSourceVersion dates the same version.
		c.RotatedAt = v.At
		if c.RotatedAt.After(now) {
			c.RotatedAt = now
		}
		kept = append(kept, c)
	}
	r.creds = kept
	if retry {
		// Not the file as read: the next sync reads and syncs it again.
		r.state.ModTime, r.state.Hash = time.Time{}, "retry:"+r.state.Hash
	}
}
