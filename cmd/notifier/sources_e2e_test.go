package main

// End-to-end test of rotation dates read from AWS (issue 11): the binary
// reads a Parameter Store parameter and a Secrets Manager secret through
// the real SDK from the in-test AWS JSON server (no emulator of these
// services is reachable here: see internal/testutil/awsjson).

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/testutil/awsjson"
)

func TestEndToEndSources(t *testing.T) {
	awsjson.SetEnv(t)
	srv := awsjson.Start(t)
	const value1, value2 = "erp-VALUE-one+/=", "erp-VALUE-two+/="
	srv.PutParameter("/erp/db", value1, time.Date(2026, 6, 2, 8, 0, 0, 0, time.UTC))
	srv.SetSecret("erp/api", time.Date(2026, 6, 3, 0, 0, 0, 0, time.UTC),
		awsjson.Version{ID: "11111111-aaaa", Created: time.Date(2026, 6, 3, 0, 0, 0, 0, time.UTC), Stages: []string{"AWSCURRENT"}})
	e := newEnv(t, "2026-06-01")
	e.writeCreds(fmt.Sprintf(spAPI, "2026-06-01") + fmt.Sprintf(`  - id: erp-db
    source: {ssm_parameter: /erp/db}
    aws: {region: us-east-2, endpoint: %q}
  - id: erp-api
    rotated_at: 2026-06-01
    source: {secretsmanager_secret: erp/api}
    aws: {endpoint: %q}
`, srv.URL, srv.URL))

	check := e.ok("check", "--at", "2026-06-10")
	for _, line := range []string{
		"sources:     2 credential(s) with rotation dates read from AWS at each sync",
		"erp-db       ssm:/erp/db (us-east-2, endpoint " + srv.URL + "): the current version's date starts the first cycle",
		"erp-api      secretsmanager:erp/api (the SDK's default region, endpoint " + srv.URL + "): rotated_at 2026-06-01 is also set: the later wins",
	} {
		if !strings.Contains(check, line) {
			t.Errorf("check does not say %q:\n%s", line, check)
		}
	}

	e.tick("2026-06-10T00:00:00Z")
	st := e.status("2026-06-10T00:00:00Z")
	if !strings.HasPrefix(st["erp-db"].RotatedAt, "2026-06-02") || !strings.HasPrefix(st["erp-api"].RotatedAt, "2026-06-03") {
		t.Errorf("status rotated_at: erp-db %q, erp-api %q; want the parameter's and the secret's version dates", st["erp-db"].RotatedAt, st["erp-api"].RotatedAt)
	}

	srv.PutParameter("/erp/db", value1, time.Date(2026, 6, 11, 0, 0, 0, 0, time.UTC)) // a policy-only edit
	srv.PutParameter("/erp/db", value2, time.Date(2026, 6, 20, 9, 30, 0, 0, time.UTC))
	e.tick("2026-06-21T00:00:00Z")
	e.tick("2026-06-22T00:00:00Z")
	var rotations []string
	for _, h := range e.history("--credential", "erp-db") {
		if h.Type == "rotation" {
			rotations = append(rotations, h.Status+" "+h.Time)
		}
	}
	if got := strings.Join(rotations, "; "); got != "ssm 2026-06-02T08:00:00Z; ssm 2026-06-20T09:30:00Z" {
		t.Errorf("erp-db's rotations: %s", got)
	}
	if out := e.ok("verify"); !strings.Contains(out, "ok") {
		t.Errorf("verify: %s", out)
	}
	data, err := os.ReadFile(filepath.Join(e.dir, "notifier.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{value1, value2, "VALUE-"} {
		if bytes.Contains(data, []byte(v)) {
			t.Errorf("the database holds %q", v)
		}
	}
}
