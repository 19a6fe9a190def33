package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/notifier-dev/notifier/internal/domain"
)

// MaxFileSize is the most a config or credential file may hold: 64 MiB is
// some 600,000 credentials, and a bound keeps a mistaken or hostile file
// from taking the daemon's memory.
const MaxFileSize = 64 << 20

// chunkItems is how many credentials: items are parsed at a time: a
// YAML node tree costs about 2 KB a credential, so 1,000 keep a file of
// any size within a few MB of trees.
const chunkItems = 1000

// StatConfigFile describes the file at path (absolute, or relative to dir,
// the main config's folder) by its size and modification time, without
// reading it: the engine's test of whether a file changed since it was
// last read. Path is relative to dir. Anything but a regular file of at
// most MaxFileSize is a problem; the error is then Problems.
func StatConfigFile(dir, path string) (domain.ConfigFile, error) {
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	name := relTo(dir, path)
	fi, err := statRegular(path)
	if err != nil {
		return domain.ConfigFile{}, Problems{fileProblem(name, err)}
	}
	return domain.ConfigFile{Path: name, Size: fi.Size(), ModTime: fi.ModTime().UTC()}, nil
}

// ReadCredentialFile reads one credential file, at path (absolute, or
// relative to the config's folder), and checks its credentials against c:
// defaults, policies, rotated_at not after the clock's now, ids unique
// within the file (Load checks them across files). On any problem the
// error is Problems, every one found. The ConfigFile is the file as read
// (Path relative to the config's folder, Hash the hex SHA-256 of its
// bytes), also given with problems; it is zero when the file could not be
// read. A Config from LoadMain or Load can read several files at once.
func (c *Config) ReadCredentialFile(path string) ([]Credential, domain.ConfigFile, error) {
	return c.readCredentialFile(path, chunkItems)
}

// readCredentialFile is ReadCredentialFile parsing per items at a time,
// or the whole file at once if per is 0.
func (c *Config) readCredentialFile(path string, per int) ([]Credential, domain.ConfigFile, error) {
	now := time.Time{}
	if c.clock != nil {
		now = c.clock(c.Location)
	}
	r := c.readFile(path, now, per)
	l := &loader{}
	l.addAll(r.problems)
	first := l.check(r.creds, r.meta, c.Policies, make(map[string]place, len(r.creds)))
	if _, ok := c.Policies[c.defaultPolicy]; !ok && first >= 0 {
		// LoadMain could not tell that this file would need it; one problem
		// for the file is enough.
		m := r.meta[first]
		l.errAt(r.creds[first].File, m.line, m.key()+".policy",
			"missing, and the default %q is not defined under policies: (define it, give a policy:, or set defaults.policy)", c.defaultPolicy)
	}
	if ps := l.done(); len(ps) > 0 {
		return nil, r.file, ps
	}
	return r.creds, r.file, nil
}

// fileResult is one credential file, read and decoded but not checked.
type fileResult struct {
	creds    []Credential
	meta     []credMeta
	file     domain.ConfigFile
	problems Problems
}

// readFile reads and decodes one credential file, per items at a time
// (0: all at once), judging rotated_at against now.
func (c *Config) readFile(path string, now time.Time, per int) fileResult {
	if !filepath.IsAbs(path) {
		path = filepath.Join(c.Dir, path)
	}
	l := c.fileLoader(relTo(c.Dir, path), now)
	data, cf, err := readRegular(path)
	if err != nil {
		return fileResult{problems: Problems{fileProblem(l.file, err)}}
	}
	cf.Path = l.file
	creds, meta := l.credentialFile(data, per)
	return fileResult{creds: creds, meta: meta, file: cf, problems: l.done()}
}

// fileLoader reads the credential file that problems call name.
func (c *Config) fileLoader(name string, now time.Time) *credReader {
	env := c.env
	if env == nil {
		env = os.LookupEnv
	}
	return c.credentialReader(&loader{file: name, env: env, now: now, loc: c.Location}, true)
}

// loadFiles reads every credential file of cfg, GOMAXPROCS at a time, and
// checks them in order, ids across all files and the main one.
func (l *mainLoad) loadFiles(cfg *Config) {
	seen := make(map[string]place, len(cfg.Credentials))
	for _, c := range cfg.Credentials {
		if _, dup := seen[c.ID]; c.ID != "" && !dup { // the main file's duplicates are reported
			seen[c.ID] = place{c.File, c.Line}
		}
	}
	usesDefault := l.mainUsesDefault
	parts, total := [][]Credential{cfg.Credentials}, len(cfg.Credentials)
	for r := range cfg.readFiles(cfg.Files, l.now) {
		l.addAll(r.problems)
		if l.check(r.creds, r.meta, cfg.Policies, seen) >= 0 {
			usesDefault = true
		}
		if l.clients == nil {
			l.clients = map[string]place{}
		}
		l.checkClients(r.creds, r.meta, l.clients)
		parts, total = append(parts, r.creds), total+len(r.creds)
	}
	// Joined once: appending file by file would copy a large fleet over
	// and over.
	cfg.Credentials = make([]Credential, 0, total)
	for _, p := range parts {
		cfg.Credentials = append(cfg.Credentials, p...)
	}
	l.checkDefaultPolicy(cfg, usesDefault)
}

// Files and chunks are parsed on this many cores at most: each file in
// flight parses its chunks in parallel too, and every chunk in flight holds
// a tree, so a machine with many cores must not hold that many trees.
const (
	parallelFiles  = 8
	parallelChunks = 4
)

// readFiles reads files on several cores, yielding them in order.
func (c *Config) readFiles(paths []string, now time.Time) iter.Seq[fileResult] {
	return inOrder(len(paths), parallelFiles, func(i int) fileResult { return c.readFile(paths[i], now, chunkItems) })
}

// inOrder runs f(0), ..., f(n-1) on up to limit cores (GOMAXPROCS if
// fewer) and yields the results in order. No more results than that are
// made ahead of the consumer, so that few files or trees are held at once.
func inOrder[T any](n, limit int, f func(int) T) iter.Seq[T] {
	return func(yield func(T) bool) {
		results := make([]chan T, n)
		for i := range results {
			results[i] = make(chan T, 1)
		}
		slots := make(chan struct{}, min(limit, runtime.GOMAXPROCS(0)))
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			for i := range n {
				select {
				case slots <- struct{}{}:
				case <-stop:
					return
				}
				go func() { results[i] <- f(i) }()
			}
		}()
		for i := range n {
			r := <-results[i]
			if !yield(r) {
				return
			}
			<-slots
		}
	}
}

// credentialFile decodes a credential file: its items per at a time when
// it is a plain block list under credentials: and per > 0, else the whole
// document. Both give the same credentials and the same problems.
func (l *credReader) credentialFile(data []byte, per int) ([]Credential, []credMeta) {
	if chunks, ok := splitItems(data, per); ok {
		before, dropped := len(l.problems), l.dropped
		if creds, meta, ok := l.chunked(data, chunks); ok {
			return creds, meta
		}
		l.problems, l.dropped = l.problems[:before], dropped
	}
	// A tree costs some 500 bytes a node, which a file can make 2 bytes
	// long ("[1,1,1,…"): only a file of few nodes is parsed whole.
	if n := yamlNodes(data); n > MaxWholeNodes {
		l.errAt(l.file, 0, "credentials", "about %d YAML nodes, more than the %d a file read whole may hold (only a plain list, `credentials:` then block items `- ...`, is read in parts: write it so, or split it)", n, MaxWholeNodes)
		return nil, nil
	}
	root := l.parse(data)
	if root == nil {
		return nil, nil
	}
	var b credentialFileBlock
	l.decode(root, "", &b)
	v := b.Credentials
	if v == nil {
		l.errf(root, "credentials", "missing: a credential file holds a credentials: list")
		return nil, nil
	}
	return l.credentials(v)
}

// MaxWholeNodes bounds the YAML nodes of a credential file parsed whole
// (one not in the plain layout that is parsed in parts): some 250 MB of
// tree, tens of thousands of credentials.
const MaxWholeNodes = 500_000

// yamlNodes estimates, from above, how many nodes parsing data makes: a
// node starts at each run of text between separators, and at each
// bracket.
func yamlNodes(data []byte) int {
	n, inText := 0, false
	for _, b := range data {
		switch b {
		case '[', '{':
			n++
			inText = false
		case ' ', '\n', '\t', '\r', ',', ']', '}', ':':
			inText = false
		default:
			if !inText {
				n++
				inText = true
			}
		}
	}
	return n
}

// credentialFileBlock is a credential file's top level.
type credentialFileBlock struct {
	Credentials *yaml.Node `yaml:"credentials"`
}

// chunk is a run of credentials: items, whole lines of the file.
type chunk struct {
	start, end int // byte offsets
	line       int // the file's line number of its first line
	items      int
}

// chunkHeader starts every chunk's text, on the line before its first.
const chunkHeader = "credentials:\n"

// chunked decodes each chunk as its own document, the header followed by
// the chunk's lines, with node lines moved to the file's; chunks are
// parsed on several cores, and checked in order. A chunk that does not parse
// (an alias to an anchor in another chunk, a quote left open across a cut,
// or plain bad YAML) or does not hold exactly its items says false: the
// caller parses the whole file, and finds the true error.
func (l *credReader) chunked(data []byte, chunks []chunk) ([]Credential, []credMeta, bool) {
	total := 0
	for _, ch := range chunks {
		total += ch.items
	}
	var creds []Credential
	var meta []credMeta
	parse := func(i int) *yaml.Node {
		ch := chunks[i]
		text := make([]byte, 0, len(chunkHeader)+ch.end-ch.start)
		text = append(append(text, chunkHeader...), data[ch.start:ch.end]...)
		var doc yaml.Node
		if err := yaml.Unmarshal(text, &doc); err != nil {
			return nil
		}
		seq := chunkItemsOf(&doc)
		if seq == nil || len(seq.Content) != ch.items {
			return nil
		}
		for _, n := range seq.Content {
			shiftLines(n, ch.line-2) // the chunk's line 2 is the file's ch.line
		}
		return seq
	}
	first := 0
	for seq := range inOrder(len(chunks), parallelChunks, parse) {
		if seq == nil {
			return nil, nil, false
		}
		creds, meta = l.items(seq.Content, first, creds, meta)
		first += len(seq.Content)
		if first == len(seq.Content) && len(creds) > 0 {
			// Room for the items to come, as many as the first chunk's
			// share of credentials says: none for a file of items that
			// are not ("- 1" a line).
			n := (total - first) * len(creds) / first
			creds, meta = slices.Grow(creds, n), slices.Grow(meta, n)
		}
	}
	return creds, meta, true
}

// chunkItemsOf is the credentials: sequence of a chunk's document.
func chunkItemsOf(doc *yaml.Node) *yaml.Node {
	if len(doc.Content) != 1 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode || len(root.Content) != 2 || root.Content[0].Value != "credentials" || root.Content[1].Kind != yaml.SequenceNode {
		return nil
	}
	return root.Content[1]
}

func shiftLines(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}

// splitItems cuts a credential file into chunks of at most per items, by
// reading lines, not YAML. It accepts only the plain layout: comments and
// blank lines, one top-level line `credentials:` (a comment may follow),
// then a block list whose items start `- ` at one indentation, every other
// line indented further, or a comment. At such a line a new item starts in
// any YAML (a block scalar or a plain scalar ends before a line indented
// no further than its item), so each chunk is its items' own text; quotes
// or brackets left open across a cut fail to parse, and the caller then
// falls back on the whole file. Anything else says false: tabs, CR line
// ends, a byte-order mark, other keys, flow style, several documents,
// directives; and so does per <= 0.
func splitItems(data []byte, per int) ([]chunk, bool) {
	if per <= 0 || len(data) == 0 || data[0] >= 0x80 || bytes.ContainsAny(data, "\t\r\x00") {
		return nil, false
	}
	var chunks []chunk
	header, indent := false, -1
	line := 0
	for pos := 0; pos < len(data); {
		end := bytes.IndexByte(data[pos:], '\n')
		next := pos + end + 1
		if end < 0 {
			end, next = len(data)-pos, len(data)
		}
		text := data[pos : pos+end]
		line++
		trimmed := bytes.TrimLeft(text, " ")
		ind := len(text) - len(trimmed)
		switch {
		case len(trimmed) == 0 || trimmed[0] == '#':
		case !header:
			if ind != 0 || !isHeader(trimmed) {
				return nil, false
			}
			header = true
		case indent < 0:
			if !isItem(trimmed) {
				return nil, false
			}
			indent = ind
			chunks = append(chunks, chunk{start: pos, line: line, items: 1})
		case ind < indent, ind == indent && !isItem(trimmed):
			return nil, false
		case ind == indent:
			if last := &chunks[len(chunks)-1]; last.items == per {
				last.end = pos
				chunks = append(chunks, chunk{start: pos, line: line})
			}
			chunks[len(chunks)-1].items++
		}
		pos = next
	}
	if len(chunks) == 0 {
		return nil, false // no items: the whole parse says what is wrong
	}
	chunks[len(chunks)-1].end = len(data)
	return chunks, true
}

// isHeader: `credentials:`, alone or before a comment.
func isHeader(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, []byte("credentials:"))
	if !ok {
		return false
	}
	if len(rest) == 0 {
		return true
	}
	if rest[0] != ' ' {
		return false
	}
	rest = bytes.TrimLeft(rest, " ")
	return len(rest) == 0 || rest[0] == '#'
}

// isItem: a block list item's `- `, or a lone `-`.
func isItem(line []byte) bool {
	return line[0] == '-' && (len(line) == 1 || line[1] == ' ')
}

// statRegular stats path and refuses anything but a regular file of at
// most MaxFileSize: reading a FIFO would block, a device may never end.
// The error names path.
func statRegular(path string) (fs.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	return fi, regular(path, fi)
}

func regular(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%s, not a regular file", kind(fi.Mode()))}
	}
	if fi.Size() > MaxFileSize {
		return tooLarge(path, fmt.Sprintf("%d bytes, more than", fi.Size()))
	}
	return nil
}

func tooLarge(path, what string) error {
	return &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%s the %d MiB a config file may hold", what, MaxFileSize>>20)}
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "a special file"
}

// readRegular reads a regular file of at most MaxFileSize bytes and
// describes it (all but its Path). It stats before opening, so that a FIFO
// is refused before an open that would wait for a writer; it opens
// without blocking and checks the opened file itself, in case the path was
// swapped in between; and it reads at most MaxFileSize+1 bytes, in case
// the file grows.
func readRegular(path string) ([]byte, domain.ConfigFile, error) {
	f, fi, err := openRegular(path)
	if err != nil {
		return nil, domain.ConfigFile{}, err
	}
	defer f.Close()
	// A regular file's reads never wait, whatever O_NONBLOCK says.
	buf := bytes.NewBuffer(make([]byte, 0, fi.Size()+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(f, MaxFileSize+1)); err != nil {
		return nil, domain.ConfigFile{}, err
	}
	if buf.Len() > MaxFileSize {
		return nil, domain.ConfigFile{}, tooLarge(path, "grew while read to more than")
	}
	sum := sha256.Sum256(buf.Bytes())
	return buf.Bytes(), domain.ConfigFile{Size: fi.Size(), ModTime: fi.ModTime().UTC(), Hash: hex.EncodeToString(sum[:])}, nil
}

// openRegular opens a regular file of at most MaxFileSize bytes, as
// readRegular reads it: stat first, open without blocking, check the
// opened file itself.
func openRegular(path string) (*os.File, fs.FileInfo, error) {
	if _, err := statRegular(path); err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil {
		err = regular(path, fi)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// OpenRegular opens path for a reader that is not the loader (shell
// completion) under the loader's rules: a named pipe, a device, a
// folder or a file of more than MaxFileSize bytes is refused, never
// waited on or read without end; the reader stops at MaxFileSize bytes.
func OpenRegular(path string) (io.ReadCloser, error) {
	f, _, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, MaxFileSize), f}, nil
}

// fileProblem is a file that cannot be read, named as problems name it.
func fileProblem(name string, err error) Problem {
	msg := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		msg = "cannot " + pe.Op + ": " + pe.Err.Error()
	}
	return Problem{File: name, Msg: msg, Err: err}
}

// CredentialFiles matches the credential_files globs again, as the engine
// does before every sync, so that a file an operator adds to a folder is
// synced without a restart: absolute paths, sorted within each glob, each
// once, in glob order. A glob that now matches nothing adds no file (its
// files left the config); only a malformed glob is an error.
func (c *Config) CredentialFiles() ([]string, error) {
	var files []string
	seen := map[string]bool{}
	for _, g := range c.Sources[min(1, len(c.Sources)):] {
		matches, err := filepath.Glob(g)
		if err != nil {
			return nil, fmt.Errorf("config: %s: %w", g, err)
		}
		sort.Strings(matches)
		for _, m := range matches {
			if m = filepath.Clean(m); !seen[m] {
				seen[m] = true
				files = append(files, m)
			}
		}
	}
	return files, nil
}
