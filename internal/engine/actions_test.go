package engine

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
)

// Acknowledgments and rotations may be dated back, never after the real
// clock (plus MaxClockSkew): refused with domain.ErrFuture, nothing
// recorded, whatever path (CLI, HTTP, Slack) calls the engine.
func TestActionsRefuseTheFuture(t *testing.T) {
	wall := fixtureWall
	tests := []struct {
		name   string
		at     time.Time
		refuse bool
	}{
		{"back-dated", wall.AddDate(0, -1, 0), false},
		{"now", wall, false},
		{"within the skew", wall.Add(MaxClockSkew), false},
		{"a second past the skew", wall.Add(MaxClockSkew + time.Second), true},
		{"2099", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, action := range []string{"ack", "rotate"} {
				f := newFixture(t)
				f.tick("2026-11-28T00:00:00Z") // overdue
				var err error
				if action == "ack" {
					err = f.e.Acknowledge(context.Background(), Ack{Credential: "sp-api-prod", At: tt.at, By: "eve", Source: "cli"})
				} else {
					err = f.e.Rotate(context.Background(), Rotation{Credential: "sp-api-prod", At: tt.at, By: "eve", Source: "cli"})
				}
				events, herr := f.store.History(context.Background(), domain.HistoryFilter{Type: map[string]string{"ack": domain.EventAck, "rotate": domain.EventRotation}[action]})
				if herr != nil {
					t.Fatal(herr)
				}
				if !tt.refuse {
					if err != nil {
						t.Errorf("%s at %v: %v", action, tt.at, err)
					}
					continue
				}
				if !errors.Is(err, domain.ErrFuture) {
					t.Fatalf("%s at %v: error %v, want domain.ErrFuture", action, tt.at, err)
				}
				msg := err.Error()
				if !strings.Contains(msg, tt.at.UTC().Format(time.RFC3339)) || !strings.Contains(msg, "the clock says "+wall.Format(time.RFC3339)) ||
					strings.Contains(msg, "\n") {
					t.Errorf("%s: message %q does not name the time and the clock on one line", action, msg)
				}
				for _, e := range events {
					if e.Actor == "eve" {
						t.Errorf("%s refused, but recorded: %+v", action, e)
					}
				}
			}
		})
	}
}

// The refusal leaves the cycle as it was: a real acknowledgment afterwards
// is recorded, and is the first.
func TestRealAckAfterARefusedFutureAck(t *testing.T) {
	f := newFixture(t)
	f.tick("2026-11-28T00:00:00Z")
	err := f.e.Acknowledge(context.Background(), Ack{Credential: "sp-api-prod", At: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), By: "eve", Source: "cli"})
	if !errors.Is(err, domain.ErrFuture) {
		t.Fatalf("future ack: %v", err)
	}
	if err := f.e.Acknowledge(context.Background(), Ack{Credential: "sp-api-prod", At: time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC), By: "alice", Source: "cli"}); err != nil {
		t.Fatalf("real ack after a refused one: %v", err)
	}
}

// Backoff neither overflows nor loops long with the longest backoffs the
// config allows, or longer ones.
func TestBackoffBounded(t *testing.T) {
	century := 876000 * time.Hour
	for _, r := range []config.Retry{
		{InitialBackoff: century, MaxBackoff: century},
		{InitialBackoff: time.Second, MaxBackoff: century},
		{InitialBackoff: math.MaxInt64 / 3, MaxBackoff: math.MaxInt64},
		// Doubling 90 years twice overflows: the bound must stop it first.
		{InitialBackoff: century / 10 * 9, MaxBackoff: century},
	} {
		for _, attempts := range []int{1, 2, 3, 4, 60, 100, math.MaxInt32} {
			got := Backoff(r, attempts)
			if got <= 0 || got > r.MaxBackoff {
				t.Errorf("Backoff(%v, %d) = %v, want in (0, %v]", r, attempts, got, r.MaxBackoff)
			}
		}
	}
}
