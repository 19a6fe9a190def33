package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/notifier-dev/notifier/internal/engine"
)

func statusRow(id, name string) engine.CredentialStatus {
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	return engine.CredentialStatus{ID: id, Name: name, Owner: "payments", RotatedAt: at, Deadline: at.AddDate(0, 0, 180), State: engine.StateOK}
}

// TestStatusTableFitsTheTerminal: on a terminal 110 wide, every line
// fits, a long name is cut with "…", and the id stays whole. (The fixed
// columns, dates and counts, take about 100: narrower terminals get the
// name, owner and id cut to 8 and lines as short as that makes them.)
func TestStatusTableFitsTheTerminal(t *testing.T) {
	var b bytes.Buffer
	s := NewStatusStream(&b, "table", 110)
	long := strings.Repeat("very long name ", 10)
	for _, r := range []engine.CredentialStatus{statusRow("alpha", long), statusRow("beta", "short")} {
		if err := s.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	for _, l := range lines {
		if n := utf8.RuneCountInString(l); n > 110 {
			t.Errorf("line of %d characters: %q", n, l)
		}
	}
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "alpha  very long name") || !strings.Contains(lines[1], "…  payments") {
		t.Errorf("table:\n%s", b.String())
	}
}

// TestStatusTableStreams: past its prefix, a table prints each row as it
// comes, with the widths of the prefix; the optional columns are then
// shown, so that a later probe is not lost.
func TestStatusTableStreams(t *testing.T) {
	var b bytes.Buffer
	s := NewStatusStream(&b, "table", 0)
	for i := range TablePrefix {
		if err := s.Add(statusRow(fmt.Sprintf("c%04d", i), "name")); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Count(b.String(), "\n"); got != TablePrefix+1 {
		t.Fatalf("%d lines printed after the prefix, want the header and %d rows", got, TablePrefix)
	}
	late := statusRow("c9999", "name")
	late.LastProbe = "rejected"
	if err := s.Add(late); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	header, last := lines[0], lines[len(lines)-1]
	if !strings.Contains(header, "VERIFIED") || !strings.Contains(last, "(last probe: rejected)") ||
		strings.Index(header, "STATE") != strings.Index(last, "ok ") {
		t.Errorf("header %q, last row %q", header, last)
	}
}
