package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/report"
	"github.com/notifier-dev/notifier/internal/testutil/pgtest"
)

// recordedNow is the test clock of TestEndToEndRecordedTimes: 2026-12-06,
// five days (less an hour) after the rotation and the acknowledgment it
// enters with --at.
const recordedNow = "2026-12-06T09:00:00Z"

// recordedAtNow checks that a recorded time is the test clock's (which
// runs at the real pace from recordedNow: within the minute).
func recordedAtNow(t *testing.T, what, got string) {
	t.Helper()
	at, err := time.Parse(time.RFC3339, got)
	start, _ := time.Parse(time.RFC3339, recordedNow)
	if err != nil || at.Before(start) || !at.Before(start.Add(time.Minute)) {
		t.Errorf("%s recorded at %q, want the clock's time, %s (within the minute)", what, got, recordedNow)
	}
}

// TestEndToEndRecordedTimes: an acknowledgment and a rotation entered on
// 2026-12-06 with --at 2026-12-01 keep both times: when they happened
// (12-01) and when notifier recorded them (12-06, its clock, never --at);
// history (json, csv, table) shows both, report flags them "recorded 5
// days after the fact" and counts them; on SQLite and PostgreSQL.
func TestEndToEndRecordedTimes(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			e := newEnv(t, "2026-06-01")
			environ := append(os.Environ(), "NOTIFIER_TEST_NOW="+recordedNow)
			if backend == "postgres" {
				pgConfig(t, e.config)
				environ = append(environ, pgPasswordEnv+"="+pgtest.Password)
			}
			ok := func(args ...string) string {
				t.Helper()
				out, errs, code := e.runWithEnv(environ, args...)
				if code != 0 {
					t.Fatalf("notifier %v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errs)
				}
				return out
			}
			ok("ack", "sp-api-prod", "--at", "2026-12-01T09:30:00Z", "--by", "alice")
			ok("rotate", "sp-api-prod", "--at", "2026-12-01T10:00:00Z", "--by", "bob")

			// history json: both times of each.
			var rows []struct {
				Time, Type, Status, Actor string
				RecordedAt                *string `json:"recorded_at"`
			}
			if err := json.Unmarshal([]byte(ok("history", "--format", "json", "--since", "2026-12-01")), &rows); err != nil {
				t.Fatal(err)
			}
			happened := map[string]string{}
			for _, r := range rows {
				if r.RecordedAt == nil {
					t.Fatalf("history json: %s at %s has no recorded_at", r.Type, r.Time)
				}
				recordedAtNow(t, r.Type+" "+r.Status, *r.RecordedAt)
				happened[r.Type+" "+r.Actor] = r.Time
			}
			if happened["ack alice"] != "2026-12-01T09:30:00Z" || happened["rotation bob"] != "2026-12-01T10:00:00Z" {
				t.Errorf("history json: the ack and the rotation happened at %v, want 2026-12-01T09:30:00Z and 2026-12-01T10:00:00Z", happened)
			}

			// history csv: recorded_at is the last column.
			recs, err := csv.NewReader(strings.NewReader(ok("history", "--format", "csv", "--type", "rotation", "--since", "2026-12-01"))).ReadAll()
			if err != nil || len(recs) != 2 || recs[0][len(recs[0])-1] != "recorded_at" || recs[1][0] != "2026-12-01T10:00:00Z" {
				t.Fatalf("history csv: %q, %v; want a header ending in recorded_at and the rotation at 2026-12-01T10:00:00Z", recs, err)
			}
			recordedAtNow(t, "history csv rotation", recs[1][len(recs[1])-1])

			// history table: TIME, then RECORDED.
			lines := strings.Split(strings.TrimSpace(ok("history", "--type", "ack")), "\n")
			if f := strings.Fields(lines[0]); len(lines) != 2 || f[0] != "TIME" || f[1] != "RECORDED" {
				t.Fatalf("history table:\n%s\nwant TIME, RECORDED and one ack", strings.Join(lines, "\n"))
			}
			f := strings.Fields(lines[1])
			if f[0] != "2026-12-01T09:30:00Z" || f[2] != "ack" {
				t.Errorf("history table row %q: want the ack at 2026-12-01T09:30:00Z", lines[1])
			}
			recordedAtNow(t, "history table ack", f[1])

			// report json: the closed cycle's ack and closing rotation, and
			// the new cycle's start, are flagged and counted, with the
			// config's first rotation (2026-06-01, recorded today too).
			var doc struct {
				Summary map[string]int
				Cycles  []struct {
					RotatedAt        string  `json:"rotated_at"`
					RecordedAt       string  `json:"recorded_at"`
					BackDated        *string `json:"back_dated"`
					ClosedAt         *string `json:"closed_at"`
					ClosedRecordedAt *string `json:"closed_recorded_at"`
					ClosedBackDated  *string `json:"closed_back_dated"`
					Acknowledgments  []struct {
						Time, Actor string
						RecordedAt  *string `json:"recorded_at"`
						BackDated   *string `json:"back_dated"`
					}
				}
			}
			if err := json.Unmarshal([]byte(ok("report", "--format", "json")), &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Cycles) != 2 || doc.Summary["back_dated"] != 3 {
				t.Fatalf("report: %d cycles, %d back-dated records; want 2 cycles, 3 back-dated (the config's first rotation, the ack, the rotation)",
					len(doc.Cycles), doc.Summary["back_dated"])
			}
			first, second := doc.Cycles[0], doc.Cycles[1]
			const five = "recorded 5 days after the fact"
			if first.ClosedAt == nil || *first.ClosedAt != "2026-12-01T10:00:00Z" || first.ClosedRecordedAt == nil ||
				first.ClosedBackDated == nil || *first.ClosedBackDated != five {
				t.Errorf("report: the closing rotation at %v, recorded %v, flagged %v; want 2026-12-01T10:00:00Z, today, %q",
					first.ClosedAt, first.ClosedRecordedAt, first.ClosedBackDated, five)
			} else {
				recordedAtNow(t, "report closing rotation", *first.ClosedRecordedAt)
			}
			if len(first.Acknowledgments) != 1 {
				t.Fatalf("report: %d acknowledgments of the first cycle, want 1", len(first.Acknowledgments))
			}
			a := first.Acknowledgments[0]
			if a.Time != "2026-12-01T09:30:00Z" || a.RecordedAt == nil || a.BackDated == nil || *a.BackDated != five {
				t.Errorf("report: the ack at %s, recorded %v, flagged %v; want 2026-12-01T09:30:00Z, today, %q", a.Time, a.RecordedAt, a.BackDated, five)
			} else {
				recordedAtNow(t, "report ack", *a.RecordedAt)
			}
			if second.RotatedAt != "2026-12-01T10:00:00Z" || second.BackDated == nil || *second.BackDated != five {
				t.Errorf("report: the second cycle from %s flagged %v, want from 2026-12-01T10:00:00Z, %q", second.RotatedAt, second.BackDated, five)
			}
			recordedAtNow(t, "report second cycle's rotation", second.RecordedAt)

			// report table and csv: the count and the flags.
			table := ok("report")
			for _, want := range []string{"Back-dated records: 3 (", "ack by alice at 2026-12-01 09:30 UTC " + five, "rotation at 2026-12-01 10:00 UTC " + five} {
				if !strings.Contains(table, want) {
					t.Errorf("report table lacks %q:\n%s", want, table)
				}
			}
			recs, err = csv.NewReader(strings.NewReader(ok("report", "--format", "csv"))).ReadAll()
			// back_dated is the column before retractions, the last.
			flag := len(report.ComplianceCSVColumns()) - 2
			if err != nil || len(recs) != 3 || len(recs[0]) != flag+2 || recs[0][flag] != "back_dated" ||
				recs[1][flag] != "rotation at 2026-06-01T00:00:00Z recorded 189 days after the fact; ack by alice at 2026-12-01T09:30:00Z "+five ||
				recs[2][flag] != "rotation at 2026-12-01T10:00:00Z "+five {
				t.Errorf("report csv: %q, %v; want the flags in back_dated, the column before retractions", recs, err)
			}
		})
	}
}
