//go:build unix

package config

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/domain"
)

// Anything but a regular file of at most MaxFileSize is refused, without
// blocking and without reading it: one problem naming the file.
func TestHostileCredentialFiles(t *testing.T) {
	tests := []struct {
		name string
		make func(t *testing.T, path string)
		msg  string
	}{
		{"fifo", func(t *testing.T, path string) {
			if err := syscall.Mkfifo(path, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "cannot read: a named pipe, not a regular file"},
		{"symlink to /dev/zero", func(t *testing.T, path string) {
			if err := os.Symlink("/dev/zero", path); err != nil {
				t.Fatal(err)
			}
		}, "cannot read: a device, not a regular file"},
		{"directory", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
		}, "cannot read: a directory, not a regular file"},
		{"socket", func(t *testing.T, path string) {
			ln, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
		}, "cannot read: a socket, not a regular file"},
		{"64 MiB and a byte", func(t *testing.T, path string) {
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.Truncate(MaxFileSize + 1); err != nil { // sparse: no 64 MiB written
				t.Fatal(err)
			}
		}, "cannot read: 67108865 bytes, more than the 64 MiB a config file may hold"},
		{"missing", func(*testing.T, string) {}, "cannot stat: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The file the glob matched is replaced after LoadMain.
			dir := t.TempDir()
			path := writeFile(t, dir, "creds.yaml", minimal)
			cfg, err := LoadMain(writeFile(t, dir, "config.yaml", fileMain), At(testNow), envOf(nil), registry.Default())
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			tt.make(t, path)
			want := "creds.yaml: " + tt.msg
			check := func(what string, err error) {
				t.Helper()
				if got := problemStrings(err); len(got) != 1 || got[0] != want {
					t.Errorf("%s: problems %q, want [%q]", what, got, want)
				}
			}
			promptly(t, "ReadCredentialFile", func() {
				creds, cf, err := cfg.ReadCredentialFile(path)
				check("ReadCredentialFile", err)
				if creds != nil || cf != (domain.ConfigFile{}) {
					t.Errorf("ReadCredentialFile gave %v, %+v", creds, cf)
				}
			})
			promptly(t, "StatConfigFile", func() {
				_, err := StatConfigFile(dir, "creds.yaml")
				check("StatConfigFile", err)
			})
			promptly(t, "Load", func() {
				if tt.name == "missing" {
					return // the glob matches nothing: another problem
				}
				_, err := Load(filepath.Join(dir, "config.yaml"), At(testNow), envOf(nil), registry.Default())
				check("Load", err)
			})
		})
	}
}

// The config file itself is refused the same way, with an error naming it.
func TestHostileConfigFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, load := range map[string]func(string, Clock, LookupEnv, Registry) (*Config, error){"Load": Load, "LoadMain": LoadMain} {
		promptly(t, name, func() {
			_, err := load(path, At(testNow), envOf(nil), registry.Default())
			if want := "config: read " + path + ": a named pipe, not a regular file"; err == nil || err.Error() != want {
				t.Errorf("%s: err = %v, want %s", name, err, want)
			}
		})
	}
}

// LoadMain does not open the credential files: a FIFO among them would
// block an open for reading until a writer came.
func TestLoadMainOpensNoCredentialFile(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "creds.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	var cfg *Config
	promptly(t, "LoadMain", func() {
		var err error
		if cfg, err = LoadMain(writeFile(t, dir, "config.yaml", fileMain), At(testNow), envOf(nil), registry.Default()); err != nil {
			t.Errorf("LoadMain: %v", err)
		}
	})
	if cfg == nil {
		return
	}
	if want := []string{filepath.Join(dir, "creds.yaml")}; len(cfg.Files) != 1 || cfg.Files[0] != want[0] {
		t.Errorf("Files = %q, want %q", cfg.Files, want)
	}
	promptly(t, "ReadCredentialFile", func() {
		_, _, err := cfg.ReadCredentialFile(cfg.Files[0])
		if got := problemStrings(err); len(got) != 1 || !strings.HasPrefix(got[0], "creds.yaml: cannot read: a named pipe") {
			t.Errorf("problems %q", got)
		}
	})
}
