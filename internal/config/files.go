package config

import (
	"crypto/sha256"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"sort"

	"gopkg.in/yaml.v3"
)

// parsedFile is one credential file, read and parsed.
type parsedFile struct {
	path    string
	doc     *yaml.Node
	err     error // the parser's
	readErr error
}

// parseFiles reads and parses files on every core, yielding them in order.
// At most GOMAXPROCS files are parsed ahead of the consumer, so a fleet
// split across many files never holds more than a few parse trees at once.
func parseFiles(paths []string) iter.Seq[parsedFile] {
	return func(yield func(parsedFile) bool) {
		ahead := runtime.GOMAXPROCS(0)
		results := make([]chan parsedFile, len(paths))
		for i := range results {
			results[i] = make(chan parsedFile, 1)
		}
		slots := make(chan struct{}, ahead)
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			for i, p := range paths {
				select {
				case slots <- struct{}{}:
				case <-stop:
					return
				}
				go func() {
					r := parsedFile{path: p}
					data, err := os.ReadFile(p)
					if err != nil {
						r.readErr = err
					} else {
						r.doc = &yaml.Node{}
						r.err = yaml.Unmarshal(data, r.doc)
					}
					results[i] <- r
				}()
			}
		}()
		for i := range paths {
			r := <-results[i]
			if !yield(r) {
				return
			}
			<-slots
		}
	}
}

// Fingerprint hashes the config file and every file its credential_files
// globs match now (names and contents). The daemon compares it before each
// tick and reloads only on a change: hashing is far cheaper than parsing a
// large fleet.
func Fingerprint(sources []string) ([sha256.Size]byte, error) {
	h := sha256.New()
	for i, src := range sources {
		files := []string{src}
		if i > 0 {
			var err error
			if files, err = filepath.Glob(src); err != nil {
				return [sha256.Size]byte{}, fmt.Errorf("config: %w", err)
			}
			sort.Strings(files)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return [sha256.Size]byte{}, fmt.Errorf("config: %w", err)
			}
			fmt.Fprintf(h, "%s\x00%d\x00", f, len(data))
			h.Write(data)
		}
	}
	var sum [sha256.Size]byte
	copy(sum[:], h.Sum(nil))
	return sum, nil
}
