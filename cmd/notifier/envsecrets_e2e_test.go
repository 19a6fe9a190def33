package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ${ENV} in owner:, which is stored in the database and printed, is
// refused by check and by every command that loads the config, at its
// file:line and key; the environment value appears in no output, and no
// database is created to hold it.
func TestEndToEndEnvOnlyWhereSecretsBelong(t *testing.T) {
	e := newEnv(t, "2026-06-01")
	e.writeCreds("  - {id: sp-api-prod, name: SP-API, owner: \"${OWNER}\", rotated_at: 2026-06-01}\n")
	const owner = "owner-from-env-Q7x2k9"
	environ := append(os.Environ(), "OWNER="+owner)
	want := "config.yaml:12: credentials[0].owner: ${OWNER}: ${NAME} is for secrets only (tokens, passwords, keys, secret URLs and headers, the database URL), and this value would be stored and shown: write it into the file\n"
	for _, args := range [][]string{{"check"}, {"tick", "--at", "2026-11-21T00:00:00Z"}, {"status"}} {
		out, errs, code := e.runWithEnv(environ, args...)
		if code != 1 || !strings.Contains(errs, want) {
			t.Errorf("%v: exit %d, stderr:\n%s\nwant exit 1 and the line %s", args, code, errs, want)
		}
		if n := strings.Count(out+errs, owner); n != 0 {
			t.Errorf("%v: the environment value appears %d times in the output:\n%s%s", args, n, out, errs)
		}
	}
	if _, err := os.Stat(filepath.Join(e.dir, "notifier.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused config created the database: %v", err)
	}
}
