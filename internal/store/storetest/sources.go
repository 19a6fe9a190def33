package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

var paramSource = domain.AWSSource{Kind: domain.SourceSSM, Name: "/erp/db/password", Region: "us-east-2"}

func sourced(id string, src domain.AWSSource) domain.Credential {
	return with(cred(id), func(c *domain.Credential) { c.Source = src })
}

func (e *env) version(id, version string, at, now time.Time) string {
	e.t.Helper()
	status, err := e.RecordSourceVersion(e.ctx, domain.SourceVersion{CredentialID: id, Source: domain.SourceSSM, Version: version, At: at}, now)
	if err != nil {
		e.t.Fatalf("RecordSourceVersion(%s %s) at %s: %v", id, version, ts(now), err)
	}
	return status
}

func testRecordSourceVersion(t *testing.T, open Opener) {
	t.Run("SourcedCredentials lists the active credentials with a source, with it", func(t *testing.T) {
		e := newEnv(t, open)
		sm := domain.AWSSource{Kind: domain.SourceSecretsManager, Name: "arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbC", Endpoint: "http://127.0.0.1:9"}
		e.sync(file, t0, sourced("alpha", paramSource), cred("beta"), sourced("gamma", sm))
		e.sync("other.yaml", t0, sourced("delta", paramSource))
		if _, err := e.RetireFile(e.ctx, "other.yaml", hours(1)); err != nil {
			t.Fatal(err)
		}
		got, err := e.SourcedCredentials(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "sourced", got, []domain.SourcedCredential{{ID: "alpha", Source: paramSource}, {ID: "gamma", Source: sm}})
	})

	t.Run("a new version records one rotation at its date, once; the old cycle's pending deliveries are superseded", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, sourced("alpha", paramSource))
		old := e.cycle("alpha")
		e.enqueue("alpha", hours(1), pending("30d", 0, "slack", hours(1)))

		equal(t, "first", e.version("alpha", "7", days(2), days(3)), domain.VersionRotated)
		cy := e.cycle("alpha")
		equal(t, "cycle", []any{cy.Source, ts(cy.Start), cy.RotationID != old.RotationID}, []any{domain.SourceSSM, ts(days(2)), true})
		dueBy(t, "alpha", cy, days(3))
		equal(t, "old delivery", e.deliveries("alpha")[0].Status, domain.StatusSuperseded)

		equal(t, "again", e.version("alpha", "7", days(2), days(4)), domain.VersionSeen)
		equal(t, "cycle after the same version", e.cycle("alpha").RotationID, cy.RotationID)
		rots := eventsOf(e.history(domain.HistoryFilter{CredentialID: "alpha"}), ofType(domain.EventRotation, domain.SourceSSM))
		if len(rots) != 1 || rots[0].Actor != "aws" || !rots[0].Time.Equal(days(2)) {
			t.Errorf("rotation events: %v; want one of version 7 at %s", eventText(rots), ts(days(2)))
		}
		equal(t, "next", e.version("alpha", "8", days(5), days(6)), domain.VersionRotated)
		equalTime(t, "start after version 8", e.cycle("alpha").Start, days(5))
	})

	t.Run("a version no newer than the latest rotation is recorded as seen, without a rotation, once", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, sourced("alpha", paramSource))
		cy := e.rotate("alpha", days(5), days(5))
		equal(t, "older", e.version("alpha", "3", days(4), days(6)), domain.VersionOlder)
		equal(t, "again", e.version("alpha", "3", days(4), days(7)), domain.VersionSeen)
		equal(t, "cycle", e.cycle("alpha").RotationID, cy.RotationID)
		ignored := eventsOf(e.history(domain.HistoryFilter{CredentialID: "alpha"}), ofType(domain.EventRotation, "ignored"))
		equal(t, "ignored events", len(ignored), 1)
	})

	t.Run("a version dated after now is recorded at now", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, sourced("alpha", paramSource))
		equal(t, "status", e.version("alpha", "2", days(9), days(1)), domain.VersionRotated)
		equalTime(t, "start", e.cycle("alpha").Start, days(1))
	})

	t.Run("a credential dated by its source starts with a rotation of that source, whose version is then known", func(t *testing.T) {
		e := newEnv(t, open)
		c := sourced("alpha", paramSource)
		c.RotatedAt, c.DatedBy = days(-20), domain.SourceSSM
		e.sync(file, t0, c)
		cy := e.cycle("alpha")
		equal(t, "first cycle", []any{cy.Source, ts(cy.Start)}, []any{domain.SourceSSM, ts(days(-20))})
		equal(t, "its version", e.version("alpha", "4", days(-20), hours(1)), domain.VersionSeen)
		equal(t, "cycle", e.cycle("alpha").RotationID, cy.RotationID)
		if evs := eventsOf(e.history(domain.HistoryFilter{CredentialID: "alpha"}), ofType(domain.EventRotation, "ignored")); len(evs) != 0 {
			t.Errorf("ignored events: %v", eventText(evs))
		}
		// Synced again with the source's later date: the config's record
		// does not become a rotation of source config.
		c.RotatedAt = days(1)
		e.sync(file, days(2), c)
		equal(t, "cycle after a resync", e.cycle("alpha").RotationID, cy.RotationID)
	})

	t.Run("a changed source is an update in the history", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, sourced("alpha", paramSource))
		moved := paramSource
		moved.Name = "/erp/db/password-v2"
		equal(t, "changes", changeText(e.sync(file, hours(1), sourced("alpha", moved))), []string{"alpha updated warn=false"})
		upd := eventsOf(e.history(domain.HistoryFilter{CredentialID: "alpha"}), ofType(domain.EventCredential, "updated"))
		if len(upd) != 1 || upd[0].Detail != `source "ssm:/erp/db/password (region us-east-2)" -> "ssm:/erp/db/password-v2 (region us-east-2)"` {
			t.Errorf("updated events: %v", eventText(upd))
		}
		// Versions are per parameter: version 1 of the new one is new.
		equal(t, "old name v1", e.version("alpha", "1", days(1), days(1)), domain.VersionRotated)
	})

	t.Run("refused: an unknown or inactive credential, one without that source", func(t *testing.T) {
		e := newEnv(t, open)
		e.sync(file, t0, sourced("alpha", paramSource), cred("beta"))
		e.sync("other.yaml", t0, sourced("gone", paramSource))
		if _, err := e.RetireFile(e.ctx, "other.yaml", hours(1)); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			id   string
			want error
		}{{"nobody", domain.ErrUnknownCredential}, {"gone", domain.ErrInactive}, {"beta", nil}} {
			_, err := e.RecordSourceVersion(e.ctx, domain.SourceVersion{CredentialID: tt.id, Source: domain.SourceSSM, Version: "1", At: hours(1)}, hours(2))
			if err == nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("%s: err = %v, want %v", tt.id, err, tt.want)
			}
		}
	})
}
