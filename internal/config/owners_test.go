package config

import (
	"github.com/notifier-dev/notifier/internal/channels/registry"
	"slices"
	"strings"
	"testing"
)

// routed is a config whose mail channel routes by owner, with the owners
// block given by the caller.
const routed = `channels:
  console: {type: stdout}
  mail:
    type: email
    route: owner
    smtp: 127.0.0.1:2525
    tls: none
    from: notifier@example.com
    to: [ops@example.com]
policies:
  standard:
    - {before: 7d, channels: [console, mail]}
credentials:
  - {id: pay, owner: team-payments, rotated_at: 2026-06-01}
  - {id: web, owner: team-web, rotated_at: 2026-06-01}
  - {id: lone, owner: nobody, rotated_at: 2026-06-01}
`

func TestOwnersRoutes(t *testing.T) {
	cfg := mustLoad(t, routed+`owners:
  team-payments:
    email: [pay@example.com, "Payments <pay2@example.com>"]
    slack: "#team-payments"
    sns: arn:aws:sns:eu-west-1:123456789012:payments
    webhook: ${PAY_HOOK}
  team-web:
    email: web@example.com
    slack: U024BE7LH
`, map[string]string{"PAY_HOOK": "https://hooks.example.com/pay?key=s3cret"})
	if got := cfg.Channels["mail"].Route; got != RouteOwner {
		t.Fatalf("mail route = %q, want %q", got, RouteOwner)
	}
	if got := cfg.Channels["console"].Route; got != "" {
		t.Errorf("console route = %q, want none", got)
	}
	tests := []struct {
		owner, kind string
		want        []string
	}{
		{"team-payments", "email", []string{"pay@example.com", "Payments <pay2@example.com>"}},
		{"team-payments", "slack", []string{"#team-payments"}},
		{"team-payments", "sns", []string{"arn:aws:sns:eu-west-1:123456789012:payments"}},
		{"team-payments", "webhook", []string{"https://hooks.example.com/pay?key=s3cret"}},
		{"team-web", "email", []string{"web@example.com"}},
		{"team-web", "slack", []string{"U024BE7LH"}},
		{"team-web", "sns", nil},
		{"nobody", "email", nil},
		{"team-payments", "stdout", nil},
	}
	for _, tt := range tests {
		got, ok := cfg.OwnerRoute(tt.owner, tt.kind)
		if ok != (tt.want != nil) || !slices.Equal(got, tt.want) {
			t.Errorf("OwnerRoute(%q, %q) = %q, %v; want %q", tt.owner, tt.kind, got, ok, tt.want)
		}
	}
	if !slices.Contains(cfg.Secrets(), "https://hooks.example.com/pay?key=s3cret") {
		t.Errorf("the owner's webhook URL from the environment is not among the secrets")
	}
	// Unrouted: the credentials whose owner has no route for a channel
	// that routes by owner, with that channel.
	var got []string
	for u := range cfg.Unrouted() {
		got = append(got, u.Credential+" "+u.Owner+" "+u.Channel+" "+u.Kind)
	}
	if want := []string{"lone nobody mail email"}; !slices.Equal(got, want) {
		t.Errorf("Unrouted = %q, want %q", got, want)
	}
}

// A credential file's owners resolve against the main file's owners:.
func TestOwnersOfCredentialFiles(t *testing.T) {
	body := strings.Replace(routed, "credentials:\n  - {id: pay, owner: team-payments, rotated_at: 2026-06-01}\n  - {id: web, owner: team-web, rotated_at: 2026-06-01}\n  - {id: lone, owner: nobody, rotated_at: 2026-06-01}\n",
		"credential_files: [creds/*.yaml]\nowners:\n  team-payments: {email: pay@example.com}\n", 1)
	dir := t.TempDir()
	path := writeFile(t, dir, "config.yaml", body)
	writeFile(t, dir, "creds/a.yaml", "credentials:\n  - {id: pay, owner: team-payments, rotated_at: 2026-06-01}\n  - {id: web, owner: team-web, rotated_at: 2026-06-01}\n")
	cfg, err := Load(path, Timeless, envOf(nil), registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for u := range cfg.Unrouted() {
		got = append(got, u.Credential+" "+u.Owner)
	}
	if want := []string{"web team-web"}; !slices.Equal(got, want) {
		t.Errorf("Unrouted = %q, want %q", got, want)
	}
	if to, ok := cfg.OwnerRoute("team-payments", "email"); !ok || !slices.Equal(to, []string{"pay@example.com"}) {
		t.Errorf("OwnerRoute = %q, %v", to, ok)
	}
}

func TestOwnersRefused(t *testing.T) {
	tests := []struct {
		name, owners string
		env          map[string]string
		want         string // the one problem, file:line included
	}{
		{"bad email", "owners:\n  a: {email: not-an-address}\n", nil,
			`config.yaml:18: owners.a.email[0]: "not-an-address" is not an email address: mail: missing '@' or angle-addr`},
		{"bad email in list", "owners:\n  a:\n    email: [a@example.com, b@]\n", nil,
			`config.yaml:19: owners.a.email[1]: "b@" is not an email address: mail: missing '@' or angle-addr`},
		{"unknown kind", "owners:\n  a: {pager: 555}\n", nil,
			`config.yaml:18: owners.a.pager: unknown key (known: email, slack, sns, webhook)`},
		{"no route", "owners:\n  a: {}\n", nil,
			`config.yaml:18: owners.a: no route: give at least one of email, slack, sns, webhook`},
		{"not a mapping", "owners: [a]\n", nil,
			`config.yaml:17: owners: must be a mapping of owner names to routes`},
		{"bad slack", "owners:\n  a: {slack: \"team x\"}\n", nil,
			`config.yaml:18: owners.a.slack: "team x" is not a Slack channel (#name) or a channel or user id (C0123ABCD, U0123ABCD)`},
		{"bad sns", "owners:\n  a: {sns: \"arn:aws:sqs:eu-west-1:123456789012:q\"}\n", nil,
			`config.yaml:18: owners.a.sns: "arn:aws:sqs:eu-west-1:123456789012:q" is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)`},
		{"bad webhook", "owners:\n  a: {webhook: \"ftp://x\"}\n", nil,
			`config.yaml:18: owners.a.webhook: is not an absolute http(s) URL`},
		{"webhook from env, bad, not quoted", "owners:\n  a: {webhook: \"${HOOK}\"}\n", map[string]string{"HOOK": "s3cret-not-a-url"},
			`config.yaml:18: owners.a.webhook: is not an absolute http(s) URL`},
		{"email from env refused", "owners:\n  a: {email: \"${MAIL}\"}\n", map[string]string{"MAIL": "a@example.com"},
			`config.yaml:18: owners.a.email[0]: ${MAIL}: ${NAME} is for secrets only (tokens, passwords, keys, secret URLs and headers, the database URL), and this value would be stored and shown: write it into the file`},
		{"bad route value", "", nil, "config.yaml:5: channels.mail.route: \"team\" is not a route: the one route is owner (to the credential owner's address under owners:, else the channel's own)"},
		{"route on stdout", "", nil, "config.yaml:2: channels.console.route: a stdout channel has no address to route by owner (route: owner is for email, slack, sns and webhook)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := routed + tt.owners
			switch tt.name {
			case "bad route value":
				body = strings.Replace(body, "route: owner", "route: team", 1)
			case "route on stdout":
				body = strings.Replace(body, "console: {type: stdout}", "console: {type: stdout, route: owner}", 1)
			}
			_, err := loadYAML(t, body, tt.env)
			ps := problemsOf(t, err)
			if len(ps) != 1 || ps[0].String() != tt.want {
				t.Fatalf("problems:\n%v\nwant:\n%s", err, tt.want)
			}
			for _, v := range tt.env {
				if strings.Contains(err.Error(), v) {
					t.Errorf("the problem quotes the value from the environment: %v", err)
				}
			}
		})
	}
}
