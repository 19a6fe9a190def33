// Package ical parses an iCalendar in tests with a parser no one here
// wrote: Debian's python3-icalendar, run as a child process.
package ical

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
	"time"
)

// Install is what to install when the parser is missing.
const Install = "python3-icalendar is missing: install Debian's python3-icalendar package (apt-get install python3-icalendar; scripts/test does it)"

// Alarm is one VALARM as the parser read it.
type Alarm struct {
	Trigger string `json:"trigger"` // the parsed duration, as Python prints it ("-30 days, 0:00:00")
	Related string `json:"related"`
}

// Event is one VEVENT as the parser read it.
type Event struct {
	UID         string    `json:"uid"`
	Summary     string    `json:"summary"`
	Description string    `json:"description"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Stamp       time.Time `json:"stamp"`
	Alarms      []Alarm   `json:"alarms"`
}

// Debian's Python: the one its python3-icalendar package is built for.
const python = "/usr/bin/python3"

const script = `
import sys, json, icalendar
cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
out = []
for ev in cal.walk('VEVENT'):
    alarms = []
    for a in ev.walk('VALARM'):
        t = a['TRIGGER']
        alarms.append({'trigger': str(t.dt), 'related': t.params.get('RELATED', 'START')})
    out.append({'uid': str(ev['UID']), 'summary': str(ev['SUMMARY']), 'description': str(ev['DESCRIPTION']),
        'start': ev['DTSTART'].dt.isoformat(), 'end': ev['DTEND'].dt.isoformat(), 'stamp': ev['DTSTAMP'].dt.isoformat(), 'alarms': alarms})
print(json.dumps(out))
`

// Parse parses data and returns its events; a calendar the parser
// refuses fails the test with the parser's words, and a missing parser
// fails it with what to install.
func Parse(t testing.TB, data []byte) []Event {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		t.Fatal(Install)
	}
	if err := exec.Command(python, "-c", "import icalendar").Run(); err != nil {
		t.Fatal(Install)
	}
	cmd := exec.Command(python, "-c", script)
	cmd.Stdin = bytes.NewReader(data)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3-icalendar refused the calendar: %v: %s", err, stderr.String())
	}
	var events []Event
	if err := json.Unmarshal(out, &events); err != nil {
		t.Fatalf("ical: %v in %s", err, out)
	}
	return events
}
