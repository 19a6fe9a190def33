package config

import (
	"runtime"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/channels/registry"
)

// hostileFiles are 1 MB credential files of a million tiny mistakes.
var hostileFiles = []struct {
	name, body string
	problems   int    // found, all counted
	first      string // the first one
}{
	{"flow list", "credentials: [" + strings.Repeat("1,", 1<<19) + "1]\n", 1,
		"creds.yaml: credentials: about 524291 YAML nodes, more than the 500000 a file read whole may hold (only a plain list, `credentials:` then block items `- ...`, is read in parts: write it so, or split it)"},
	{"block list", "credentials:\n" + strings.Repeat("- 1\n", 1<<18), 1 << 18,
		"creds.yaml:2: credentials[0]: must be a mapping"},
}

// withCredentialFile is the main config of a folder whose creds.yaml
// holds body.
func withCredentialFile(tb testing.TB, body string) *Config {
	tb.Helper()
	dir := tb.TempDir()
	writeFile(tb, dir, "creds.yaml", body)
	cfg, err := LoadMain(writeFile(tb, dir, "config.yaml", fileMain), At(testNow), fuzzEnv, registry.Default())
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// TestHostileCredentialFileProblemsAreCapped: a file of a million
// problems keeps ProblemsKept of them and counts the rest; a file that
// would be parsed whole into millions of nodes is refused unparsed.
func TestHostileCredentialFileProblemsAreCapped(t *testing.T) {
	for _, tc := range hostileFiles {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := withCredentialFile(t, tc.body).ReadCredentialFile("creds.yaml")
			ps, ok := err.(Problems)
			if !ok {
				t.Fatalf("error %T %v, want Problems", err, err)
			}
			if ps.Count() != tc.problems || ps[0].String() != tc.first {
				t.Errorf("%d problems, first %q; want %d, first %q", ps.Count(), ps[0], tc.problems, tc.first)
			}
			if want := min(tc.problems, ProblemsKept+1); len(ps) != want {
				t.Errorf("%d problems kept, want %d", len(ps), want)
			}
		})
	}
}

// BenchmarkHostileCredentialFile reports the most heap reading each
// hostile file takes (peak-heap-MB), sampled as it is read.
func BenchmarkHostileCredentialFile(b *testing.B) {
	for _, tc := range hostileFiles {
		b.Run(tc.name, func(b *testing.B) {
			cfg := withCredentialFile(b, tc.body)
			var peak uint64
			done := make(chan struct{})
			sampled := make(chan struct{})
			go func() {
				defer close(sampled)
				var m runtime.MemStats
				for {
					runtime.ReadMemStats(&m)
					peak = max(peak, m.HeapAlloc)
					select {
					case <-done:
						return
					default:
						runtime.Gosched()
					}
				}
			}()
			for b.Loop() {
				_, _, _ = cfg.ReadCredentialFile("creds.yaml")
			}
			close(done)
			<-sampled
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
	}
}
