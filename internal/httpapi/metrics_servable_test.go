package httpapi

import (
	"errors"
	"testing"
	"time"
)

// TestLastAnswerServable: the last answer may stand in for a read in
// flight only while it is younger than MaxStale, and never after a
// config reload or a recorded write.
func TestLastAnswerServable(t *testing.T) {
	at := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	body := []byte("notifier_credentials{state=\"ok\"} 1\n")
	for _, c := range []struct {
		name string
		now  time.Time
		want bool
	}{
		{"15 s old", at.Add(15 * time.Second), true},
		{"just under MaxStale", at.Add(MaxStale - time.Second), true},
		{"MaxStale old", at.Add(MaxStale), false},
		{"an hour old", at.Add(time.Hour), false},
		{"from the future (a clock set back)", at.Add(-time.Second), false},
	} {
		d := &databasePart{body: body, at: at}
		if got := d.servable(c.now, 0) != nil; got != c.want {
			t.Errorf("%s: servable = %v, want %v", c.name, got, c.want)
		}
	}

	d := &databasePart{body: body, at: at, gen: 7}
	if d.servable(at.Add(time.Second), 8) != nil {
		t.Error("the last answer is servable after a write recorded since it was read; want a new read")
	}
	if d.servable(at.Add(time.Second), 7) == nil {
		t.Error("the last answer is not servable at the generation it was read at")
	}

	m := NewMetrics()
	m.db.body, m.db.at = body, at
	m.ObserveReload(at.Add(time.Second), nil)
	if m.db.servable(at.Add(2*time.Second), 0) != nil {
		t.Error("the last answer is servable after a config reload; want it dropped")
	}
	m.db.body = body
	m.ObserveReload(at.Add(time.Second), errors.New("refused"))
	if m.db.servable(at.Add(2*time.Second), 0) == nil {
		t.Error("a refused reload (the old config stays) dropped the last answer")
	}
}
