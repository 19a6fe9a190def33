package config

import (
	"reflect"
	"testing"

	"gopkg.in/yaml.v3"
)

// decode points a block's field i at the value of its i-th key: every
// field of every block must be a tagged *yaml.Node.
func TestBlocksAreNodeReferences(t *testing.T) {
	nodeType := reflect.TypeOf((*yaml.Node)(nil))
	for _, block := range []any{topBlock{}, retryBlock{}, defaultsBlock{}, stageBlock{}, credBlock{}, sourceBlock{}, awsBlock{}, amazonBlock{}, lwaBlock{}, httpBlock{}, auditBlock{}, credentialFileBlock{}} {
		typ := reflect.TypeOf(block)
		keys := yamlKeys(typ)
		if len(keys) != typ.NumField() {
			t.Errorf("%s: %d keys for %d fields", typ.Name(), len(keys), typ.NumField())
		}
		for i := range typ.NumField() {
			if f := typ.Field(i); f.Type != nodeType || f.Tag.Get("yaml") == "" {
				t.Errorf("%s.%s is %s, tagged %q; want a tagged *yaml.Node", typ.Name(), f.Name, f.Type, f.Tag.Get("yaml"))
			}
		}
	}
}
