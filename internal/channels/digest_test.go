package channels_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
)

// sampleDigest is a digest of n due credentials, one overdue and one
// acknowledged, in Europe/Berlin.
func sampleDigest(t testing.TB, n int) *channels.Digest {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, loc)
	d := &channels.Digest{Channel: "ops", At: at, DueWithin: 14, Sections: []channels.DigestSection{
		{Key: "overdue", Title: "Overdue", Rows: []channels.DigestRow{{
			Credential: "sp-api-prod", Name: `<script>alert("x")</script>`, Owner: "a&b",
			Deadline: at.AddDate(0, 0, -3), Overdue: true, DaysOverdue: 3, Stage: "overdue", Failed: 2,
		}}},
		{Key: "due", Title: "Due within 14 days"},
		{Key: "acknowledged", Title: "Acknowledged", Rows: []channels.DigestRow{{
			Credential: "db-main", Name: "Main DB", Owner: "dba", Deadline: at.AddDate(0, 0, 5),
			DaysRemaining: 5, Stage: "7d", AckedBy: "alice", AckedAt: at.Add(-time.Hour),
		}}},
	}}
	for i := range n {
		d.Sections[1].Rows = append(d.Sections[1].Rows, channels.DigestRow{
			Credential: fmt.Sprintf("cred-%06d", i), Name: fmt.Sprintf("Credential %d", i), Owner: "team",
			Deadline: at.AddDate(0, 0, 1+i%14), DaysRemaining: 1 + i%14, Stage: "14d",
		})
	}
	return d
}

func TestDigestHTMLEscapesAndListsEveryRow(t *testing.T) {
	d := sampleDigest(t, 3)
	html, err := d.HTML()
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>", `alert("x")`} {
		if strings.Contains(html, bad) {
			t.Errorf("HTML holds %q unescaped", bad)
		}
	}
	for _, want := range []string{
		"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", "a&amp;b",
		"<h3>Overdue (1)</h3>", "<h3>Due within 14 days (3)</h3>", "<h3>Acknowledged (1)</h3>",
		"overdue by 3 days; 2 failed", "Fri 4 Dec 2026 09:00 CET", "by alice at Mon 7 Dec 2026 08:00 CET",
		"<code>cred-000002</code>", "1 overdue, 3 due within 14 days, 1 acknowledged",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if got := strings.Count(html, "<tr><td>"); got != 5 {
		t.Errorf("HTML has %d rows, want 5", got)
	}
}

func TestDigestText(t *testing.T) {
	d := sampleDigest(t, 1)
	want := `Credential digest for Mon 7 Dec 2026 09:00 CET: 1 overdue, 1 due within 14 days, 1 acknowledged.

Overdue (1)
- sp-api-prod (<script>alert("x")</script>, a&b): overdue by 3 days, deadline Fri 4 Dec 2026 09:00 CET, stage overdue, 2 failed deliveries

Due within 14 days (1)
- cred-000000 (Credential 0, team): 1 day remaining, deadline Tue 8 Dec 2026 09:00 CET, stage 14d

Acknowledged (1)
- db-main (Main DB, dba): 5 days remaining, deadline Sat 12 Dec 2026 09:00 CET, stage 7d, acknowledged by alice at Mon 7 Dec 2026 08:00 CET
`
	if got := d.Text(); got != want {
		t.Errorf("Text:\n%s\nwant:\n%s", got, want)
	}
	if got, want := d.Subject(), "notifier digest Mon 7 Dec 2026: 1 overdue, 1 due within 14 days, 1 acknowledged"; got != want {
		t.Errorf("Subject = %q, want %q", got, want)
	}
	empty := &channels.Digest{At: d.At, DueWithin: 14}
	if got, want := empty.Subject(), "notifier digest Mon 7 Dec 2026: nothing due within 14 days"; got != want {
		t.Errorf("empty Subject = %q, want %q", got, want)
	}
}

func TestDigestTextWithinCutsAtARowAndCounts(t *testing.T) {
	d := sampleDigest(t, 10000)
	full := d.Text()
	cut := d.TextWithin(250 * 1024)
	if len(full) <= 250*1024 {
		t.Fatalf("the sample is %d bytes, too small to be cut", len(full))
	}
	if len(cut) > 250*1024 {
		t.Errorf("cut text is %d bytes, more than %d", len(cut), 250*1024)
	}
	shown := strings.Count(cut, "\n- ")
	var more int
	if _, err := fmt.Sscanf(cut[strings.LastIndex(cut, "… and ")+len("… and "):], "%d more", &more); err != nil {
		t.Fatalf("cut text does not end with … and N more: %q", cut[len(cut)-100:])
	}
	if shown+more != d.Total() {
		t.Errorf("cut text shows %d rows and says %d more, want %d in all", shown, more, d.Total())
	}
	if small := sampleDigest(t, 2); small.TextWithin(250*1024) != small.Text() {
		t.Error("a small digest was cut")
	}
}

func TestDigestPayload(t *testing.T) {
	d := sampleDigest(t, 2)
	b, err := json.Marshal(channels.NewPayload(channels.DigestMessage(d)))
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Stage  string `json:"stage"`
		Digest struct {
			At       string `json:"at"`
			Total    int    `json:"total"`
			Sections []struct {
				Key  string `json:"key"`
				Rows []struct {
					Credential string `json:"credential"`
					AckedBy    string `json:"acknowledged_by"`
				} `json:"rows"`
			} `json:"sections"`
		} `json:"digest"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	if p.Stage != "digest" || p.Digest.At != "2026-12-07T09:00:00+01:00" || p.Digest.Total != 4 || len(p.Digest.Sections) != 3 {
		t.Fatalf("payload = %s", b)
	}
	if s := p.Digest.Sections[2]; s.Key != "acknowledged" || s.Rows[0].AckedBy != "alice" {
		t.Errorf("acknowledged section = %+v", s)
	}
}

// BenchmarkDigest100k renders a digest of 100,000 credentials as HTML and
// text, as an email carries it.
func BenchmarkDigest100k(b *testing.B) {
	d := sampleDigest(b, 100000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.HTML(); err != nil {
			b.Fatal(err)
		}
		_ = d.Text()
	}
}
