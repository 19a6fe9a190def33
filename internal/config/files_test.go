package config

import (
	"slices"
	"strings"
	"testing"
)

const filesMain = `channels:
  console: {type: stdout}
policies:
  standard: [{before: 7d, channels: [console]}]
  gentle: [{before: 1d, channels: [console]}]
credentials:
  - {id: main-one, rotated_at: 2026-06-01}
credential_files: ["credentials.d/*.yaml", "more/extra.yaml"]
`

func TestCredentialFiles(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "config.yaml", filesMain)
	writeFile(t, dir, "credentials.d/a.yaml", "credentials:\n  - {id: a-one, rotated_at: 2026-05-01, policy: gentle}\n  - {id: a-two, rotated_at: 2026-05-02}\n")
	writeFile(t, dir, "credentials.d/b.yaml", "credentials:\n  - {id: b-one, rotated_at: 2026-05-03, rotation_period: 90d}\n")
	writeFile(t, dir, "credentials.d/ignored.txt", "not yaml: [")
	writeFile(t, dir, "more/extra.yaml", "credentials:\n  - {id: extra, name: Extra, rotated_at: 2026-05-04}\n")
	cfg, err := Load(path, At(testNow), envOf(nil))
	if err != nil {
		t.Fatalf("problems:\n%v", err)
	}
	var ids []string
	for _, c := range cfg.Credentials {
		ids = append(ids, c.ID)
	}
	if want := []string{"main-one", "a-one", "a-two", "b-one", "extra"}; !slices.Equal(ids, want) {
		t.Errorf("ids = %v, want %v", ids, want)
	}
	a1, _ := cfg.Credential("a-one")
	b1, _ := cfg.Credential("b-one")
	ex, _ := cfg.Credential("extra")
	if a1.Policy != "gentle" || a1.RotationPeriod != DefaultRotationPeriod || !a1.RotatedAt.Equal(utc("2026-05-01T00:00:00Z")) {
		t.Errorf("a-one = %+v", a1)
	}
	if b1.Policy != "standard" || b1.RotationPeriod.Days != 90 {
		t.Errorf("b-one = %+v", b1)
	}
	if ex.Name != "Extra" {
		t.Errorf("extra = %+v", ex)
	}
}

func TestCredentialFilesProblems(t *testing.T) {
	dir := t.TempDir()
	// A block list, so that the third glob has its own line.
	path := writeFile(t, dir, "config.yaml", strings.Replace(filesMain,
		`credential_files: ["credentials.d/*.yaml", "more/extra.yaml"]`,
		"credential_files:\n  - credentials.d/*.yaml\n  - more/extra.yaml\n  - nothing/*.yaml", 1))
	writeFile(t, dir, "credentials.d/a.yaml", `credentials:
  - {id: a-one, rotated_at: 2026-05-01}
  - id: a-two
    rotated_at: someday
  - {id: main-one, rotated_at: 2026-05-01}
`)
	writeFile(t, dir, "credentials.d/b.yaml", `credentials:
  - {id: a-one, rotated_at: 2026-05-01, policy: missing}
`)
	writeFile(t, dir, "more/extra.yaml", "creds:\n  - {id: x, rotated_at: 2026-05-01}\n")
	_, err := Load(path, At(testNow), envOf(nil))
	ps := problemsOf(t, err)
	want := []string{
		`config.yaml:11: credential_files[2]: "nothing/*.yaml" matches no file`,
		`credentials.d/a.yaml:4: credentials[1].rotated_at: "someday" is not a time (use 2026-06-01, 2026-06-01T09:30 or RFC 3339)`,
		`credentials.d/a.yaml:5: credentials[2].id: "main-one" is already used at config.yaml:7`,
		`credentials.d/b.yaml:2: credentials[0].id: "a-one" is already used at credentials.d/a.yaml:2`,
		`credentials.d/b.yaml:2: credentials[0].policy: policy "missing" is not defined under policies:`,
		`more/extra.yaml:1: creds: unknown key (known: credentials)`,
		`more/extra.yaml:1: credentials: missing: a credential file holds a credentials: list`,
	}
	got := make([]string, len(ps))
	for i, p := range ps {
		got[i] = p.String()
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCredentialFilesOnly(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "config.yaml", "channels:\n  c: {type: stdout}\npolicies:\n  standard: [{before: 1d, channels: [c]}]\ncredential_files: [creds.yaml]\n")
	writeFile(t, dir, "creds.yaml", "credentials:\n  - id: only\n    rotated_at: [2026]\n")
	_, err := Load(path, At(testNow), envOf(nil))
	ps := problemsOf(t, err)
	if want := "creds.yaml:3: credentials[0].rotated_at: must be a single value"; len(ps) != 1 || ps[0].String() != want {
		t.Errorf("problems:\n%v\nwant %s", err, want)
	}
	writeFile(t, dir, "creds.yaml", "credentials:\n  - {id: only, rotated_at: 2026-06-01}\n")
	cfg, err := Load(path, At(testNow), envOf(nil))
	if err != nil || len(cfg.Credentials) != 1 || cfg.Credentials[0].ID != "only" {
		t.Errorf("cfg %+v, err %v", cfg, err)
	}
}

func TestCheckSchedule(t *testing.T) {
	for _, spec := range []string{"@hourly", "@every 15m", "0 9 * * MON-FRI", "*/5 * * * *"} {
		cfg := mustLoad(t, "check_schedule: \""+spec+"\"\n"+minimal, nil)
		if cfg.CheckSchedule != spec {
			t.Errorf("CheckSchedule = %q, want %q", cfg.CheckSchedule, spec)
		}
	}
	if cfg := mustLoad(t, minimal, nil); cfg.CheckSchedule != DefaultCheckSchedule {
		t.Errorf("default CheckSchedule = %q", cfg.CheckSchedule)
	}
	for _, spec := range []string{"hourly", "0 9 * *", "@every", "61 * * * *"} {
		_, err := loadYAML(t, "check_schedule: \""+spec+"\"\n"+minimal, nil)
		ps := problemsOf(t, err)
		if len(ps) != 1 || ps[0].Line != 1 || ps[0].Key != "check_schedule" || !strings.HasPrefix(ps[0].Msg, `"`+spec+`" is not a cron spec`) {
			t.Errorf("%q: problems\n%v", spec, err)
		}
	}
}

// A glob that fails does not shift the next one's line and key.
func TestCredentialFilesGlobProblems(t *testing.T) {
	_, err := loadYAML(t, minimal+"credential_files:\n  - ${CRED_DIR}/*.yaml\n  - nothing/*.yaml\n", nil)
	ps := problemsOf(t, err)
	want := []string{
		"config.yaml:9: credential_files[0]: ${CRED_DIR} is not set in the environment",
		`config.yaml:10: credential_files[1]: "nothing/*.yaml" matches no file`,
	}
	got := make([]string, len(ps))
	for i, p := range ps {
		got[i] = p.String()
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
