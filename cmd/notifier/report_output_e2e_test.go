package main

import "testing"

// TestEndToEndReportOutputFlag: -o/--output selects the report's format,
// byte for byte what the older --format (kept, hidden) prints, in every
// format; a format the report has not is refused naming the flag given.
func TestEndToEndReportOutputFlag(t *testing.T) {
	e := seedAudit(t)
	at := "2026-07-10T00:00:00Z"
	for _, format := range reportFormats {
		t.Run(format, func(t *testing.T) {
			want := e.ok("report", "--at", at, "--format", format)
			for _, flag := range []string{"-o", "--output"} {
				if got := e.ok("report", "--at", at, flag, format); got != want {
					t.Errorf("report %s %s differs from --format %s:\n%s\nwant:\n%s", flag, format, format, got, want)
				}
			}
			if len(want) < 200 {
				t.Errorf("report --format %s printed %d bytes: %q", format, len(want), want)
			}
		})
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "-o", "xml"}, `--output: "xml" is not one of table, json, csv, html`},
		{[]string{"report", "--output", "jsonl"}, `--output: "jsonl" is not one of table, json, csv, html`},
		{[]string{"report", "--format", "xml"}, `--format: "xml" is not one of table, json, csv, html`},
	} {
		out, errs, code := e.run(tc.args...)
		refused(t, tc.args, out, errs, code, tc.want)
	}
}
