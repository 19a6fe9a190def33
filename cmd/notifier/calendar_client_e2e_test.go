package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/testutil/ical"
)

// calcurseInstall is what to install when the calendar client is missing.
const calcurseInstall = "calcurse is missing: install Debian's calcurse package (apt-get install calcurse; scripts/test does it)"

// TestEndToEndCalendarImportedByCalcurse: a real calendar client,
// Debian's calcurse, imports the feed `notifier run` serves and the
// calendar `notifier calendar` prints, refuses nothing, and lists every
// deadline and the old secret's end at its local time (one across the end
// of summer time in Europe/Berlin), the deadlines with their alarms.
func TestEndToEndCalendarImportedByCalcurse(t *testing.T) {
	if _, err := exec.LookPath("calcurse"); err != nil {
		t.Fatal(calcurseInstall)
	}
	e := newEnv(t, "2026-06-01")
	const token = "e2e-calcurse-token-0123456789abcdef"
	const now = "2026-10-01T09:00:00Z"
	addr := freeAddr(t)
	cfg := fmt.Sprintf(calendarCLIConfig, e.hook.srv.URL+"/hook", "Plain name")
	e.writeConfig(strings.Replace(cfg, "policies:", fmt.Sprintf("http:\n  listen: %s\n  calendar:\n    tokens: [{name: ops, hash: \"sha256:%x\"}]\npolicies:", addr, sha256.Sum256([]byte(token))), 1))
	d := startDaemonEnv(t, e.dir, e.config, append(os.Environ(), testNowEnv+"="+now))
	d.await(t, "http listening", 60*time.Second)
	served := awaitCalendar(t, "http://"+addr+"/calendar.ics?token="+token)
	d.terminate(t, 30*time.Second)
	printed := e.okAt(now, "calendar")

	// What the client must list: each event of the feed, as python3-icalendar
	// reads it, at its local start and end.
	berlin, _ := time.LoadLocation("Europe/Berlin")
	var want []string
	for _, ev := range ical.Parse(t, []byte(served)) {
		want = append(want, ev.End.Add(-time.Hour).In(berlin).Format("01/02/06 15:04 -> ")+ev.End.In(berlin).Format("15:04 ")+ev.Summary)
	}
	slices.Sort(want)
	if len(want) != 5 || !slices.Contains(want, "10/25/26 09:00 -> 10:00 dst-cred: rotate DST deadline (deadline)") ||
		!slices.Contains(want, "09/27/26 11:00 -> 12:00 sp-api-prod: the old client secret stops working") {
		t.Fatalf("the feed's events: %q", want)
	}
	for _, c := range []struct{ name, ics string }{{"/calendar.ics", served}, {"notifier calendar", printed}} {
		listed, alarms := calcurseImport(t, c.ics)
		if !slices.Equal(listed, want) {
			t.Errorf("%s: calcurse lists\n%s\nwant\n%s", c.name, strings.Join(listed, "\n"), strings.Join(want, "\n"))
		}
		if alarms != 4 {
			t.Errorf("%s: calcurse took %d alarms, want one on each of the 4 deadlines", c.name, alarms)
		}
	}
}

// awaitCalendar is the calendar feed at u once the daemon serves it: until
// the first tick has synced the config it says 503 (polled as a client
// honouring Retry-After would).
func awaitCalendar(t *testing.T, u string) string {
	t.Helper()
	code, body := httpGet(t, u)
	for start := time.Now(); code == http.StatusServiceUnavailable; code, body = httpGet(t, u) {
		if strings.Contains(body, "VEVENT") || time.Since(start) > time.Minute {
			t.Fatalf("before the first sync: %d %q", code, body)
		}
		time.Sleep(20 * time.Millisecond) // polling readiness, as a client's Retry-After
	}
	if code != http.StatusOK {
		t.Fatalf("feed: %d\n%.1000s", code, body)
	}
	return body
}

// calcurseDay is a day's heading in calcurse's list; calcurseApt an
// appointment under it.
var (
	calcurseDay = regexp.MustCompile(`^(\d\d/\d\d/\d\d):$`)
	calcurseApt = regexp.MustCompile(`^ - (\d\d:\d\d -> \d\d:\d\d .*)$`)
)

// calcurseImport imports ics into a fresh calcurse (its data and config in
// a temporary directory, times in Europe/Berlin) and returns what calcurse
// then lists, "MM/DD/YY HH:MM -> HH:MM summary" sorted, and how many
// appointments it keeps an alarm for. It fails the test if calcurse
// refuses or skips anything.
func calcurseImport(t *testing.T, ics string) (listed []string, alarms int) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "feed.ics")
	if err := os.WriteFile(file, []byte(ics), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("calcurse", append([]string{"-D", dir, "-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "TZ=Europe/Berlin", "HOME="+dir)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || stderr.Len() > 0 {
			t.Fatalf("calcurse %s: %v: %s%s", strings.Join(args, " "), err, stderr.String(), out)
		}
		return string(out)
	}
	report := run("-i", file)
	if !strings.Contains(report, "5 apps / 0 events / 0 todos / 0 skipped") {
		t.Fatalf("calcurse's import: %q; want 5 appointments, nothing skipped", report)
	}
	day := ""
	for _, line := range strings.Split(run("--input-datefmt", "4", "-Q", "--from", "2026-01-01", "--days", "730", "--format-apt", " - %S -> %E %m\n"), "\n") {
		if m := calcurseDay.FindStringSubmatch(line); m != nil {
			day = m[1]
		} else if m := calcurseApt.FindStringSubmatch(line); m != nil {
			listed = append(listed, day+" "+m[1])
		} else if strings.TrimSpace(line) != "" {
			t.Errorf("calcurse listed an unexpected line: %q", line)
		}
	}
	slices.Sort(listed)
	apts, err := os.ReadFile(filepath.Join(dir, "apts"))
	if err != nil {
		t.Fatal(err)
	}
	return listed, len(calcurseAlarm.FindAllIndex(apts, -1))
}

// calcurseAlarm is an appointment of calcurse's apts file with its alarm
// flag ("!" before the summary; ">hash" is the note holding the event's
// description).
var calcurseAlarm = regexp.MustCompile(`(?m)^\d\d/\d\d/\d{4} @ \d\d:\d\d -> \d\d/\d\d/\d{4} @ \d\d:\d\d(>[0-9a-f]+)? !`)
