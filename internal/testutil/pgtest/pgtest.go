// Package pgtest runs a throwaway PostgreSQL cluster for tests: initdb and
// pg_ctl (Debian's postgresql package) in a temporary folder, listening on
// a free 127.0.0.1 port only, started once per test package (Main, from
// TestMain) and removed after; every test gets a database of its own
// (Database), created from the cluster's template1 and dropped after.
//
// initdb refuses to run as root. Under root the cluster runs as the
// postgres system user that Debian's package creates (nobody where there
// is none): the folder is handed to that user and the server processes
// are started with its uid and gid (no su or sudo needed). Authentication
// is trust for the cluster's superuser on 127.0.0.1, plus one role with a
// password (PasswordRole), so that tests can try a wrong one.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// Install is what to install when PostgreSQL is missing.
const Install = "PostgreSQL is missing: install Debian's postgresql package (apt-get install postgresql; scripts/test does it) so that initdb and pg_ctl are found"

// PasswordRole and Password are a role that must give a password
// (scram-sha-256): the stores' tests connect as it.
const (
	PasswordRole = "notifier_pw"
	Password     = "pgtest-secret-4f1c"
)

// Server is a running cluster.
type Server struct {
	Dir  string // the folder holding the data directory and the log
	Port int
	// runAs is the uid and gid the server runs under; nil: this process's.
	runAs *syscall.Credential
	bin   string
	seq   atomic.Int64

	tmplMu    sync.Mutex
	templates map[string]bool
}

var current *Server

// Main starts a cluster, runs the package's tests and stops it, removing
// its folder. A package whose tests need PostgreSQL calls it from
// TestMain. Without PostgreSQL every test fails with Install's line: a
// missing server is not a reason to pass.
func Main(m *testing.M) int {
	s, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 1
	}
	current = s
	code := m.Run()
	if err := s.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
	}
	return code
}

// Current is the cluster Main started.
func Current(t testing.TB) *Server {
	t.Helper()
	if current == nil {
		t.Fatal("pgtest: no cluster: call pgtest.Main from the package's TestMain")
	}
	return current
}

// binDir finds initdb and pg_ctl: on PATH, else in Debian's versioned
// folders (the package does not put them on PATH).
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for i := len(dirs) - 1; i >= 0; i-- { // the newest version first
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	return "", errors.New(Install)
}

// Start creates and starts a cluster.
func Start() (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("temp folder: %w", err)
	}
	s := &Server{Dir: dir, bin: bin}
	if os.Getuid() == 0 {
		if s.runAs, err = unprivileged(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		if err := os.Chown(dir, int(s.runAs.Uid), int(s.runAs.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("temp folder: %w", err)
		}
	}
	if err := s.start(); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// unprivileged is the user a root test run starts the cluster as.
func unprivileged() (*syscall.Credential, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root and neither a postgres nor a nobody user exists to run PostgreSQL as (initdb refuses root)")
}

func (s *Server) data() string { return filepath.Join(s.Dir, "data") }

func (s *Server) run(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	if s.runAs != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.runAs}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (s *Server) start() error {
	if err := s.run("initdb", "-D", s.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"); err != nil {
		return err
	}
	// Trust for the superuser on loopback; a password for everyone else.
	hba := "host all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
	if err := os.WriteFile(filepath.Join(s.data(), "pg_hba.conf"), []byte(hba), 0o600); err != nil {
		return fmt.Errorf("pg_hba.conf: %w", err)
	}
	if s.runAs != nil {
		os.Chown(filepath.Join(s.data(), "pg_hba.conf"), int(s.runAs.Uid), int(s.runAs.Gid))
	}
	var lastErr error
	for range 5 { // a free port can be taken between the probe and the start
		port, err := freePort()
		if err != nil {
			return err
		}
		s.Port = port
		opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", port)
		lastErr = s.run("pg_ctl", "-D", s.data(), "-l", filepath.Join(s.Dir, "log"), "-w", "-t", "60", "-o", opts, "start")
		if lastErr == nil {
			break
		}
	}
	if lastErr != nil {
		log, _ := os.ReadFile(filepath.Join(s.Dir, "log"))
		return fmt.Errorf("%w\n%s", lastErr, log)
	}
	db, err := sql.Open("pgx", s.URL("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(`CREATE ROLE ` + PasswordRole + ` LOGIN CREATEDB PASSWORD '` + Password + `'`)
	return err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// URL is a connection URL for the database as the superuser (no password).
func (s *Server) URL(database string) string {
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Host: "127.0.0.1:" + strconv.Itoa(s.Port), Path: "/" + database,
		RawQuery: "sslmode=disable"}
	return u.String()
}

// PasswordURL is a URL for the database as PasswordRole, without the
// password (the caller gives it, or a wrong one).
func (s *Server) PasswordURL(database string) string {
	u := url.URL{Scheme: "postgres", User: url.User(PasswordRole), Host: "127.0.0.1:" + strconv.Itoa(s.Port), Path: "/" + database,
		RawQuery: "sslmode=disable"}
	return u.String()
}

// Database creates an empty database for the test, owned by PasswordRole,
// dropped when the test ends, and returns its name.
func (s *Server) Database(t testing.TB) string {
	t.Helper()
	return s.DatabaseFrom(t, "template1")
}

// DatabaseFrom is Database copied from a template database (one that
// Template made, say): a copy is faster than migrating each new one.
// The copy is a file copy (STRATEGY FILE_COPY, PostgreSQL 15 and later):
// with fsync off, twice as fast as the default WAL-logged copy for the
// suite's hundred and more small databases.
func (s *Server) DatabaseFrom(t testing.TB, template string) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), s.seq.Add(1))
	if err := s.Exec(t.Context(), `CREATE DATABASE `+name+` OWNER `+PasswordRole+` TEMPLATE `+template+` STRATEGY FILE_COPY`); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.Exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return name
}

// Exec runs statements as the superuser on the postgres database.
func (s *Server) Exec(ctx context.Context, query string) error {
	db, err := sql.Open("pgx", s.URL("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, query); err != nil {
		return fmt.Errorf("%s: %w", query, err)
	}
	return nil
}

// Restart stops the server (fast: connections are cut) and starts it again
// on the same port: what a database restart under a running daemon does.
func (s *Server) Restart() error {
	if err := s.run("pg_ctl", "-D", s.data(), "-m", "fast", "-w", "stop"); err != nil {
		return err
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", s.Port)
	return s.run("pg_ctl", "-D", s.data(), "-l", filepath.Join(s.Dir, "log"), "-w", "-t", "60", "-o", opts, "start")
}

// Stop stops the server and removes its folder.
func (s *Server) Stop() error {
	var err error
	if _, serr := os.Stat(filepath.Join(s.data(), "postmaster.pid")); serr == nil {
		err = s.run("pg_ctl", "-D", s.data(), "-m", "immediate", "-w", "stop")
	}
	if rerr := os.RemoveAll(s.Dir); err == nil {
		err = rerr
	}
	return err
}

var (
	sharedOnce sync.Once
	sharedErr  error
)

// Shared is the package's cluster, started at the first call: for a test
// package where few tests need PostgreSQL (they fail, naming what to
// install, when it is missing; the others run). TestMain calls StopShared
// after m.Run.
func Shared(t testing.TB) *Server {
	t.Helper()
	if current != nil {
		return current
	}
	sharedOnce.Do(func() { current, sharedErr = Start() })
	if sharedErr != nil {
		t.Fatalf("pgtest: %v", sharedErr)
	}
	return current
}

// StopShared stops the cluster Shared started, if any.
func StopShared() {
	if current != nil {
		if err := current.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
}

// UserURL is the URL of a database as PasswordRole, with the password.
func (s *Server) UserURL(database string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(PasswordRole, Password), Host: "127.0.0.1:" + strconv.Itoa(s.Port), Path: "/" + database,
		RawQuery: "sslmode=disable"}
	return u.String()
}

// Template makes, once per name, a database that prepare fills (given its
// URL as PasswordRole), to copy with DatabaseFrom; it is kept until the
// cluster stops.
func (s *Server) Template(t testing.TB, name string, prepare func(url string) error) string {
	t.Helper()
	s.tmplMu.Lock()
	defer s.tmplMu.Unlock()
	if s.templates[name] {
		return name
	}
	if err := s.Exec(t.Context(), `CREATE DATABASE `+name+` OWNER `+PasswordRole+` TEMPLATE template1`); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if err := prepare(s.UserURL(name)); err != nil {
		t.Fatalf("pgtest: template %s: %v", name, err)
	}
	if s.templates == nil {
		s.templates = map[string]bool{}
	}
	s.templates[name] = true
	return name
}
