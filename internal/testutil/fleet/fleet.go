// Package fleet writes a config with many generated credentials, for the
// benchmarks and the scale run.
package fleet

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// PerFile is how many credentials each generated file holds.
const PerFile = 5000

// mainConfig is the fleet's config file, with its credentials elsewhere.
const mainConfig = `database: notifier.db
timezone: UTC
policies:
  standard:
    - {before: 30d, channels: [console]}
    - {before: 7d,  channels: [console]}
    - {before: 24h, channels: [console]}
    - {after: 0s, repeat: 24h, channels: [console]}
channels:
  console: {type: stdout}
credential_files: [%q]
`

// WriteOneFile is Write with every credential in one file,
// dir/credentials.yaml.
func WriteOneFile(dir string, n int, now time.Time) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(mainConfig, "credentials.yaml")), 0o644); err != nil {
		return "", err
	}
	return cfg, writeCredentials(filepath.Join(dir, "credentials.yaml"), 0, n, now)
}

// Write creates dir/config.yaml and dir/credentials.d/*.yaml with n
// credentials rotated between 1 and 120 days before now, so that with the
// standard ladder (first stage 30 days before a 180-day deadline) nothing is
// due at now. Every channel is a stdout channel: no server is needed.
func Write(dir string, n int, now time.Time) (string, error) {
	return WriteWith(dir, mainConfig, n, now)
}

// WriteWith is Write with another main config: main is a format with one
// %q, where the credential files' glob goes.
func WriteWith(dir, main string, n int, now time.Time) (string, error) {
	if err := os.MkdirAll(filepath.Join(dir, "credentials.d"), 0o755); err != nil {
		return "", err
	}
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(main, "credentials.d/*.yaml")), 0o644); err != nil {
		return "", err
	}
	for file := 0; file*PerFile < n; file++ {
		path := filepath.Join(dir, "credentials.d", fmt.Sprintf("fleet-%04d.yaml", file))
		if err := writeCredentials(path, file*PerFile, min(n, (file+1)*PerFile), now); err != nil {
			return "", err
		}
	}
	return cfg, nil
}

// writeCredentials writes credentials from to to-1 into one file, rotated
// between 1 and 120 days before now.
func writeCredentials(path string, from, to int, now time.Time) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "credentials:")
	for i := from; i < to; i++ {
		rotated := now.Add(-time.Duration(1+i%120) * 24 * time.Hour).UTC().Format(time.RFC3339)
		fmt.Fprintf(w, "  - {id: cred-%06d, name: \"Generated credential %d\", owner: team-%d, rotated_at: %s}\n", i, i, i%50, rotated)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
