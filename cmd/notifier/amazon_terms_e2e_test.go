package main

// End-to-end test of Amazon's stated deadline as a change of the cycle's
// terms (issue 16): the binary receives an expiry notification from the
// SQS emulator; the deadline event, status, plan, report and audit_cycles
// all say Amazon's deadline.

import (
	"database/sql"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
)

func TestEndToEndSPAPIStatedDeadlineIsTheCyclesTerms(t *testing.T) {
	s := newSPEnv(t, "")
	// Rotated 2026-06-01: the config's deadline is 2026-11-28; Amazon says
	// the secret expires on 2026-10-20. The test clock is the moment of
	// the receive, no --at.
	s.send(spExpiry("exp-0001", spClient, "2026-10-01T06:00:00.000Z", "2026-10-20T00:00:00.000Z"))
	at := "2026-10-01T12:00:00Z"
	if out, errs, code := s.runWithEnv(append(slices.Clip(s.child), testNowEnv+"="+at), "receive"); code != 0 {
		t.Fatalf("receive: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}

	events := s.history("--type", "deadline")
	wantDetail := "deadline 2026-11-28T00:00:00Z → 2026-10-20T00:00:00Z (amazon, notification exp-0001)"
	if len(events) != 1 || events[0].Detail != wantDetail || events[0].Status != "amazon" || events[0].Credential != "sp-api-prod" {
		t.Errorf("deadline events %+v, want one: %q", events, wantDetail)
	}
	if st := s.status(at)["sp-api-prod"]; st.Deadline != "2026-10-20T00:00:00Z" {
		t.Errorf("status's deadline %q, want Amazon's 2026-10-20T00:00:00Z", st.Deadline)
	}
	if rows := s.plan(at); len(rows) == 0 || rows[0].Deadline != "2026-10-20T00:00:00Z" {
		t.Errorf("plan %+v, want Amazon's deadline", rows)
	}
	var doc struct {
		Cycles []struct{ Credential, Deadline string }
	}
	out := s.ok("report", "--at", at, "--format", "json")
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("report json: %v\n%s", err, out)
	}
	if len(doc.Cycles) != 1 || doc.Cycles[0].Deadline != "2026-10-20T00:00:00Z" {
		t.Errorf("report cycles %+v, want one with Amazon's deadline 2026-10-20T00:00:00Z", doc.Cycles)
	}

	db, err := sql.Open("sqlite3", "file:"+filepath.Join(s.dir, "notifier.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var deadline, source, reference string
	if err := db.QueryRowContext(t.Context(), `SELECT v.deadline, v.deadline_source, t.reference FROM audit_cycles v
		JOIN cycle_terms t ON t.rotation_id = v.rotation_id ORDER BY t.id DESC LIMIT 1`).Scan(&deadline, &source, &reference); err != nil {
		t.Fatal(err)
	}
	if got := deadline + " " + source + " " + reference; got != "2026-10-20T00:00:00Z amazon exp-0001" {
		t.Errorf("audit_cycles' deadline, source and the terms' reference: %q, want 2026-10-20T00:00:00Z amazon exp-0001", got)
	}
}
