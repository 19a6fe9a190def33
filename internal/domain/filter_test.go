package domain

import "testing"

func TestMatchGlob(t *testing.T) {
	for _, c := range []struct {
		pattern, id string
		want        bool
	}{
		{"", "anything", true},
		{"sp-api-*", "sp-api-prod", true},
		{"sp-api-*", "vendor-sftp", false},
		{"*prod", "eu/sp-api/prod", true}, // * crosses '/': ids are not paths
		{"sp-api-?", "sp-api-1", true},
		{"sp-api-?", "sp-api-12", false},
		{"[a-c]*", "billing", true},
		{"[a-c]*", "vendor", false},
		{"sp-api-prod", "sp-api-prod", true}, // no wildcard: the whole id
		{"sp-api", "sp-api-prod", false},
	} {
		if got := MatchGlob(c.pattern, c.id); got != c.want {
			t.Errorf("MatchGlob(%q, %q) = %v, want %v", c.pattern, c.id, got, c.want)
		}
	}
	if err := CheckGlob("[a-"); err == nil {
		t.Error("CheckGlob([a-) accepted a malformed pattern")
	}
	if err := CheckGlob("sp-*"); err != nil {
		t.Errorf("CheckGlob(sp-*) = %v", err)
	}
}
