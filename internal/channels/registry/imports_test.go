package registry_test

import (
	"errors"
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/notifier-dev/notifier"

// Only the registry imports the integrations (DESIGN.md's Layout): no
// other package of the module, nor one integration another, so that config,
// the engine and the HTTP API link no vendor's SDK through them. The
// integrations are the registry's own imports under internal/channels/;
// tests may import them.
func TestOnlyTheRegistryImportsIntegrations(t *testing.T) {
	pkgs := modulePackages(t)
	const registry = module + "/internal/channels/registry"
	reg, ok := pkgs[registry]
	if !ok {
		t.Fatalf("%s not found", registry)
	}
	var integrations []string
	for _, imp := range reg.Imports {
		if strings.HasPrefix(imp, module+"/internal/channels/") {
			integrations = append(integrations, imp)
		}
	}
	if len(integrations) < 5 {
		t.Fatalf("the registry imports %v; want the five integrations at least", integrations)
	}
	for path, p := range pkgs {
		if path == registry {
			continue
		}
		for _, imp := range p.Imports {
			if slices.Contains(integrations, imp) {
				t.Errorf("%s imports the integration %s: only the registry may", path, imp)
			}
		}
	}
}

// modulePackages reads every package of the module (its non-test files,
// for this platform), by import path.
func modulePackages(t *testing.T) map[string]*build.Package {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	pkgs := map[string]*build.Package{}
	err = filepath.WalkDir(root, func(dir string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		name := d.Name()
		if dir != root && (name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			return filepath.SkipDir
		}
		p, err := build.ImportDir(dir, 0)
		var none *build.NoGoError
		if errors.As(err, &none) {
			return nil
		}
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, dir)
		if err != nil {
			return err
		}
		pkgs[filepath.ToSlash(filepath.Join(module, rel))] = p
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 10 {
		t.Fatalf("found %d packages under %s", len(pkgs), root)
	}
	return pkgs
}
