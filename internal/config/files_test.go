package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/schedule"
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
	cfg, err := Load(path, At(testNow), envOf(nil), registry.Default())
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
	_, err := Load(path, At(testNow), envOf(nil), registry.Default())
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
	_, err := Load(path, At(testNow), envOf(nil), registry.Default())
	ps := problemsOf(t, err)
	if want := "creds.yaml:3: credentials[0].rotated_at: must be a single value"; len(ps) != 1 || ps[0].String() != want {
		t.Errorf("problems:\n%v\nwant %s", err, want)
	}
	writeFile(t, dir, "creds.yaml", "credentials:\n  - {id: only, rotated_at: 2026-06-01}\n")
	cfg, err := Load(path, At(testNow), envOf(nil), registry.Default())
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
		"config.yaml:9: credential_files[0]: ${CRED_DIR}: ${NAME} is for secrets only (tokens, passwords, keys, secret URLs and headers, the database URL), and this value would be stored and shown: write it into the file",
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

// LoadMain reads the config file alone: its own credentials, and the
// files its globs match, absolute, sorted within each glob, each once.
func TestLoadMain(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "config.yaml", strings.Replace(filesMain,
		`credential_files: ["credentials.d/*.yaml", "more/extra.yaml"]`,
		`credential_files: ["more/*.yaml", "./credentials.d/../credentials.d/*.yaml", "more/extra.yaml"]`, 1))
	for _, name := range []string{"credentials.d/b.yaml", "credentials.d/a.yaml", "more/extra.yaml", "more/a-first.yaml"} {
		// Not one of them is valid: LoadMain must not read them.
		writeFile(t, dir, name, "credentials: [{id: BAD}]\n")
	}
	cfg, err := LoadMain(path, At(testNow), envOf(nil), registry.Default())
	if err != nil {
		t.Fatalf("problems:\n%v", err)
	}
	want := []string{
		filepath.Join(dir, "more/a-first.yaml"),
		filepath.Join(dir, "more/extra.yaml"),
		filepath.Join(dir, "credentials.d/a.yaml"),
		filepath.Join(dir, "credentials.d/b.yaml"),
	}
	if !slices.Equal(cfg.Files, want) {
		t.Errorf("Files =\n%q\nwant\n%q", cfg.Files, want)
	}
	if cfg.Dir != dir {
		t.Errorf("Dir = %q, want %q", cfg.Dir, dir)
	}
	if len(cfg.Credentials) != 1 || cfg.Credentials[0].ID != "main-one" || cfg.Credentials[0].File != "config.yaml" || cfg.Credentials[0].Line != 7 {
		t.Errorf("Credentials = %+v, want main-one at config.yaml:7", cfg.Credentials)
	}
	if c, ok := cfg.Credential("main-one"); !ok || c.ID != "main-one" {
		t.Errorf("Credential(main-one) = %+v, %v", c, ok)
	}
	data, _ := os.ReadFile(path)
	sum := sha256.Sum256(data)
	if m := cfg.Main; m.Path != "config.yaml" || m.Size != int64(len(data)) || m.ModTime.IsZero() || m.Hash != hex.EncodeToString(sum[:]) {
		t.Errorf("Main = %+v", m)
	}
}

// LoadMain reports every problem of the config file, and only those.
func TestLoadMainProblems(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "creds.yaml", "credentials: [{id: BAD}]\n")
	path := writeFile(t, dir, "config.yaml", `channels:
  console: {type: stdout}
policies:
  standard: [{before: 7d, channels: [console]}]
credentials:
  - {id: one, rotated_at: 2026-06-01}
  - {id: one, rotated_at: 2026-06-01, policy: gentle}
credential_files:
  - creds.yaml
  - none/*.yaml
  - secret-dir/*.yaml
`)
	_, err := LoadMain(path, At(testNow), envOf(nil), registry.Default())
	want := []string{
		`config.yaml:7: credentials[1].id: "one" is already used at config.yaml:6`,
		`config.yaml:7: credentials[1].policy: policy "gentle" is not defined under policies:`,
		`config.yaml:10: credential_files[1]: "none/*.yaml" matches no file`,
		`config.yaml:11: credential_files[2]: "secret-dir/*.yaml" matches no file`,
	}
	if got := problemStrings(err); !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// ReadCredentialFile checks one file against the config: within the file
// only for duplicate ids, with the clock of the moment it is called.
func TestReadCredentialFile(t *testing.T) {
	dir := t.TempDir()
	now := testNow
	clock := func(*time.Location) time.Time { return now }
	path := writeFile(t, dir, "config.yaml", filesMain)
	writeFile(t, dir, "more/extra.yaml", "credentials: [{id: extra, rotated_at: 2026-05-01}]\n")
	body := "credentials:\n  - {id: main-one, rotated_at: 2026-06-01, policy: gentle}\n  - {id: two, name: Two, rotated_at: 2026-06-01T09:30, rotation_period: 90d}\n"
	file := writeFile(t, dir, "credentials.d/a.yaml", body)
	cfg, err := LoadMain(path, clock, envOf(nil), registry.Default())
	if err != nil {
		t.Fatal(err)
	}

	creds, cf, err := cfg.ReadCredentialFile("credentials.d/a.yaml") // relative to the config's folder
	if err != nil {
		t.Fatal(err) // main-one is in config.yaml too: that is Load's to find
	}
	want := []Credential{
		{ID: "main-one", Name: "main-one", RotatedAt: utc("2026-06-01T00:00:00Z"), RotationPeriod: DefaultRotationPeriod, Policy: "gentle", File: "credentials.d/a.yaml", Line: 2},
		{ID: "two", Name: "Two", RotatedAt: utc("2026-06-01T09:30:00Z"), RotationPeriod: schedule.Span{Days: 90}, Policy: "standard", File: "credentials.d/a.yaml", Line: 3},
	}
	if len(creds) != len(want) {
		t.Fatalf("credentials = %+v", creds)
	}
	for i := range want {
		if !creds[i].RotatedAt.Equal(want[i].RotatedAt) {
			t.Errorf("credential %d rotated_at %v, want %v", i, creds[i].RotatedAt, want[i].RotatedAt)
		}
		creds[i].RotatedAt = want[i].RotatedAt
		if creds[i] != want[i] {
			t.Errorf("credential %d =\n%+v\nwant\n%+v", i, creds[i], want[i])
		}
	}
	sum := sha256.Sum256([]byte(body))
	st, err := StatConfigFile(dir, file)
	if err != nil {
		t.Fatal(err)
	}
	if cf.Path != "credentials.d/a.yaml" || cf.Size != int64(len(body)) || cf.Hash != hex.EncodeToString(sum[:]) || !cf.Unchanged(st) || st.Hash != "" {
		t.Errorf("ConfigFile = %+v, stat %+v", cf, st)
	}

	// The clock is asked at each call: the same file, read before its
	// rotations happened.
	now = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	_, _, err = cfg.ReadCredentialFile(file)
	if got, want := problemStrings(err), []string{"credentials.d/a.yaml:3: credentials[1].rotated_at: 2026-06-01T09:30:00Z is in the future (now is 2026-06-01T09:00:00Z)"}; !slices.Equal(got, want) {
		t.Errorf("problems %q, want %q", got, want)
	}
	now = testNow

	tests := []struct {
		name, body string
		want       []string
	}{
		{"duplicate within the file", "credentials:\n  - {id: x, rotated_at: 2026-06-01}\n  - {id: x, rotated_at: 2026-06-01, policy: nope}\n", []string{
			`credentials.d/a.yaml:3: credentials[1].id: "x" is already used at credentials.d/a.yaml:2`,
			`credentials.d/a.yaml:3: credentials[1].policy: policy "nope" is not defined under policies:`,
		}},
		{"not a credential file", "creds: []\n", []string{
			"credentials.d/a.yaml:1: creds: unknown key (known: credentials)",
			"credentials.d/a.yaml:1: credentials: missing: a credential file holds a credentials: list",
		}},
		{"empty", "", []string{"credentials.d/a.yaml: the file is empty"}},
	}
	for _, tt := range tests {
		writeFile(t, dir, "credentials.d/a.yaml", tt.body)
		creds, cf, err := cfg.ReadCredentialFile(file)
		if got := problemStrings(err); creds != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%s: credentials %v, problems:\n%s\nwant:\n%s", tt.name, creds, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
		}
		if cf.Size != int64(len(tt.body)) || cf.Hash == "" { // known, so that a broken file is not read again until it changes
			t.Errorf("%s: ConfigFile %+v", tt.name, cf)
		}
	}

	// A file that went away says so to errors.Is.
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cfg.ReadCredentialFile(file); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want one that is fs.ErrNotExist", err)
	}
	if _, err := StatConfigFile(dir, file); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stat err = %v, want one that is fs.ErrNotExist", err)
	}
}

// Credentials that rely on a default policy that is not defined: Load says
// so once, at the config; ReadCredentialFile, which LoadMain could not
// warn, once for the file.
func TestDefaultPolicyMissingInFiles(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "config.yaml", "channels:\n  c: {type: stdout}\npolicies:\n  gentle: [{before: 1d, channels: [c]}]\ncredential_files: [creds.yaml]\n")
	writeFile(t, dir, "creds.yaml", "credentials:\n  - {id: a, rotated_at: 2026-06-01, policy: gentle}\n  - {id: b, rotated_at: 2026-06-01}\n  - {id: c, rotated_at: 2026-06-01}\n")
	_, err := Load(path, At(testNow), envOf(nil), registry.Default())
	if got, want := problemStrings(err), []string{`config.yaml: policies: no policy named "standard", the default for credentials without policy: (define it, or set defaults.policy)`}; !slices.Equal(got, want) {
		t.Errorf("Load: problems %q, want %q", got, want)
	}
	cfg, err := LoadMain(path, At(testNow), envOf(nil), registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = cfg.ReadCredentialFile("creds.yaml")
	if got, want := problemStrings(err), []string{`creds.yaml:3: credentials[1].policy: missing, and the default "standard" is not defined under policies: (define it, give a policy:, or set defaults.policy)`}; !slices.Equal(got, want) {
		t.Errorf("ReadCredentialFile: problems %q, want %q", got, want)
	}
}

// Load gives every credential its file and the line of its id.
func TestLoadCredentialPlaces(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "config.yaml", filesMain)
	writeFile(t, dir, "credentials.d/a.yaml", "credentials:\n  - {id: a-one, rotated_at: 2026-05-01}\n  - name: A two\n    id: a-two\n    rotated_at: 2026-05-01\n")
	writeFile(t, dir, "more/extra.yaml", "# extra\ncredentials:\n  - {id: extra, rotated_at: 2026-05-04}\n")
	cfg, err := Load(path, At(testNow), envOf(nil), registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cfg.Credentials {
		got = append(got, fmt.Sprintf("%s@%s:%d", c.ID, c.File, c.Line))
	}
	if want := []string{"main-one@config.yaml:7", "a-one@credentials.d/a.yaml:2", "a-two@credentials.d/a.yaml:4", "extra@more/extra.yaml:3"}; !slices.Equal(got, want) {
		t.Errorf("places %q, want %q", got, want)
	}
	if want := 3; len(cfg.Files) != 2 || len(cfg.Sources) != want {
		t.Errorf("Files %q, Sources %q", cfg.Files, cfg.Sources)
	}
}

// isSlug accepts exactly what slugRE does.
func TestIsSlug(t *testing.T) {
	for _, s := range []string{"", "a", "0", "-a", "_a", "a-b_c9", "A", "a b", "a.b", "é", "a\n", strings.Repeat("a", 64), strings.Repeat("a", 65)} {
		if got, want := isSlug(s), slugRE.MatchString(s); got != want {
			t.Errorf("isSlug(%q) = %v, slugRE says %v", s, got, want)
		}
	}
}
