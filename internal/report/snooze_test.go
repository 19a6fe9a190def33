package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// status says a snooze in force: the table's ACK "snoozed by alice until
// Thu 10 Dec 09:00 CET", JSON's snoozed_until.
func TestStatusSnoozed(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	until := time.Date(2026, 12, 10, 9, 0, 0, 0, cet)
	r := statusRow("alpha", "Alpha")
	r.Acknowledged, r.AcknowledgedBy, r.SnoozedUntil = true, "alice", &until
	var table bytes.Buffer
	s := NewStatusStream(&table, "table", 0)
	if err := s.Add(r); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if want := "snoozed by alice until Thu 10 Dec 09:00 CET"; !strings.Contains(table.String(), want) {
		t.Errorf("table lacks %q:\n%s", want, table.String())
	}
	var js bytes.Buffer
	s = NewStatusStream(&js, "json", 0)
	if err := s.Add(r); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(js.Bytes(), &rows); err != nil {
		t.Fatalf("json: %v\n%s", err, js.String())
	}
	if len(rows) != 1 || rows[0]["snoozed_until"] != "2026-12-10T09:00:00+01:00" || rows[0]["acknowledged_by"] != "alice" {
		t.Errorf("json rows: %v", rows)
	}
}
