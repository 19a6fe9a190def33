package email

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	_, caFile := selfSigned(t)
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	const pw = "hunter2-Secret"
	valid := func() Config {
		return Config{
			SMTP:     "smtp.example.com:587",
			Username: "notifier",
			Password: pw,
			From:     "Notifier <notifier@example.com>",
			To:       []string{"admins@example.com", "Bob <bob@example.org>"},
			CC:       []string{"audit@example.net"},
		}
	}
	type problem struct{ field, contains string }
	tests := []struct {
		name string
		edit func(*Config)
		want []problem
	}{
		{name: "valid", edit: func(c *Config) {}},
		{name: "valid implicit TLS with ca_file", edit: func(c *Config) { c.SMTP, c.TLS, c.CAFile = "smtp.example.com:465", TLSImplicit, caFile }},
		{name: "valid without auth in clear", edit: func(c *Config) { c.TLS, c.Username, c.Password = TLSNone, "", "" }},
		{name: "valid auth in clear to localhost", edit: func(c *Config) { c.SMTP, c.TLS = "127.0.0.1:25", TLSNone }},
		{name: "valid IPv6 host", edit: func(c *Config) { c.SMTP = "[2001:db8::1]:587" }},
		{name: "valid custom HTML", edit: func(c *Config) {
			c.HTMLTemplate = `<b>{{.Name}}</b> {{date .Deadline}} {{if .AckURL}}<a href="{{.AckURL}}">ack</a>{{end}}`
		}},
		{
			name: "everything missing",
			edit: func(c *Config) { *c = Config{} },
			want: []problem{{"smtp", "missing"}, {"from", "missing"}, {"to", "missing"}},
		},
		{name: "smtp without port", edit: func(c *Config) { c.SMTP = "smtp.example.com" }, want: []problem{{"smtp", "not host:port"}}},
		{name: "smtp without host", edit: func(c *Config) { c.SMTP = ":587" }, want: []problem{{"smtp", "no host"}}},
		{name: "smtp bad port", edit: func(c *Config) { c.SMTP = "smtp.example.com:smtp" }, want: []problem{{"smtp", "1 to 65535"}}},
		{name: "smtp port out of range", edit: func(c *Config) { c.SMTP = "smtp.example.com:70000" }, want: []problem{{"smtp", "1 to 65535"}}},
		{name: "bad tls", edit: func(c *Config) { c.TLS = "ssl" }, want: []problem{{"tls", `not "ssl"`}}},
		{name: "password without username", edit: func(c *Config) { c.Username = "" }, want: []problem{{"password", "username is not"}}},
		{name: "username without password", edit: func(c *Config) { c.Password = "" }, want: []problem{{"password", "missing"}}},
		{name: "password in clear to a remote server", edit: func(c *Config) { c.TLS = TLSNone }, want: []problem{{"tls", "in clear"}}},
		{name: "bad from", edit: func(c *Config) { c.From = "notifier at example.com" }, want: []problem{{"from", `"notifier at example.com" is not an email address`}}},
		{name: "two addresses in one to entry", edit: func(c *Config) { c.To = []string{"a@example.com, b@example.com"} }, want: []problem{{"to", "entry 1"}}},
		{
			name: "bad to and cc entries",
			edit: func(c *Config) {
				c.To = []string{"ok@example.com", "broken"}
				c.CC = []string{"<unterminated@example.com"}
			},
			want: []problem{{"to", `entry 2: "broken"`}, {"cc", "entry 1"}},
		},
		{name: "unreadable ca_file", edit: func(c *Config) { c.CAFile = filepath.Join(dir, "missing.pem") }, want: []problem{{"ca_file", "cannot read"}}},
		{name: "ca_file without certificates", edit: func(c *Config) { c.CAFile = notPEM }, want: []problem{{"ca_file", "no PEM certificate"}}},
		{name: "html_template does not parse", edit: func(c *Config) { c.HTMLTemplate = "{{.Name" }, want: []problem{{"html_template", "unclosed action"}}},
		{name: "html_template unknown field", edit: func(c *Config) { c.HTMLTemplate = "{{.Nmae}}" }, want: []problem{{"html_template", "Nmae"}}},
		{name: "html_template unknown function", edit: func(c *Config) { c.HTMLTemplate = "{{shout .Name}}" }, want: []problem{{"html_template", "shout"}}},
		{name: "negative timeout", edit: func(c *Config) { c.Timeout = -1 }, want: []problem{{"timeout", "negative"}}},
		{
			name: "several problems at once",
			edit: func(c *Config) { c.SMTP, c.TLS, c.From, c.To = "x", "STARTTLS", "", nil },
			want: []problem{{"smtp", "host:port"}, {"tls", "must be"}, {"from", "missing"}, {"to", "missing"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.edit(&c)
			errs := c.Validate()
			var fields []string
			for _, e := range errs {
				fields = append(fields, e.Field)
				if strings.Contains(e.Msg, pw) {
					t.Errorf("%s quotes the password", e)
				}
			}
			var wantFields []string
			for _, w := range tt.want {
				wantFields = append(wantFields, w.field)
			}
			if !slices.Equal(fields, wantFields) {
				t.Fatalf("problems with %v, want %v: %v", fields, wantFields, errs)
			}
			for i, w := range tt.want {
				if !strings.Contains(errs[i].Msg, w.contains) {
					t.Errorf("%s: want it to mention %q", errs[i], w.contains)
				}
			}
		})
	}
}

func TestValidateDefaultsTLS(t *testing.T) {
	c := Config{SMTP: "smtp.example.com:587", From: "notifier@example.com", To: []string{"admins@example.com"}}
	if errs := c.Validate(); len(errs) != 0 {
		t.Fatal(errs)
	}
	if c.TLS != TLSStartTLS {
		t.Errorf("tls after Validate = %q, want %q", c.TLS, TLSStartTLS)
	}
}
