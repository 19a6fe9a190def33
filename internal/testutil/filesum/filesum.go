// Package filesum takes the sha256 of every file of a folder, for tests
// that prove a command left a database's files (and -wal, -shm) as they
// were and created none.
package filesum

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

// Dir maps the name of every file of dir to the hex sha256 of its content.
func Dir(t testing.TB, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, en := range entries {
		body, err := os.ReadFile(filepath.Join(dir, en.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(body)
		out[en.Name()] = hex.EncodeToString(sum[:])
	}
	return out
}
