package config

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/channels/registry"
)

// fileMain is a config whose credential_files match the file a test
// writes beside it.
const fileMain = `channels:
  console: {type: stdout}
policies:
  standard: [{before: 7d, channels: [console]}]
  gentle: [{before: 1d, channels: [console]}]
credential_files: [creds.yaml]
`

// fleetBody is a credentials: list of n items, one line each, item i
// (from 0) given by item(i), or the usual one if that returns "".
func fleetBody(n int, item func(i int) string) string {
	var b strings.Builder
	b.WriteString("credentials:\n")
	for i := range n {
		if s := item(i); s != "" {
			b.WriteString(s)
			continue
		}
		fmt.Fprintf(&b, "  - {id: c-%05d, name: Cred %d, owner: team-%d, rotated_at: 2026-05-01}\n", i, i, i%7)
	}
	return b.String()
}

// Whichever way a file is parsed, in chunks or whole, it gives the same
// credentials and the same problems, lines included; the chunks are taken
// exactly where the layout is a plain block list.
func TestChunkedParseMatchesWhole(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		per     int  // items a chunk; chunkItems for the real size
		chunked bool // whether the chunks are used, not the whole file
		want    []string
	}{
		{name: "valid, 2,500 items", per: chunkItems, chunked: true,
			body: fleetBody(2500, func(int) string { return "" })},
		{name: "bad date on item 1,500", per: chunkItems, chunked: true,
			body: fleetBody(2500, func(i int) string {
				if i == 1499 {
					return "  - {id: bad-date, rotated_at: 2026-02-30}\n"
				}
				return ""
			}),
			want: []string{`creds.yaml:1501: credentials[1499].rotated_at: "2026-02-30" is not a time (use 2026-06-01, 2026-06-01T09:30 or RFC 3339)`}},
		{name: "missing id, block style", per: chunkItems, chunked: true,
			body: fleetBody(1200, func(i int) string {
				if i == 1100 {
					return "  - name: No id\n    rotated_at: 2026-05-01\n"
				}
				return ""
			}),
			want: []string{"creds.yaml:1102: credentials[1100].id: missing"}},
		{name: "unknown key", per: chunkItems, chunked: true,
			body: fleetBody(2200, func(i int) string {
				if i == 2100 {
					return "  - id: keyed\n    rotated_at: 2026-05-01\n    secret: hunter2\n"
				}
				return ""
			}),
			want: []string{"creds.yaml:2104: credentials[2100].secret: unknown key (known: id, name, owner, rotated_at, rotation_period, expires_at, policy, lwa, source, aws, runbook, impact)"}},
		{name: "duplicate id across chunks", per: chunkItems, chunked: true,
			body: fleetBody(2000, func(i int) string {
				if i == 1800 {
					return "  - {id: c-00010, rotated_at: 2026-05-01, policy: nope}\n"
				}
				return ""
			}),
			want: []string{
				`creds.yaml:1802: credentials[1800].id: "c-00010" is already used at creds.yaml:12`,
				`creds.yaml:1802: credentials[1800].policy: policy "nope" is not defined under policies:`,
			}},
		{name: "comments and blank lines between items", per: 2, chunked: true,
			body: "# the fleet\n\ncredentials:   # all of it\n\n  # first\n  - id: a\n\n    rotated_at: 2026-05-01\n# at column 0\n  - id: b\n    # inside\n    rotated_at: 2026-05-01\n\n  - {id: c, rotated_at: 2026-13-01}\n  # trailing\n  - id: d\n    rotated_at: 2026-05-01\n    policy: gentle\n\n# the end\n",
			want: []string{`creds.yaml:14: credentials[2].rotated_at: "2026-13-01" is not a time (use 2026-06-01, 2026-06-01T09:30 or RFC 3339)`}},
		{name: "block scalar spanning lines", per: 1, chunked: true,
			body: "credentials:\n  - id: a\n    name: |\n      First line\n      - not an item\n\n      # not a comment\n    rotated_at: 2026-05-01\n  - id: b\n    name: >-\n      folded\n      text\n    rotated_at: someday\n",
			want: []string{`creds.yaml:13: credentials[1].rotated_at: "someday" is not a time (use 2026-06-01, 2026-06-01T09:30 or RFC 3339)`}},
		{name: "kept trailing lines of a block scalar at a cut", per: 1, chunked: true,
			body: "credentials:\n  - id: a\n    rotated_at: 2026-05-01\n    name: |+\n      kept\n\n\n  - id: b\n    name: |-\n      stripped\n\n    rotated_at: 2026-05-01\n"},
		{name: "items at column 0", per: 2, chunked: true,
			body: "credentials:\n- {id: a, rotated_at: 2026-05-01}\n- {id: b, rotated_at: 2026-05-01}\n- id: c\n  rotated_at: 2026-05-01\n  owner: [x]\n"},
		{name: "flow mapping across lines", per: 1, chunked: true,
			body: "credentials:\n  - {id: a,\n     rotated_at: 2026-05-01}\n  - {id: b,\n     rotated_at: 2027-01-01}\n",
			want: []string{"creds.yaml:5: credentials[1].rotated_at: 2027-01-01T00:00:00Z is in the future (now is 2026-07-01T12:00:00Z)"}},
		{name: "environment in a value", per: 1, chunked: true,
			body: "credentials:\n  - {id: a, owner: '${OWNER}', rotated_at: 2026-05-01}\n  - {id: b, owner: '${NOPE}', rotated_at: 2026-05-01}\n",
			want: []string{"creds.yaml:2: credentials[0].owner: ${OWNER}: ${NAME} is for secrets only (tokens, passwords, keys, secret URLs and headers, the database URL), and this value would be stored and shown: write it into the file", "creds.yaml:3: credentials[1].owner: ${NOPE}: ${NAME} is for secrets only (tokens, passwords, keys, secret URLs and headers, the database URL), and this value would be stored and shown: write it into the file"}},

		// The whole file, for what chunks could get wrong.
		{name: "flow style list", per: 1, chunked: false,
			body: "credentials: [{id: a, rotated_at: 2026-05-01},\n  {id: b, rotated_at: someday}]\n",
			want: []string{`creds.yaml:2: credentials[1].rotated_at: "someday" is not a time (use 2026-06-01, 2026-06-01T09:30 or RFC 3339)`}},
		{name: "alias to an anchor in another chunk", per: 1, chunked: false,
			body: "credentials:\n  - &base {id: a, rotated_at: 2026-05-01}\n  - <<: *base\n    id: b\n",
			want: []string{"creds.yaml:3: credentials[1].<<: unknown key (known: id, name, owner, rotated_at, rotation_period, expires_at, policy, lwa, source, aws, runbook, impact)", "creds.yaml:3: credentials[1].rotated_at: missing: when was this secret last rotated? (e.g. 2026-06-01)"}},
		{name: "quote open across a cut", per: 1, chunked: false,
			body: "credentials:\n  - {id: a, rotated_at: 2026-05-01, name: \"one\n  - two\"}\n  - {id: b, rotated_at: 2026-05-01}\n"},
		{name: "bad indentation in a later chunk", per: 1, chunked: false,
			body: "credentials:\n  - id: a\n    rotated_at: 2026-05-01\n  - id: b\n     rotated_at: 2026-05-01\n",
			want: []string{"creds.yaml:5: invalid YAML: mapping values are not allowed in this context"}},
		{name: "several documents", per: 1, chunked: false,
			body: "credentials:\n  - {id: a, rotated_at: 2026-05-01}\n---\ncredentials:\n  - {id: b, rotated_at: 2026-05-01}\n"},
		{name: "tab", per: 1, chunked: false,
			body: "credentials:\n  - {id: a,\trotated_at: 2026-05-01}\n  - {id: b, rotated_at: 2026-05-01}\n"},
		{name: "CRLF line ends", per: 1, chunked: false,
			body: "credentials:\r\n  - {id: a, rotated_at: 2026-05-01}\r\n  - {id: b, rotated_at: x}\r\n",
			want: []string{`creds.yaml:3: credentials[1].rotated_at: "x" is not a time (use 2026-06-01, 2026-06-01T09:30 or RFC 3339)`}},
		{name: "another top-level key", per: 1, chunked: false,
			body: "credentials:\n  - {id: a, rotated_at: 2026-05-01}\nextra: 1\n",
			want: []string{"creds.yaml:3: extra: unknown key (known: credentials)"}},
		{name: "no items", per: 1, chunked: false,
			body: "credentials:\n",
			want: []string{"creds.yaml:1: credentials: must be a list"}},
		{name: "a plain scalar item", per: 1, chunked: true,
			body: "credentials:\n  - just-a-name\n  - {id: b, rotated_at: 2026-05-01}\n",
			want: []string{"creds.yaml:2: credentials[0]: must be a mapping"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "creds.yaml", tt.body)
			cfg, err := LoadMain(writeFile(t, dir, "config.yaml", fileMain), At(testNow), envOf(map[string]string{"OWNER": "ops"}), registry.Default())
			if err != nil {
				t.Fatal(err)
			}
			if chunks, ok := splitItems([]byte(tt.body), tt.per); ok {
				_, _, ok = cfg.fileLoader("creds.yaml", testNow).chunked([]byte(tt.body), chunks)
				if ok != tt.chunked {
					t.Errorf("chunks used: %v, want %v", ok, tt.chunked)
				}
			} else if tt.chunked {
				t.Error("the layout was not split into chunks")
			}
			chunkCreds, chunkFile, chunkErr := cfg.readCredentialFile("creds.yaml", tt.per)
			wholeCreds, wholeFile, wholeErr := cfg.readCredentialFile("creds.yaml", 0)
			if !reflect.DeepEqual(chunkCreds, wholeCreds) {
				t.Errorf("credentials differ: %d in chunks, %d whole", len(chunkCreds), len(wholeCreds))
				for i := range min(len(chunkCreds), len(wholeCreds)) {
					if !reflect.DeepEqual(chunkCreds[i], wholeCreds[i]) {
						t.Fatalf("first difference at %d:\n%+v\n%+v", i, chunkCreds[i], wholeCreds[i])
					}
				}
			}
			if chunkFile != wholeFile {
				t.Errorf("files differ: %+v, %+v", chunkFile, wholeFile)
			}
			got, whole := problemStrings(chunkErr), problemStrings(wholeErr)
			if !reflect.DeepEqual(got, whole) {
				t.Errorf("problems in chunks:\n%s\nwhole:\n%s", strings.Join(got, "\n"), strings.Join(whole, "\n"))
			}
			if tt.want != nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if len(tt.want) == 0 && chunkErr == nil && len(chunkCreds) == 0 {
				t.Error("no credentials and no problems")
			}
		})
	}
}

// Every credential says where it is written, with the line of its id.
func TestCredentialFileAndLine(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "creds.yaml", fleetBody(2100, func(i int) string {
		if i == 1500 {
			return "  - name: Spread\n    rotated_at: 2026-05-01\n    id: spread\n"
		}
		return ""
	}))
	cfg, err := LoadMain(writeFile(t, dir, "config.yaml", fileMain), At(testNow), envOf(nil), registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	creds, _, err := cfg.ReadCredentialFile(dir + "/creds.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		index int
		id    string
		line  int
	}{{0, "c-00000", 2}, {999, "c-00999", 1001}, {1000, "c-01000", 1002}, {1500, "spread", 1504}, {1501, "c-01501", 1505}, {2099, "c-02099", 2103}}
	for _, tt := range tests {
		if c := creds[tt.index]; c.ID != tt.id || c.File != "creds.yaml" || c.Line != tt.line {
			t.Errorf("credential %d = %s at %s:%d, want %s at creds.yaml:%d", tt.index, c.ID, c.File, c.Line, tt.id, tt.line)
		}
	}
}

func problemStrings(err error) []string {
	ps, _ := err.(Problems)
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}
