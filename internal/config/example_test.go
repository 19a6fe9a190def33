package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/channels/stdout"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// The example at the repository root is documentation that must keep working.
func TestExampleConfigLoads(t *testing.T) {
	path := filepath.Join("..", "..", "config.example.yaml")
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) // after every rotated_at in it
	cfg, err := Load(path, At(now), envOf(nil), registry.Default())
	if err != nil {
		t.Fatalf("config.example.yaml has problems:\n%v", err)
	}

	if cfg.Path != path {
		t.Errorf("Path = %q, want %q", cfg.Path, path)
	}
	if want := filepath.Join("..", "..", "notifier.db"); cfg.Database != want {
		t.Errorf("Database = %q, want %q (resolved against the config's folder)", cfg.Database, want)
	}
	if cfg.Timezone != "UTC" || cfg.Location != time.UTC {
		t.Errorf("Timezone = %q (%v), want UTC", cfg.Timezone, cfg.Location)
	}
	if cfg.CheckSchedule != "@hourly" {
		t.Errorf("CheckSchedule = %q, want @hourly", cfg.CheckSchedule)
	}
	if want := (Retry{MaxAttempts: 8, InitialBackoff: time.Minute, MaxBackoff: time.Hour}); cfg.Retry != want {
		t.Errorf("Retry = %+v, want %+v", cfg.Retry, want)
	}

	// The console, on this machine only, with the example users file.
	if cfg.HTTP == nil || cfg.HTTP.Listen != "127.0.0.1:9464" || cfg.HTTP.Console == nil {
		t.Fatalf("http = %+v, want the console on 127.0.0.1:9464", cfg.HTTP)
	}
	if c := cfg.HTTP.Console; len(c.Users) != 1 || c.Users["admin"] == nil || c.RoleOf("admin") != RoleResponder || c.SessionKey != "" {
		t.Errorf("console = %+v, want the example users file's admin as a responder and no session key", c)
	}

	// Channels.
	if len(cfg.Channels) != 1 {
		t.Errorf("channels = %v, want only console", cfg.Channels)
	}
	console := cfg.Channels["console"]
	if console == nil || console.Type != "stdout" {
		t.Fatalf("channel console = %+v, want type stdout", console)
	}
	if sc, ok := console.Config.(*stdout.Config); !ok || sc.Format != "" {
		t.Errorf("console config = %#v, want *stdout.Config with the default format", console.Config)
	}

	// Credentials and the defaults they inherit.
	if got := len(cfg.Credentials); got != 3 {
		t.Fatalf("%d credentials, want 3", got)
	}
	tests := []struct {
		id, name, owner, policy string
		rotated, expires        time.Time
		period                  schedule.Span
	}{
		{"sp-api-prod", "SP-API production (LWA client secret)", "integrations", "standard",
			utc("2026-06-01T00:00:00Z"), time.Time{}, schedule.Span{Days: 180}},
		{"sp-api-sandbox", "SP-API sandbox (LWA client secret)", "integrations", "quiet",
			utc("2026-10-01T00:00:00Z"), time.Time{}, schedule.Span{Days: 180}},
		{"partner-api-key", "Partner API key (fixed expiry)", "platform", "standard",
			utc("2026-01-15T00:00:00Z"), utc("2027-01-15T12:00:00Z"), schedule.Span{Days: 365}},
	}
	for i, tt := range tests {
		c := cfg.Credentials[i]
		if c.ID != tt.id || c.Name != tt.name || c.Owner != tt.owner || c.Policy != tt.policy {
			t.Errorf("credentials[%d] = %q %q %q policy %q, want %q %q %q policy %q",
				i, c.ID, c.Name, c.Owner, c.Policy, tt.id, tt.name, tt.owner, tt.policy)
		}
		if !c.RotatedAt.Equal(tt.rotated) || !c.ExpiresAt.Equal(tt.expires) {
			t.Errorf("%s: rotated %v expires %v, want %v %v", tt.id, c.RotatedAt, c.ExpiresAt, tt.rotated, tt.expires)
		}
		if c.RotationPeriod != tt.period {
			t.Errorf("%s: period %v, want %v", tt.id, c.RotationPeriod, tt.period)
		}
		if got, ok := cfg.Credential(tt.id); !ok || got.ID != tt.id {
			t.Errorf("Credential(%q) = %v, %v", tt.id, got.ID, ok)
		}
	}
	if _, ok := cfg.Credential("nope"); ok {
		t.Error(`Credential("nope") found`)
	}
	// The default period gives the SP-API deadline; the explicit expiry wins
	// for the partner key.
	prod, _ := cfg.Credential("sp-api-prod")
	if got, want := prod.Deadline(prod.RotatedAt, cfg.Location), utc("2026-11-28T00:00:00Z"); !got.Equal(want) {
		t.Errorf("sp-api-prod deadline = %v, want %v", got, want)
	}
	partner, _ := cfg.Credential("partner-api-key")
	if got, want := partner.Deadline(partner.RotatedAt, cfg.Location), utc("2027-01-15T12:00:00Z"); !got.Equal(want) {
		t.Errorf("partner-api-key deadline = %v, want %v", got, want)
	}

	// The standard ladder, least urgent first, with default names.
	std := cfg.Policies["standard"]
	if std == nil {
		t.Fatal("no standard policy")
	}
	if got, want := stageNames(std), []string{"30d", "7d", "24h", "overdue"}; !slices.Equal(got, want) {
		t.Errorf("standard stages = %v, want %v", got, want)
	}
	wantStd := []schedule.Stage{
		{Name: "30d", Offset: schedule.Span{Days: 30}, Channels: []string{"console"}},
		{Name: "7d", Offset: schedule.Span{Days: 7}, Channels: []string{"console"}},
		{Name: "24h", Offset: schedule.Span{Clock: 24 * time.Hour}, Channels: []string{"console"}},
		{Name: "overdue", After: true, Repeat: schedule.Span{Clock: 24 * time.Hour}, Channels: []string{"console"}},
	}
	for i, w := range wantStd {
		if i >= len(std.Stages) {
			break
		}
		g := std.Stages[i]
		if g.Name != w.Name || g.Offset != w.Offset || g.After != w.After || g.Repeat != w.Repeat ||
			!slices.Equal(g.Channels, w.Channels) || g.UnlessAcknowledged || g.Subject != nil || g.Text != nil {
			t.Errorf("standard[%d] = %+v (subject %v, text %v), want %+v and no templates", i, g.Stage, g.Subject, g.Text, w)
		}
	}
	if s := std.Schedule(); s.Name != "standard" || len(s.Stages) != 4 || s.Stages[3].Name != "overdue" {
		t.Errorf("Schedule() = %+v", s)
	}

	// The quiet ladder: last-call is named, conditional and templated.
	quiet := cfg.Policies["quiet"]
	if quiet == nil {
		t.Fatal("no quiet policy")
	}
	if got, want := stageNames(quiet), []string{"14d", "last-call"}; !slices.Equal(got, want) {
		t.Errorf("quiet stages = %v, want %v", got, want)
	}
	lc := quiet.Stage("last-call")
	if lc == nil {
		t.Fatal(`quiet.Stage("last-call") = nil`)
	}
	if !lc.UnlessAcknowledged || lc.Offset != (schedule.Span{Days: 2}) || lc.After {
		t.Errorf("last-call = %+v, want before 2d, unless_acknowledged", lc.Stage)
	}
	if quiet.Stage("14d").UnlessAcknowledged {
		t.Error("14d is unless_acknowledged; only last-call says so")
	}
	if lc.Subject == nil || lc.Text == nil {
		t.Fatalf("last-call templates: subject %v, text %v; want both", lc.Subject, lc.Text)
	}
	msg := channels.Sample(now)
	subject, err := channels.Render(lc.Subject, msg)
	if err != nil {
		t.Fatal(err)
	}
	if want := msg.Name + ": last call, "; !strings.HasPrefix(subject, want) {
		t.Errorf("last-call subject = %q, want it to start with %q", subject, want)
	}
	text, err := channels.Render(lc.Text, msg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "Owner: "+msg.Owner+".") || !strings.Contains(text, msg.Name+" must be rotated by ") {
		t.Errorf("last-call text = %q", text)
	}
	if quiet.Stage("nope") != nil {
		t.Error(`Stage("nope") != nil`)
	}
}

func TestDefaultStageNames(t *testing.T) {
	cfg := mustLoad(t, `channels:
  c: {type: stdout}
policies:
  standard:
    - {before: 30d, channels: [c]}
    - {before: 24h, channels: [c]}
    - {before: 1d12h, channels: [c]}
    - {after: 0s, channels: [c]}
    - {after: 48h, channels: [c]}
    - {name: final, after: 7d, channels: [c]}
credentials:
  - {id: one, rotated_at: 2026-06-01}
`, nil)
	got := stageNames(cfg.Policies["standard"])
	want := []string{"30d", "1d12h", "24h", "overdue", "overdue+48h", "final"}
	if !slices.Equal(got, want) {
		t.Errorf("stage names = %v, want %v", got, want)
	}
}

// exampleUsersBeside copies the example's console users file into dir,
// beside a copy of config.example.yaml (its users_file is relative).
func exampleUsersBeside(t *testing.T, dir string) {
	t.Helper()
	users, err := os.ReadFile(filepath.Join("..", "..", "console-users.example"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "console-users.example", string(users))
}
