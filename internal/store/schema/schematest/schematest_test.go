package schematest

import (
	"testing"

	"github.com/notifier-dev/notifier/internal/store/schema"
)

// TestPredicate: a partial index's WHERE as each catalog spells it and as
// the description does come to one spelling; a different one does not.
func TestPredicate(t *testing.T) {
	credentials, _ := schema.Describe().Table("credentials")
	want := predicate("active AND next_action_at IS NOT NULL", credentials)
	for _, spelled := range []string{
		"active = 1 AND next_action_at IS NOT NULL", // SQLite, as migrated
		"(active AND (next_action_at IS NOT NULL))", // PostgreSQL's pg_get_expr
	} {
		if got := predicate(spelled, credentials); got != want {
			t.Errorf("predicate(%q) = %q; want %q", spelled, got, want)
		}
	}
	if got := predicate("(status = 'pending'::text)", credentials); got != "status = 'pending'" {
		t.Errorf("a cast kept: %q", got)
	}
	if predicate("active = 0", credentials) == predicate("active", credentials) {
		t.Error("active = 0 taken for active")
	}
}
