package config

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

const goodAuditKey = "a-random-audit-key-of-at-least-32-bytes!"

func TestAuditKey(t *testing.T) {
	t.Run("from the environment: the chain's key, and a secret", func(t *testing.T) {
		cfg := mustLoad(t, minimal+"audit:\n  key: ${AUDIT_KEY}\n", map[string]string{"AUDIT_KEY": goodAuditKey})
		if cfg.Audit.Key != goodAuditKey {
			t.Errorf("audit.key = %q, want the variable's value", cfg.Audit.Key)
		}
		if !slices.Contains(cfg.Secrets(), goodAuditKey) {
			t.Errorf("Secrets() = %q lacks the audit key: the redactor would not know it", cfg.Secrets())
		}
	})
	t.Run("left out: no key", func(t *testing.T) {
		if cfg := mustLoad(t, minimal, nil); cfg.Audit.Key != "" {
			t.Errorf("audit.key = %q, want none", cfg.Audit.Key)
		}
	})
	for _, tc := range []struct {
		name, audit, value, want string
	}{
		{"too short", "audit: {key: \"${AUDIT_KEY}\"}", "0123456789abcdef0123456789abcde",
			"audit.key: ${AUDIT_KEY} is shorter than 32 bytes; use a random key of at least 32 bytes"},
		{"empty", "audit:\n  key: ${AUDIT_KEY}", "", "audit.key: ${AUDIT_KEY} is shorter than 32 bytes"},
		{"written into the file", "audit: {key: " + goodAuditKey + "}", "", "audit.key: must come from the environment, as ${NAME}"},
		{"not set", "audit:\n  key: ${NO_SUCH_KEY}", "", "audit.key: ${NO_SUCH_KEY} is not set in the environment"},
		{"missing", "audit: {}", "", "audit.key: missing"},
		{"an unknown key", "audit: {key: \"${AUDIT_KEY}\", algorithm: md5}", goodAuditKey, "audit.algorithm: unknown key (known: key)"},
		{"not a mapping", "audit: yes", "", "audit: must be a mapping"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := minimal + tc.audit + " # @audit\n"
			_, err := loadYAML(t, body, map[string]string{"AUDIT_KEY": tc.value})
			ps := problemsOf(t, err)
			if len(ps) != 1 {
				t.Fatalf("problems %q, want one", ps)
			}
			want := fmt.Sprintf("config.yaml:%d: %s", lineOf(t, body, "@audit"), tc.want)
			if got := ps[0].String(); !strings.HasPrefix(got, want) || strings.Contains(got, "\n") {
				t.Errorf("problem %q, want one line starting %q", got, want)
			}
			if tc.value != "" && strings.Contains(ps.Error(), tc.value) {
				t.Errorf("problem %q quotes the key", ps.Error())
			}
		})
	}
}
