package main

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/testutil/ical"
)

const calendarCLIConfig = `database: notifier.db
timezone: Europe/Berlin
policies:
  standard:
    - {name: "30d", before: 30d, channels: [ops]}
    - {name: final, before: 24h, channels: [ops]}
    - {name: overdue, after: 0s, repeat: 24h, channels: [ops]}
channels:
  ops: {type: webhook, url: "%s"}
credentials:
  - {id: dst-cred, name: "DST deadline", owner: team-a, rotation_period: 180d, rotated_at: "2026-04-28T10:00:00+02:00"}
  - {id: sp-api-prod, name: "SP-API production", owner: team-a, rotated_at: "2026-09-20T12:00:00+02:00", lwa: {client_id: amzn1.application-oa2-client.cal1}}
  - {id: team-b-cred, name: "B's", owner: team-b, rotated_at: "2026-08-01T09:00:00+02:00"}
  - {id: zz-hostile, name: %q, owner: team-a, rotated_at: "2026-09-01T09:00:00+02:00"}
`

// TestEndToEndCalendar: notifier calendar prints an iCalendar that
// python3-icalendar parses: an event per deadline (one across the end of
// summer time in Europe/Berlin, at its local hour) and one for the LWA
// credential's old secret, an alarm per stage, a hostile name escaped
// and cut; --owner keeps one owner's; it writes nothing; without a
// database it says so in one line.
func TestEndToEndCalendar(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	hostile := "semi;comma,back\\slash <b>x</b>\u202eevil" + strings.Repeat("A", 1<<20)
	e.writeConfig(fmt.Sprintf(calendarCLIConfig, e.hook.srv.URL+"/hook", hostile))
	const now = "2026-10-01T09:00:00Z"

	_, errs, code := e.at(now, "calendar")
	if code != 1 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, "notifier.db") {
		t.Fatalf("calendar without a database: exit %d, stderr %q; want one line naming it", code, errs)
	}
	e.okAt(now, "tick", "--at", now)
	before := e.fileSums()
	out := e.okAt(now, "calendar")
	sameSums(t, "calendar", before, e.fileSums())
	events := ical.Parse(t, []byte(out))
	if len(events) != 5 {
		t.Fatalf("%d events, want 4 deadlines and 1 old secret:\n%.2000s", len(events), out)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	stamp, _ := time.Parse(time.RFC3339, now)
	found := 0
	for _, ev := range events {
		if !ev.Stamp.Equal(stamp) {
			t.Errorf("%s: DTSTAMP %s, want the wall clock %s", ev.UID, ev.Stamp, stamp)
		}
		switch {
		case ev.UID == "dst-cred-1-deadline@notifier.local":
			found++
			// 180 calendar days after 28 Apr 10:00 CEST: 25 Oct 10:00 CET.
			if want := time.Date(2026, 10, 25, 10, 0, 0, 0, berlin); !ev.End.Equal(want) {
				t.Errorf("dst-cred ends %s, want %s", ev.End, want)
			}
			var got []string
			for _, a := range ev.Alarms {
				got = append(got, a.Trigger)
			}
			if strings.Join(got, "|") != "-30 days, 0:00:00|-1 day, 0:00:00|0:00:00" {
				t.Errorf("dst-cred alarms %q, want one per stage: 30d, 24h before, at the deadline", got)
			}
		case ev.UID == "sp-api-prod-2-old-secret@notifier.local":
			found++
			if want := time.Date(2026, 9, 27, 12, 0, 0, 0, berlin); !ev.End.Equal(want) || ev.Summary != "sp-api-prod: the old client secret stops working" {
				t.Errorf("old secret: %q ends %s, want %s", ev.Summary, ev.End, want)
			}
		case strings.HasPrefix(ev.UID, "zz-hostile-"):
			found++
			if !strings.HasPrefix(ev.Summary, `zz-hostile: rotate semi;comma,back\slash <b>x</b>\u202eevilAAA`) || strings.ContainsRune(ev.Summary, '\u202e') || len(ev.Summary) > 300 {
				t.Errorf("hostile summary %.400q", ev.Summary)
			}
		}
	}
	if found != 3 || len(out) > 64<<10 {
		t.Errorf("found %d of the 3 events looked for; %d bytes", found, len(out))
	}
	if again := e.okAt(now, "calendar"); again != out {
		t.Error("a second run differs: UIDs and DTSTAMP must be stable at one wall clock")
	}
	b := ical.Parse(t, []byte(e.okAt(now, "calendar", "--owner", "team-b")))
	if len(b) != 1 || !strings.HasPrefix(b[0].UID, "team-b-cred-") {
		t.Errorf("--owner team-b: %v", b)
	}
}

// TestEndToEndCalendarFeedOfTheDaemon: `notifier run` serves
// /calendar.ics to a configured token (a feed python3-icalendar parses),
// refuses a wrong one and, after a reload without it, the removed one;
// no token reaches its log.
func TestEndToEndCalendarFeedOfTheDaemon(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	const token = "e2e-calendar-token-0123456789abcdef"
	sum := sha256.Sum256([]byte(token))
	addr := freeAddr(t)
	write := func(tokens string) {
		cfg := fmt.Sprintf(calendarCLIConfig, e.hook.srv.URL+"/hook", "Plain name")
		cfg = strings.Replace(cfg, "policies:", "http:\n  listen: "+addr+"\n  calendar:\n    tokens:\n"+tokens+"policies:", 1)
		e.writeConfig(cfg)
	}
	write(fmt.Sprintf("      - {name: ops, hash: \"sha256:%x\"}\n      - {name: other, hash: \"sha256:%x\"}\n", sum, sha256.Sum256([]byte("another-token"))))
	d := startDaemonEnv(t, e.dir, e.config, append(os.Environ(), testNowEnv+"=2026-10-01T09:00:00Z"))
	d.await(t, "http listening", 60*time.Second)
	feed := "http://" + addr + "/calendar.ics?token="
	// Until the first tick has synced the config, the feed says 503 (a
	// calendar of a database not yet synced would be taken for the truth);
	// then the feed.
	if body := awaitCalendar(t, feed+token); len(ical.Parse(t, []byte(body))) != 5 {
		t.Fatalf("feed:\n%.1000s", body)
	}
	if code, body := httpGet(t, feed+"wrong"); code != http.StatusNotFound || strings.Contains(body, "VEVENT") {
		t.Errorf("wrong token: %d %q", code, body)
	}
	write(fmt.Sprintf("      - {name: other, hash: \"sha256:%x\"}\n", sha256.Sum256([]byte("another-token"))))
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	d.await(t, "config reloaded", 30*time.Second)
	if code, body := httpGet(t, feed+token); code != http.StatusNotFound || strings.Contains(body, "VEVENT") {
		t.Errorf("removed token after reload: %d", code)
	}
	d.terminate(t, 30*time.Second)
	if logs := d.logs(); strings.Contains(logs, token) || !strings.Contains(logs, "calendar: a request without a valid token refused") {
		t.Errorf("the daemon's log holds the token, or does not say it refused one:\n%s", logs)
	}
}
