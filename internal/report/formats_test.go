package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// The report's table and CSV neutralise hostile names, owners and actors
// as the other outputs do; the HTML escapes them as markup; JSON keeps them.
func TestReportNeutralisesHostileText(t *testing.T) {
	const hostile = "=cmd\x1b[2J\u202eevil\tx\ny"
	const shown = `=cmd\x1b[2J\u202eevil\tx\ny`
	by := "@" + hostile
	row := Cycle{Credential: "k", Name: hostile, Owner: "<script>alert(1)</script>", RotatedAt: "2026-01-01T00:00:00Z",
		Deadline: "2026-06-30T00:00:00Z", ClosedAt: &row0, RotatedBy: &by, RotationSource: &row0src, Outcome: domain.OutcomeOnTime,
		Reminders:       []Reminder{{Time: "2026-06-01T00:00:00Z", Stage: "30d", Channel: "ops\u2066", Status: "sent"}},
		Acknowledgments: []Ack{{Time: "2026-06-02T00:00:00Z", Actor: hostile, Source: "cli"}}}
	h := Header{At: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), Loc: time.UTC, Database: "x.db"}
	render := func(format string) string {
		var b bytes.Buffer
		w, err := NewComplianceWriter(format, &b, h)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if err := w.Cycle(row); err != nil {
			t.Fatal(err)
		}
		if err := w.Finish(Summary{Credentials: 1, Cycles: 1, OnTime: 1}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}

	out := render("csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("csv: %v %q", err, out)
	}
	if recs[1][1] != "'"+shown || recs[1][6] != "'@"+shown || recs[1][13] != `ops\u2066` || recs[1][15] != "'"+shown+" via cli at 2026-06-02T00:00:00Z" {
		t.Errorf("csv cells not neutralised: %q", recs[1])
	}
	table := render("table")
	if !strings.Contains(table, `@=cmd\x1b[2J\u202eevil\tx\ny`) {
		t.Errorf("table lacks the escaped actor:\n%s", table)
	}
	for name, s := range map[string]string{"csv": out, "table": table} {
		if strings.ContainsAny(s, "\x1b\u202e\u2066") {
			t.Errorf("%s holds a raw control or bidi character:\n%q", name, s)
		}
	}
	html := render("html")
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("html does not escape the owner:\n%s", html)
	}
	if !strings.Contains(html, shown) || strings.ContainsAny(html, "\x1b\u202e\u2066") {
		t.Errorf("html holds a raw control or bidi character, or lacks the escaped name:\n%q", html)
	}
	if js := render("json"); !strings.Contains(js, `"name": "=cmd\u001b[2J`+"\u202e"+`evil\tx\ny"`) {
		t.Errorf("json is not the exact text:\n%s", js)
	}
}

var (
	row0    = "2026-06-10T00:00:00Z"
	row0src = "cli"
)
