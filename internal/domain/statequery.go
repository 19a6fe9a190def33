package domain

import (
	"strings"
	"time"
)

// StateQuery is what the store applies of a CredentialFilter when it
// streams the credentials' states (see the store's EachState): each field
// may let through more than the filter keeps, never less, and the engine
// judges the rest. The zero value selects everything.
type StateQuery struct {
	Owner  string // exact owner; "" any
	Policy string // exact policy of the credential; "" any
	// Policies keeps the credentials whose policy is one of these; nil:
	// any, an empty list: none.
	Policies []string
	// Like is a LIKE pattern over the id (escape character '\'), made by
	// GlobLike from the --credential glob; "" any.
	Like string
	// Active keeps only active credentials, Inactive only inactive ones.
	Active, Inactive bool
	// DeadlineAfter keeps cycles whose deadline is after it, DeadlineBy
	// those whose deadline is at or before it; zero: no bound.
	DeadlineAfter, DeadlineBy time.Time
	// RotatedAfter keeps cycles that began with a rotation notifier saw
	// (CredentialState.RotationSeen) after it; zero: no bound.
	RotatedAfter time.Time
	// Limit stops after this many rows; 0: no limit. Only set when
	// nothing after the store drops rows.
	Limit int
	// After starts after this id (keyset pagination); "" from the first.
	After string
	// ByDeadline reads in the order of the current cycle's deadline, then
	// id, instead of id order; the keyset is then (AfterDeadline, After):
	// the last row's deadline and id ("" After: from the first). Cycles
	// without terms (no stored deadline) come last, in id order.
	ByDeadline    bool
	AfterDeadline time.Time
	// Page is how many rows one query reads (0: the store's default): a
	// caller that wants few rows, of which some may be dropped after the
	// store, reads small pages and stops, instead of one large page read
	// for nothing. Never more than the store's own page.
	Page int
}

// GlobLike translates a --credential glob (see MatchGlob) into a LIKE
// pattern with '\' as its escape character that matches every id the
// glob matches, and perhaps more: * is %, ? and a class [..] are _, and
// the LIKE metacharacters %, _ and \ of the glob match only themselves.
func GlobLike(glob string) string {
	var b strings.Builder
	for i := 0; i < len(glob); i++ {
		switch ch := glob[i]; ch {
		case '*':
			b.WriteByte('%')
		case '?':
			b.WriteByte('_')
		case '[':
			// A class is one character: skip to its closing bracket
			// (CheckGlob has refused an unclosed one).
			j := i + 1
			if j < len(glob) && glob[j] == '^' {
				j++
			}
			for j < len(glob) && glob[j] != ']' {
				if glob[j] == '\\' {
					j++
				}
				j++
			}
			b.WriteByte('_')
			i = j
		case '\\':
			if i+1 < len(glob) {
				i++
				ch = glob[i]
			}
			fallthrough
		default:
			if ch == '%' || ch == '_' || ch == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(ch)
		}
	}
	return b.String()
}
