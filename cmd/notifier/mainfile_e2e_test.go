package main

import (
	"fmt"
	"strings"
	"testing"
)

// An unchanged main config file is not parsed again (issue 18): a tick
// decodes the main file's settings, channels and policies, but not its
// credentials: when the file is the version last synced; a changed one is
// still synced at once, and a refused one is still loud.

// notDecoded is the debug line of a tick that left the main file's
// credentials undecoded.
const notDecoded = "main config file unchanged since its last sync; its credentials are not decoded"

func TestTickDoesNotDecodeAnUnchangedMainFile(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	type step struct {
		name, now, rotatedAt string // rotatedAt: rewrite the file first
		bad                  bool   // write a credential with a bad id
		code                 int
		decoded              bool     // the tick decoded the credentials
		logs                 []string // in stderr too
		stage                string   // the reminder sent, if any
	}
	steps := []step{
		{name: "first tick syncs", now: "2026-11-22T09:00:00Z", decoded: true, logs: []string{"config file synced", "added=1"}, stage: "7d"},
		{name: "unchanged", now: "2026-11-22T09:05:00Z"},
		{name: "unchanged again", now: "2026-11-22T10:00:00Z"},
		{name: "a rotation in the main file is synced at once", now: "2026-11-22T11:00:00Z", rotatedAt: "2026-11-22", decoded: true, logs: []string{"config file synced", "rotated=1"}},
		{name: "unchanged after the rotation", now: "2026-11-22T12:00:00Z"},
		{name: "a refused main file is loud", now: "2026-11-22T13:00:00Z", bad: true, code: 1, decoded: true, logs: []string{"not a slug"}},
		{name: "still refused", now: "2026-11-22T14:00:00Z", code: 1, decoded: true, logs: []string{"not a slug"}},
		{name: "the good file again is its last synced version", now: "2026-11-22T15:00:00Z", rotatedAt: "2026-11-22"},
	}
	for _, s := range steps {
		switch {
		case s.bad:
			e.writeCreds(fmt.Sprintf(spAPI, "2026-11-22") + "  - {id: Not_A_Slug, name: x, owner: y}\n")
		case s.rotatedAt != "":
			e.writeCreds(fmt.Sprintf(spAPI, s.rotatedAt))
		}
		_, errs, code := e.at(s.now, "--log-level", "debug", "tick")
		if code != s.code {
			t.Fatalf("%s: exit %d, want %d\nstderr: %s", s.name, code, s.code, errs)
		}
		if got := strings.Contains(errs, notDecoded); got == s.decoded {
			t.Errorf("%s: credentials decoded = %v, want %v\nstderr: %s", s.name, !got, s.decoded, errs)
		}
		for _, l := range s.logs {
			if !strings.Contains(errs, l) {
				t.Errorf("%s: stderr lacks %q\nstderr: %s", s.name, l, errs)
			}
		}
		if !s.decoded && strings.Contains(errs, "config file synced") {
			t.Errorf("%s: an unchanged main file was synced again\nstderr: %s", s.name, errs)
		}
		if s.stage != "" {
			want(t, e.hook.take(), s.stage, 6)
		} else {
			want(t, e.hook.take())
		}
	}
}
