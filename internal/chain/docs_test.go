package chain

import (
	"os"
	"strings"
	"testing"
)

// auditorsDoc publishes the chain's encoding, its Python and the test
// vectors of chain_test.go, for auditors to re-implement the check.
const auditorsDoc = "../../docs/auditors.md"

// TestAuditorsDocPublishesTheVectors keeps the published vectors the ones
// TestCanonicalVector pins: each hash, with and without the key, and the
// row they are the hashes of.
func TestAuditorsDocPublishesTheVectors(t *testing.T) {
	b, err := os.ReadFile(auditorsDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Join(strings.Fields(string(b)), " ")
	for name, want := range map[string]string{
		"version 1 SHA-256":  vectorSHA,
		"version 1 HMAC":     vectorHMAC,
		"version 2 SHA-256":  vector2SHA,
		"version 2 HMAC":     vector2HMAC,
		"the row":            "(1, '" + vector.Time + "', '" + vector.Type + "', '" + vector.CredentialID + "', 7, NULL, '', '', '" + vector.Status + "', '" + vector.Actor + "', '" + vector.Detail + "')",
		"its recorded_at":    "`recorded_at` `'" + vector2.RecordedAt + "'`",
		"the test that pins": "`TestCanonicalVector`",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("%s does not publish %s: %s", auditorsDoc, name, want)
		}
	}
}
