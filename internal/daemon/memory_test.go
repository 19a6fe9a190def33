package daemon

import "testing"

// TestRunKeepsTheGoHeapToALimit: a daemon keeps the Go heap to a soft
// limit (the collector runs before garbage doubles a small live heap),
// unless GOMEMLIMIT chose one (the runtime applied it then, and Run keeps
// it).
func TestRunKeepsTheGoHeapToALimit(t *testing.T) {
	for _, c := range []struct {
		env   map[string]string
		limit int64
		set   bool
	}{
		{env: map[string]string{}, limit: 48 << 20, set: true},
		{env: map[string]string{"GOMEMLIMIT": ""}, limit: 48 << 20, set: true},
		{env: map[string]string{"GOMEMLIMIT": "200MiB"}, set: false},
		{env: map[string]string{"GOMEMLIMIT": "off"}, set: false},
	} {
		limit, set := memoryLimit(func(k string) string { return c.env[k] })
		if limit != c.limit || set != c.set {
			t.Errorf("env %v: limit %d (set %v), want %d (set %v)", c.env, limit, set, c.limit, c.set)
		}
	}
	if MemoryLimit != 48<<20 {
		t.Errorf("MemoryLimit %d, want 48 MiB", MemoryLimit)
	}
}
