package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/notifier-dev/notifier/internal/engine"
)

// A plan a person reads at fleet scale (issue 18): in the table a
// repeating stage is one row at its first send, with how many repeats
// follow within the horizon; json keeps one object a send; the table fits
// $COLUMNS.

// planTableFromJSON is the table plan should print for these sends: the
// first send of each stage of each credential, the rest counted.
func planTableFromJSON(t *testing.T, sends []engine.Upcoming, every map[string]string) []string {
	t.Helper()
	type key struct{ cred, stage string }
	count := map[key]int{}
	for _, s := range sends {
		count[key{s.Credential, s.Stage}]++
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[key]bool{}
	var lines []string
	for _, s := range sends {
		k := key{s.Credential, s.Stage}
		if seen[k] {
			continue
		}
		seen[k] = true
		if count[k] >= 1+30 {
			t.Fatalf("%v: %d sends, as many as plan lists (30 repeats), maybe cut: shorten the horizon", k, count[k])
		}
		stage := s.Stage
		if s.Seq > 0 {
			stage += fmt.Sprintf(" #%d", s.Seq)
		}
		f := []string{s.At.In(berlin).Format("2006-01-02 15:04 MST"), s.Credential, stage, fmt.Sprint(s.DaysRemaining), strings.Join(s.Channels, ",")}
		if n := count[k] - 1; n > 0 {
			f = append(f, fmt.Sprintf("%d more, every %s until acknowledged", n, every[s.Credential]))
		}
		lines = append(lines, strings.Join(strings.Fields(strings.Join(f, " ")), " "))
	}
	return lines
}

func TestPlanTableOneRowPerRepeatingStage(t *testing.T) {
	e := planFleet(t)
	every := map[string]string{"app-alpha": "24h", "db-gamma": "24h", "db-delta": "24h", "db-zeta": "24h", "app-beta": "12h", "app-epsilon": "12h"}
	wide := append(os.Environ(), testNowEnv+"="+planNow, "COLUMNS=1000")
	for _, horizon := range []string{"20d", "25d"} {
		var sends []engine.Upcoming
		out := e.okAt(planNow, "plan", "-o", "json", "--horizon", horizon)
		if err := json.Unmarshal([]byte(out), &sends); err != nil {
			t.Fatalf("plan -o json: %v", err)
		}
		want := planTableFromJSON(t, sends, every)
		table, errs, code := e.runWithEnv(wide, "plan", "--horizon", horizon)
		if code != 0 {
			t.Fatalf("plan --horizon %s: exit %d, %s", horizon, code, errs)
		}
		lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
		if got := strings.Join(strings.Fields(lines[0]), " "); got != "AT CREDENTIAL STAGE DAYS CHANNELS THEN" {
			t.Errorf("plan --horizon %s: header %q", horizon, got)
		}
		var got []string
		for _, l := range lines[1:] {
			got = append(got, strings.Join(strings.Fields(l), " "))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("plan --horizon %s table:\n%s\nwant (from -o json):\n%s", horizon, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if len(want) >= len(sends) {
			t.Errorf("plan --horizon %s: %d table rows for %d sends; want repeats folded", horizon, len(want), len(sends))
		}
	}
	// One credential by name: app-beta (deadline 11-16, policy short) has
	// its 3d notice, then its overdue stage every 12h to the horizon's end
	// (11-23 10:00): 14 repeats after the first.
	table, _, _ := e.runWithEnv(wide, "plan", "--horizon", "20d", "--credential", "app-beta")
	want := "AT CREDENTIAL STAGE DAYS CHANNELS THEN\n" +
		"2026-11-13 00:00 CET app-beta 3d 3 ops\n" +
		"2026-11-16 00:00 CET app-beta overdue 0 ops 14 more, every 12h until acknowledged"
	var got []string
	for _, l := range strings.Split(strings.TrimSuffix(table, "\n"), "\n") {
		got = append(got, strings.Join(strings.Fields(l), " "))
	}
	if strings.Join(got, "\n") != want {
		t.Errorf("plan app-beta:\n%s\nwant\n%s", strings.Join(got, "\n"), want)
	}
}

func TestPlanTableFitsColumns(t *testing.T) {
	e := planFleet(t)
	// 70: the fixed columns (time, stage, days) and the others cut to 8.
	for _, width := range []int{70, 80} {
		out, errs, code := e.runWithEnv(append(os.Environ(), testNowEnv+"="+planNow, fmt.Sprintf("COLUMNS=%d", width)), "plan")
		if code != 0 {
			t.Fatalf("plan: exit %d, %s", code, errs)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		for _, l := range lines {
			if n := utf8.RuneCountInString(l); n > width {
				t.Errorf("COLUMNS=%d: line of %d characters: %q", width, n, l)
			}
		}
		// The count of repeats comes first: a cut keeps it.
		if !regexp.MustCompile(`  \d+ more`).MatchString(out) {
			t.Errorf("COLUMNS=%d: no repeat count in\n%s", width, out)
		}
	}
}
