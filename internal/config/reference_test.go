package config

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/channels/registry"
)

// configReference is the hand-written configuration reference.
const configReference = "../../docs/reference/config.md"

// referenceKeys lists every key the loader takes outside the channels'
// integrations, by the path the reference writes it with: blocks joined by
// dots, a list's items as [], a map's names as NAME. The blocks are the
// ones the loader decodes (decode refuses any other key as unknown), so a
// key added to a block is listed here without a change to this test.
func referenceKeys() []string {
	var out []string
	add := func(prefix string, block any) {
		for _, k := range yamlKeys(reflect.TypeOf(block)) {
			out = append(out, prefix+k)
		}
	}
	add("", topBlock{})
	add("retry.", retryBlock{})
	add("defaults.", defaultsBlock{})
	add("policies.NAME[].", stageBlock{})
	add("policies.NAME.", policyBlock{})
	add("defaults.runbook.", runbookBlock{})
	add("amazon.", amazonBlock{})
	add("http.", httpBlock{})
	add("http.metrics.", metricsBlock{})
	add("audit.", auditBlock{})
	add("credentials[].", credBlock{})
	add("credentials[].lwa.", lwaBlock{})
	add("credentials[].source.", sourceBlock{})
	add("credentials[].aws.", awsBlock{})
	add("owners.NAME.", ownerBlock{})
	for _, k := range channelKeys {
		out = append(out, "channels.NAME."+k)
	}
	return out
}

// TestConfigReferenceNamesEveryKey fails, naming each key, when the
// configuration reference does not document a key the loader takes: every
// key above in backticks by its full path, and every key of a channel type
// in backticks in the section headed by the type (### `slack`).
func TestConfigReferenceNamesEveryKey(t *testing.T) {
	b, err := os.ReadFile(configReference)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	keys := referenceKeys()
	if len(keys) < 60 {
		t.Fatalf("found %d keys; want every block's (at least 60)", len(keys))
	}
	for _, k := range keys {
		if !documented(doc, k) {
			t.Errorf("%s: key `%s` is not in the configuration reference", configReference, k)
		}
	}
	reg := registry.Default()
	for _, typ := range reg.Types() {
		cfg, _ := reg.Config(typ)
		section, ok := sectionOf(doc, "`"+typ+"`")
		if !ok {
			t.Errorf("%s: no section headed `%s` for the channel type %s", configReference, typ, typ)
			continue
		}
		fields := yamlKeys(reflect.TypeOf(cfg))
		if len(fields) == 0 {
			t.Errorf("channel type %s: no keys found", typ)
		}
		for _, k := range fields {
			if !strings.Contains(section, "`"+k+"`") {
				t.Errorf("%s: key `%s` of channel type %s is not in its section", configReference, k, typ)
			}
		}
	}
}

// documented says whether the reference names key k in backticks, or,
// for a block (retry, credentials[].lwa), one of its keys by its path.
func documented(doc, k string) bool {
	for _, form := range []string{"`" + k + "`", "`" + k + ".", "`" + k + "[]."} {
		if strings.Contains(doc, form) {
			return true
		}
	}
	return false
}

var headingRE = regexp.MustCompile(`(?m)^#{1,6} .*$`)

// sectionOf returns the text under the first heading that holds name, up
// to the next heading.
func sectionOf(doc, name string) (string, bool) {
	hs := headingRE.FindAllStringIndex(doc, -1)
	for i, h := range hs {
		if !strings.Contains(doc[h[0]:h[1]], name) {
			continue
		}
		end := len(doc)
		if i+1 < len(hs) {
			end = hs[i+1][0]
		}
		return doc[h[1]:end], true
	}
	return "", false
}
