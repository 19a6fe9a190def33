package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// A plan streams from the database when the config is as last synced
// (issue 18): same rows in the same order as the plan from the whole
// config, filtered in the query, first row out before the plan ends.

const planFleetConfig = `database: notifier.db
timezone: Europe/Berlin
policies:
  standard:
    - {before: 30d, channels: [ops]}
    - {before: 7d,  channels: [ops]}
    - {before: 24h, channels: [ops]}
    - {after: 0s, repeat: 24h, channels: [ops]}
  short:
    - {before: 3d, channels: [ops]}
    - {after: 0s, repeat: 12h, channels: [ops]}
channels:
  ops: {type: webhook, url: "%s"}
credentials:
  - {id: app-alpha, name: Alpha, owner: team-a, rotated_at: 2026-05-10}
  - {id: app-beta, name: Beta, owner: team-b, rotated_at: 2026-05-20, policy: short}
  - {id: db-gamma, name: Gamma, owner: team-a, rotated_at: 2026-10-01}
  - {id: db-delta, name: Delta, owner: team-b, rotated_at: 2026-06-01}
  - {id: app-epsilon, name: Epsilon, owner: team-a, rotated_at: 2026-05-05, policy: short}
  - {id: db-zeta, name: Zeta, owner: team-b, rotated_at: 2026-10-02, rotation_period: 90d}
%s`

// planFleet is an env with the fleet above synced at 11-01, a stage sent
// for some, one acknowledged, and the plan read at 11-03 (no tick since:
// some reminders are due now).
func planFleet(t *testing.T) *env {
	e := &env{t: t, dir: t.TempDir(), hook: newHook(t)}
	e.config = e.dir + "/config.yaml"
	e.writeConfig(fmt.Sprintf(planFleetConfig, e.hook.srv.URL+"/hook", ""))
	e.okAt("2026-11-01T09:00:00Z", "tick")
	e.okAt("2026-11-01T10:00:00Z", "ack", "app-epsilon", "--by", "tester")
	return e
}

const planNow = "2026-11-03T09:00:00Z"

type planLine struct {
	At         string `json:"at"`
	Credential string `json:"credential"`
	Stage      string `json:"stage"`
	Seq        int    `json:"seq"`
}

func planStreamRows(t *testing.T, out string) []planLine {
	t.Helper()
	var rows []planLine
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("plan -o json: %v\n%s", err, out)
	}
	return rows
}

func TestPlanStreamedEqualsPlanFromConfig(t *testing.T) {
	e := planFleet(t)
	// Retractions: db-gamma's mistaken rotation, and app-epsilon's
	// acknowledgment (its overdue repeats come back).
	e.okAt("2026-11-02T09:00:00Z", "rotate", "db-gamma", "--by", "tester")
	e.okAt("2026-11-02T10:00:00Z", "retract", "rotation", "db-gamma", "--reason", "wrong secret", "--actor", "tester")
	e.okAt("2026-11-02T11:00:00Z", "retract", "ack", "app-epsilon", "--reason", "not on it", "--actor", "tester")
	streamed, errs, code := e.at(planNow, "plan", "-o", "json")
	if code != 0 || strings.Contains(errs, "config changed") {
		t.Fatalf("streamed plan: exit %d, stderr %q", code, errs)
	}
	// The same config with one more line: not as last synced, so plan
	// reads the whole config, says so, and must print the same plan.
	e.writeConfig(fmt.Sprintf(planFleetConfig, e.hook.srv.URL+"/hook", "# edited\n"))
	full, errs, code := e.at(planNow, "plan", "-o", "json")
	if code != 0 || !strings.Contains(errs, "plan: the config changed since the database's last sync") {
		t.Fatalf("plan after an edit: exit %d, stderr %q", code, errs)
	}
	got, want := planStreamRows(t, streamed), planStreamRows(t, full)
	if len(want) < 50 {
		t.Fatalf("the fleet's plan has %d rows; want a varied plan", len(want))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("streamed plan differs from the plan from the config:\nstreamed %v\nconfig   %v", got, want)
	}
	first := map[string]planLine{}
	for _, r := range got {
		if _, ok := first[r.Credential]; !ok {
			first[r.Credential] = r
		}
	}
	if r := first["app-epsilon"]; r.Stage != "overdue" || r.At != "2026-11-03T10:00:00+01:00" {
		t.Errorf("app-epsilon, its acknowledgment retracted: first reminder %+v, want its overdue repeat due now", r)
	}
	if r := first["db-gamma"]; r.Stage != "30d" || r.At != "2027-02-28T00:00:00+01:00" {
		t.Errorf("db-gamma, its rotation of 11-02 retracted: first reminder %+v, want 30d before the deadline of its 10-01 cycle", r)
	}
	// The table is the same rows too, a repeating stage's sends one row
	// (TestPlanTableOneRowPerRepeatingStage checks each row).
	stages := map[string]bool{}
	for _, r := range want {
		stages[r.Credential+" "+r.Stage] = true
	}
	table := e.okAt(planNow, "plan")
	if n := strings.Count(table, "\n"); n != len(stages)+1 {
		t.Fatalf("plan table has %d lines, want %d: a header and one a stage of a credential", n, len(stages)+1)
	}
}

func TestPlanFilters(t *testing.T) {
	e := planFleet(t)
	creds := func(args ...string) []string {
		var ids []string
		for _, r := range planStreamRows(t, e.okAt(planNow, append([]string{"plan", "-o", "json"}, args...)...)) {
			if !slices.Contains(ids, r.Credential) {
				ids = append(ids, r.Credential)
			}
		}
		slices.Sort(ids)
		return ids
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		// app-epsilon is acknowledged and overdue: its policy repeats
		// only until acknowledged, so it has nothing more to send.
		{[]string{"--owner", "team-a"}, []string{"app-alpha", "db-gamma"}},
		{[]string{"--policy", "short"}, []string{"app-beta"}},
		{[]string{"--credential", "app-*"}, []string{"app-alpha", "app-beta"}},
		{[]string{"--credential", "*a"}, []string{"app-alpha", "app-beta", "db-delta", "db-gamma", "db-zeta"}},
		{[]string{"--state", "due"}, []string{"app-alpha", "db-delta"}},
		{[]string{"--state", "ok"}, []string{"app-beta", "db-gamma", "db-zeta"}},
		{[]string{"--state", "overdue"}, nil},
		{[]string{"--due-within", "14d"}, []string{"app-alpha", "app-beta"}},
		{[]string{"--owner", "team-b", "--credential", "db-*", "--due-within", "30d"}, []string{"db-delta"}},
	} {
		if got := creds(tc.args...); !slices.Equal(got, tc.want) {
			t.Errorf("plan %v: credentials %v, want %v", tc.args, got, tc.want)
		}
	}
	all := planStreamRows(t, e.okAt(planNow, "plan", "-o", "json"))
	limited := planStreamRows(t, e.okAt(planNow, "plan", "-o", "json", "--limit", "5"))
	if !slices.Equal(limited, all[:5]) {
		t.Errorf("plan --limit 5 = %v, want the first 5 rows %v", limited, all[:5])
	}
}

func TestPlanJSONLFirstRowBeforeTheEnd(t *testing.T) {
	e := planFleet(t)
	cmd := exec.Command(binary, "--config", e.config, "plan", "-o", "jsonl", "--horizon", "36500d")
	cmd.Dir = e.dir
	cmd.Env = append(os.Environ(), testNowEnv+"="+planNow)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("first line of plan -o jsonl: %v", err)
	}
	var first planLine
	if err := json.Unmarshal([]byte(line), &first); err != nil || first.Credential == "" || first.At == "" {
		t.Fatalf("first line of plan -o jsonl %q: %v", line, err)
	}
}
