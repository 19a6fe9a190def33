package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
)

// check lists the first MaxUnroutedShown credentials whose owner has no
// route and counts the rest: its output stays the same size at any fleet.
func TestCheckUnroutedIsBounded(t *testing.T) {
	for _, tt := range []struct {
		unrouted int
		more     string // the last line, "" when all are listed
	}{
		{0, ""},
		{3, ""},
		{MaxUnroutedShown, ""},
		{5000, fmt.Sprintf("    ... and %d more\n", 5000-MaxUnroutedShown)},
	} {
		var b strings.Builder
		b.WriteString(`channels:
  mail: {type: email, route: owner, smtp: "127.0.0.1:2525", tls: none, from: n@example.com, to: [ops@example.com]}
policies:
  standard:
    - {before: 7d, channels: [mail]}
owners:
  team-a: {email: a@example.com}
credentials:
  - {id: routed, owner: team-a, rotated_at: 2026-06-01}
`)
		for i := range tt.unrouted {
			fmt.Fprintf(&b, "  - {id: c%05d, owner: team-%d, rotated_at: 2026-06-01}\n", i, i%7)
		}
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(path, config.At(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)), nil, registry.Default())
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		if err := Check(&out, cfg); err != nil {
			t.Fatal(err)
		}
		text := out.String()
		listed := strings.Count(text, ": no email route for channel mail; sent to ops@example.com\n")
		if want := min(tt.unrouted, MaxUnroutedShown); listed != want {
			t.Errorf("%d unrouted: %d listed, want %d:\n%s", tt.unrouted, listed, want, text)
		}
		if tt.unrouted > 0 && !strings.Contains(text, fmt.Sprintf("  unrouted:    %d (", tt.unrouted)) {
			t.Errorf("%d unrouted: the count is missing:\n%s", tt.unrouted, text)
		}
		if tt.unrouted == 0 && strings.Contains(text, "unrouted") {
			t.Errorf("no unrouted credential, yet check says:\n%s", text)
		}
		if tt.more != "" && !strings.HasSuffix(text, tt.more) {
			t.Errorf("%d unrouted: output does not end with %q:\n%s", tt.unrouted, tt.more, text)
		}
		if strings.Contains(text, "routed (owner") {
			t.Errorf("the routed credential is listed:\n%s", text)
		}
		if tt.unrouted > 0 && !strings.Contains(text, "    c00000 (owner team-0): no email route for channel mail; sent to ops@example.com\n") {
			t.Errorf("the first unrouted credential's line is missing:\n%s", text)
		}
	}
}
