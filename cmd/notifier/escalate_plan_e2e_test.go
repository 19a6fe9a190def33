package main

// End-to-end: plan shows the escalation that is coming (what, when,
// where), and the tick at that moment sends exactly it.

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestEndToEndPlanListsThePendingEscalation(t *testing.T) {
	tests := []struct {
		name string
		ack  []string // recorded at 10:00, after the 7d reminder went out at 09:00
		want string   // the escalation plan lists at 10:30, and the lead receives at 13:00; "" none
	}{
		{"nobody answered", nil, "2026-11-21T13:00:00Z 7d/escalate-1 lead"},
		{"snoozed until 12:00", []string{"--until", "2026-11-21T12:00:00Z"}, "2026-11-21T13:00:00Z 7d/escalate-1 lead"},
		{"acknowledged", []string{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEscalateEnv(t)
			if ops, _, _ := e.tickAll("2026-11-21T09:00:00Z"); len(ops) != 1 {
				t.Fatalf("at 09:00 ops got %v, want the 7d stage", stages(ops))
			}
			if tt.ack != nil {
				e.okAt("2026-11-21T10:00:00Z", append([]string{"ack", "sp-api-prod", "--by", "alice", "--at", "2026-11-21T10:00:00Z"}, tt.ack...)...)
			}
			var rows []struct {
				At       string   `json:"at"`
				Stage    string   `json:"stage"`
				Channels []string `json:"channels"`
			}
			out := e.okAt("2026-11-21T10:30:00Z", "plan", "--at", "2026-11-21T10:30:00Z", "--horizon", "1d", "-o", "json")
			if err := json.Unmarshal([]byte(out), &rows); err != nil {
				t.Fatalf("plan json: %v\n%s", err, out)
			}
			var got []string
			for _, r := range rows {
				if strings.Contains(r.Stage, "/escalate-") {
					got = append(got, r.At+" "+r.Stage+" "+strings.Join(r.Channels, ","))
				}
			}
			if want := []string{tt.want}; tt.want == "" && len(got) != 0 || tt.want != "" && strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("plan at 10:30 lists escalations %q, want %q", got, tt.want)
			}
			table := e.okAt("2026-11-21T10:30:00Z", "plan", "--at", "2026-11-21T10:30:00Z", "--horizon", "1d")
			if strings.Contains(table, "7d/escalate-1") != (tt.want != "") {
				t.Errorf("plan's table at 10:30, want the escalation listed %v:\n%s", tt.want != "", table)
			}
			// The tick at the moment plan said sends exactly it.
			ops, lead, cto := e.tickAll("2026-11-21T13:00:00Z")
			var sent []string
			for _, p := range lead {
				sent = append(sent, "2026-11-21T13:00:00Z "+p.Stage+" lead")
			}
			if len(ops)+len(cto) != 0 || strings.Join(sent, "|") != tt.want {
				t.Errorf("tick at 13:00: ops %v, lead %v, cto %v; want %q", stages(ops), sent, stages(cto), tt.want)
			}
		})
	}
}
