package config

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/channels/registry"
)

// unitSetting is the value of key= in the systemd unit at path.
func unitSetting(t *testing.T, path, key string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+"="); ok {
			return v
		}
	}
	t.Fatalf("%s has no %s=", path, key)
	return ""
}

// TestUnitAndExampleAgreeOnTheDatabase: the example config, installed as
// the unit's config (read-only /etc/notifier), puts its database in the
// unit's state directory, which systemd hands the service as
// STATE_DIRECTORY; run by hand (no STATE_DIRECTORY) it stays beside the
// config, as the quick start says.
func TestUnitAndExampleAgreeOnTheDatabase(t *testing.T) {
	unit := "../../deploy/notifier.service"
	state := filepath.Join("/var/lib", unitSetting(t, unit, "StateDirectory"))
	if got := unitSetting(t, unit, "ExecStart"); !strings.Contains(got, "--config /etc/notifier/config.yaml") {
		t.Fatalf("ExecStart=%s does not read /etc/notifier/config.yaml", got)
	}
	// The install step that creates the database runs outside the unit,
	// where systemd sets no STATE_DIRECTORY: it must set it, or it creates
	// the database beside the config, where the unit never looks.
	body, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	var create string
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "#") && strings.Contains(line, " migrate") {
			create = line
		}
	}
	if !strings.Contains(create, "STATE_DIRECTORY="+state+" ") {
		t.Errorf("the unit's install step that creates the database, %q, does not set STATE_DIRECTORY=%s", create, state)
	}
	example, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir() // stands for /etc/notifier
	exampleUsersBeside(t, dir)
	path := writeFile(t, dir, "config.yaml", string(example))
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"under systemd", map[string]string{"STATE_DIRECTORY": state}, filepath.Join(state, "notifier.db")},
		{"by hand", nil, filepath.Join(dir, "notifier.db")},
	} {
		env := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
		cfg, err := LoadMain(path, At(testNow.AddDate(1, 0, 0)), env, registry.Default())
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if cfg.Database != tc.want {
			t.Errorf("%s: database %s, want %s", tc.name, cfg.Database, tc.want)
		}
	}
}
