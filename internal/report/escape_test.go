package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
)

func TestEscapeText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "rotating after lunch", "rotating after lunch"},
		{"empty", "", ""},
		{"unicode kept", "Zoë 日本 ✓ ﷺ", "Zoë 日本 ✓ ﷺ"},
		{"an emoji sequence with a joiner kept", "👩\u200d💻", "👩\u200d💻"},
		{"backslashes kept", `C:\keys\x1b`, `C:\keys\x1b`},
		{"the replacement character kept", "a\ufffdb", "a\ufffdb"},
		{"ESC colour", "\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"tab, newline, carriage return", "a\tb\nc\rd", `a\tb\nc\rd`},
		{"NUL, bell, backspace, DEL", "\x00\x07\x08\x7f", `\x00\x07\x08\x7f`},
		{"C1 CSI as a rune", "a\u009b2Jb", `a\u009b2Jb`},
		{"C1 CSI as an invalid byte", "a\x9b2Jb", `a\x9b2Jb`},
		{"invalid UTF-8", "\xff\xfe ok \xc3", `\xff\xfe ok \xc3`},
		{"right-to-left override", "evil\u202etxt.exe", `evil\u202etxt.exe`},
		{"every embedding and override", "\u202a\u202b\u202c\u202d\u202e", `\u202a\u202b\u202c\u202d\u202e`},
		{"every isolate", "\u2066\u2067\u2068\u2069", `\u2066\u2067\u2068\u2069`},
		{"marks", "\u200e\u200f\u061c", `\u200e\u200f\u061c`},
		{"line and paragraph separators", "a\u2028b\u2029c", `a\u2028b\u2029c`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Escape(tt.in); got != tt.want {
				t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCSVCell(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "alice", "alice"},
		{"empty", "", ""},
		{"a time", "2026-11-21T01:00:00Z", "2026-11-21T01:00:00Z"},
		{"a formula", `=HYPERLINK("http://x","y")`, `'=HYPERLINK("http://x","y")`},
		{"plus", "+cmd|' /C calc'!A0", `'+cmd|' /C calc'!A0`},
		{"minus, not a number", "-2+3+cmd|' /C calc'!A0", `'-2+3+cmd|' /C calc'!A0`},
		{"at", "@SUM(A1)", "'@SUM(A1)"},
		{"leading tab, escaped too", "\t=1+1", `'\t=1+1`},
		{"leading carriage return", "\r=1+1", `'\r=1+1`},
		{"a negative number", "-3", "-3"},
		{"a signed decimal", "+1.5", "+1.5"},
		{"an exponent", "-1e5", "-1e5"},
		{"a bare sign", "-", "'-"},
		{"minus infinity is not a plain number", "-Inf", "'-Inf"},
		{"a formula later in the cell", "note: =1+1", "note: =1+1"},
		{"escapes and a formula", "=1+1\x1b[31m\u202e", `'=1+1\x1b[31m\u202e`},
		{"a leading space", " =1+1", " =1+1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CSVCell(tt.in); got != tt.want {
				t.Errorf("CSVCell(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTableCell(t *testing.T) {
	for in, want := range map[string]string{"": "-", "bob": "bob", "b\tob": `b\tob`, "\u202e": `\u202e`} {
		if got := TableCell(in); got != want {
			t.Errorf("TableCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// What each printer writes for hostile names, owners, actors and notes: the
// table and CSV escaped, the JSON exact.
func TestPrintersNeutraliseHostileText(t *testing.T) {
	const hostile = "=cmd\x1b[2J\u202eevil\tx\ny"
	const shown = `=cmd\x1b[2J\u202eevil\tx\ny`
	at := time.Date(2026, 11, 21, 1, 0, 0, 0, time.UTC)
	events := []domain.Event{{Time: at, Type: "ack", CredentialID: "k", Status: "cli", Actor: hostile, Detail: hostile, RecordedAt: at.AddDate(0, 0, 5)}}

	var b bytes.Buffer
	if err := History(&b, "table", events, time.UTC); err != nil {
		t.Fatal(err)
	}
	// The detail's white space folds to spaces first, as before.
	wantRow := "2026-11-21T01:00:00Z  2026-11-26T01:00:00Z  ack   k           -      -        cli     " + shown + "  " + `=cmd\x1b[2J\u202eevil x y` + "\n"
	if lines := strings.SplitAfter(b.String(), "\n"); len(lines) != 3 || lines[1] != wantRow {
		t.Errorf("history table:\n%q\nwant row\n%q", b.String(), wantRow)
	}

	b.Reset()
	if err := History(&b, "csv", events, time.UTC); err != nil {
		t.Fatal(err)
	}
	wantCSV := "time,type,credential,stage,channel,status,actor,detail,recorded_at\n" +
		`2026-11-21T01:00:00Z,ack,k,,,cli,'` + shown + `,'` + shown + ",2026-11-26T01:00:00Z\n"
	if b.String() != wantCSV {
		t.Errorf("history csv:\n%q\nwant\n%q", b.String(), wantCSV)
	}
	if recs, err := csv.NewReader(strings.NewReader(b.String())).ReadAll(); err != nil || len(recs) != 2 {
		t.Errorf("csv does not read back as 2 records: %v %q", err, recs)
	}

	b.Reset()
	if err := History(&b, "json", events, time.UTC); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"detail": "=cmd\u001b[2J`+"\u202e"+`evil\tx\ny"`) {
		t.Errorf("history json is not the exact text:\n%s", b.String())
	}

	b.Reset()
	rows := []engine.CredentialStatus{{ID: "k", Name: hostile, Owner: "\u2066o\u2069", RotatedAt: at, Deadline: at, Stage: "s\x07",
		Acknowledged: true, AcknowledgedBy: "\u202ebob", State: "ok"}}
	if err := Status(&b, "table", rows); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{shown, `\u2066o\u2069`, `s\x07`, `\u202ebob`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("status table lacks %q:\n%s", want, b.String())
		}
	}
	if strings.ContainsAny(b.String(), "\x1b\x07\u202e\u2066") {
		t.Errorf("status table holds a raw control or bidi character:\n%q", b.String())
	}

	b.Reset()
	plan := []engine.Upcoming{{At: at, Credential: "k", Stage: "\u202egats", Channels: []string{"ops"}}}
	if err := Plan(&b, "table", plan); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `\u202egats`) || strings.Contains(b.String(), "\u202e") {
		t.Errorf("plan table:\n%q", b.String())
	}
}
