// Package e2e runs Parley end to end: the real binary, started as a separate
// process on a free loopback port, driven over HTTP and websockets by the
// official AWS SDK clients, amazon-connect-chatjs in a real browser, and Go
// tests.
//
// The helpers here are meant for every Go end-to-end test: [Build] compiles
// the server once per test process, [Start] runs it on a fresh data
// directory and waits until /healthz answers, and the returned [Server] can be
// killed, stopped and restarted on the same data directory and port. A
// server's log is kept and printed when its test fails.
package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Bootstrap is the content of the bootstrap.json file a server writes into
// its data directory on first start: the instance it created and the
// credentials to reach it.
type Bootstrap struct {
	InstanceID       string `json:"instanceId"`
	Region           string `json:"region"`
	AccessKeyID      string `json:"accessKeyId"`
	SecretAccessKey  string `json:"secretAccessKey"`
	AdminUsername    string `json:"adminUsername"`
	AdminPassword    string `json:"adminPassword"`
	InboundFlowID    string `json:"inboundFlowId"`
	BasicQueueID     string `json:"basicQueueId"`
	RoutingProfileID string `json:"routingProfileId"`
}

// Options configure [Start]. The zero value runs an embedded (SQLite) server
// on a free port with a fresh data directory.
type Options struct {
	// Addr is the listen address; empty means a free port on 127.0.0.1.
	Addr string
	// DataDir is the data directory; empty means a new temporary one.
	DataDir string
	// DB is passed as --db (e.g. a PostgreSQL URL); empty means embedded SQLite.
	DB string
	// Region is passed as --region when set.
	Region string
	// PublicURL is passed as --public-url when set.
	PublicURL string
	// Args are extra command-line arguments appended after the others.
	Args []string
	// Env holds extra KEY=VALUE environment entries for the server process.
	Env []string
	// ReadyTimeout bounds the wait for /healthz; zero means 2 minutes.
	ReadyTimeout time.Duration
}

// Server is a running (or stopped) parley process.
type Server struct {
	// Endpoint is the base URL, e.g. http://127.0.0.1:41234.
	Endpoint string
	// Addr is the listen address, host:port.
	Addr string
	// DataDir is the server's data directory.
	DataDir string
	// BootstrapPath is DataDir/bootstrap.json.
	BootstrapPath string
	// Bootstrap is the parsed bootstrap file, read when the server became ready.
	Bootstrap Bootstrap

	binary string
	opts   Options
	logs   *syncBuffer

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
	err    error         // cmd.Wait's result, valid once exited is closed
	// ended is set by Stop and Kill: an exit after it was asked for.
	ended bool
}

// stopGrace is how long Stop waits after SIGTERM before it kills.
const stopGrace = 30 * time.Second

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
	buildDir  string
)

// Build compiles ./cmd/parley once per test process and returns the path of
// the binary. It is built with -race when the tests are. Setting
// PARLEY_E2E_BINARY to an existing binary skips the build.
func Build(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("PARLEY_E2E_BINARY"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("PARLEY_E2E_BINARY: %v", err)
		}
		return p
	}
	buildOnce.Do(func() {
		root, err := ModuleRoot()
		if err != nil {
			buildErr = err
			return
		}
		buildDir, err = os.MkdirTemp("", "parley-e2e-bin-")
		if err != nil {
			buildErr = fmt.Errorf("build: %w", err)
			return
		}
		out := filepath.Join(buildDir, "parley")
		args := []string{"build", "-o", out}
		if raceEnabled {
			args = append(args, "-race")
		}
		args = append(args, "./cmd/parley")
		cmd := exec.Command("go", args...)
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, b)
			return
		}
		buildPath = out
	})
	if buildErr != nil {
		t.Fatalf("building the server: %v", buildErr)
	}
	return buildPath
}

// RemoveBuild deletes the binary made by [Build]. Call it from TestMain after
// the tests have run.
func RemoveBuild() {
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
}

// ModuleRoot returns the directory holding the module's go.mod.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("go env GOMOD: not inside a module")
	}
	return filepath.Dir(mod), nil
}

// Start runs `parley serve` with opts and waits until GET /healthz answers
// 200 and bootstrap.json can be read. The server is stopped when the test
// ends; its log is printed if the test failed, and a data race it reports
// fails the test.
func Start(t testing.TB, binary string, opts Options) *Server {
	t.Helper()
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	if opts.Addr == "" {
		opts.Addr = FreeAddr(t)
	}
	if opts.ReadyTimeout == 0 {
		opts.ReadyTimeout = 2 * time.Minute
	}
	s := &Server{
		Endpoint:      "http://" + opts.Addr,
		Addr:          opts.Addr,
		DataDir:       opts.DataDir,
		BootstrapPath: filepath.Join(opts.DataDir, "bootstrap.json"),
		binary:        binary,
		opts:          opts,
		logs:          &syncBuffer{},
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stopping the server: %v", err)
		}
		if s.logs.contains("WARNING: DATA RACE") {
			t.Errorf("the server reported a data race (see its log)")
		}
		if t.Failed() {
			t.Logf("server log (%s):\n%s", s.Endpoint, s.logs.String())
		}
	})
	if err := s.start(); err != nil {
		t.Fatalf("starting the server: %v", err)
	}
	return s
}

func (s *Server) start() error {
	args := []string{"serve", "--addr", s.opts.Addr, "--data-dir", s.opts.DataDir}
	if s.opts.DB != "" {
		args = append(args, "--db", s.opts.DB)
	}
	if s.opts.Region != "" {
		args = append(args, "--region", s.opts.Region)
	}
	if s.opts.PublicURL != "" {
		args = append(args, "--public-url", s.opts.PublicURL)
	}
	args = append(args, s.opts.Args...)

	cmd := exec.Command(s.binary, args...)
	cmd.Env = append(os.Environ(), s.opts.Env...)
	cmd.Stdout = s.logs
	cmd.Stderr = s.logs
	setProcAttr(cmd)
	fmt.Fprintf(s.logs, "=== %s %s\n", filepath.Base(s.binary), strings.Join(redactArgs(args), " "))
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	s.mu.Lock()
	s.cmd, s.exited, s.err, s.ended = cmd, exited, nil, false
	s.mu.Unlock()
	go func() {
		err := cmd.Wait()
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
		close(exited)
	}()
	if err := s.waitReady(exited); err != nil {
		return err
	}
	return s.readBootstrap()
}

// waitReady polls /healthz until it answers 200, the process exits, or the
// ready timeout passes.
func (s *Server) waitReady(exited <-chan struct{}) error {
	deadline := time.Now().Add(s.opts.ReadyTimeout)
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last string
	for {
		resp, err := client.Get(s.Endpoint + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-exited:
			s.mu.Lock()
			err := s.err
			s.mu.Unlock()
			return fmt.Errorf("server exited before it was ready (%v); log:\n%s", err, s.logs.String())
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("GET /healthz not 200 within %v (last: %s); log:\n%s", s.opts.ReadyTimeout, last, s.logs.String())
		}
	}
}

func (s *Server) readBootstrap() error {
	b, err := os.ReadFile(s.BootstrapPath)
	if err != nil {
		return fmt.Errorf("server ready but no bootstrap file: %w", err)
	}
	var boot Bootstrap
	if err := json.Unmarshal(b, &boot); err != nil {
		return fmt.Errorf("bootstrap file: %w", err)
	}
	s.Bootstrap = boot
	return nil
}

// Running reports whether the process is still alive.
func (s *Server) Running() bool {
	s.mu.Lock()
	exited := s.exited
	s.mu.Unlock()
	if exited == nil {
		return false
	}
	select {
	case <-exited:
		return false
	default:
		return true
	}
}

// Kill ends the process with SIGKILL, as a crash would, and waits for it.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.ended = true
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
}

// Stop sends SIGTERM and waits for the process to exit, killing it after a
// grace period. It returns an error unless the process exits with status 0,
// or if it had already exited on its own (a crash). Stopping a server that
// Stop or Kill already ended does nothing.
func (s *Server) Stop() error {
	s.mu.Lock()
	cmd, exited, ended := s.cmd, s.exited, s.ended
	s.ended = true
	s.mu.Unlock()
	if cmd == nil || ended {
		return nil
	}
	select {
	case <-exited:
		s.mu.Lock()
		err := s.err
		s.mu.Unlock()
		return fmt.Errorf("server had exited on its own: %v", err)
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(stopGrace):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		return fmt.Errorf("server did not exit within %v of SIGTERM; killed it", stopGrace)
	}
	s.mu.Lock()
	err := s.err
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("server exit after SIGTERM: %w", err)
	}
	return nil
}

// Restart stops the server if it runs (SIGTERM) and starts it again with
// the same options, data directory and port, waiting until it is ready.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.Stop(); err != nil {
		t.Errorf("restart: %v", err)
	}
	fmt.Fprintf(s.logs, "=== restart\n")
	if err := s.start(); err != nil {
		t.Fatalf("restart: %v", err)
	}
}

// Logs returns everything the server printed so far.
func (s *Server) Logs() string { return s.logs.String() }

// FreeAddr returns a loopback address with a port that was free a moment
// ago. Another process could take it before the server binds it; that is
// rare enough on a test machine to accept.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// SkipOrFail skips the test, or fails it when CI=true, where a missing
// prerequisite means the CI script is broken rather than the machine bare.
func SkipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format+" (CI=true: required)", args...)
	}
	t.Skipf(format, args...)
}

// DefaultPostgres is the PostgreSQL URL used when PARLEY_TEST_POSTGRES is unset.
const DefaultPostgres = "postgres://127.0.0.1:5432/test?sslmode=disable"

// PostgresDB creates a fresh, uniquely named database on the server named by
// PARLEY_TEST_POSTGRES (default [DefaultPostgres]) and returns its URL. The
// database is dropped when the test ends; register it before starting a
// server on it, so the server stops first. An unreachable PostgreSQL skips
// the test, or fails it when CI=true.
func PostgresDB(t testing.TB) string {
	t.Helper()
	base := os.Getenv("PARLEY_TEST_POSTGRES")
	if base == "" {
		base = DefaultPostgres
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("PARLEY_TEST_POSTGRES must be a postgres:// URL, got %q", base)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		SkipOrFail(t, "PostgreSQL unreachable at %s: %v", u.Redacted(), err)
	}
	defer admin.Close(context.Background())

	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		t.Fatalf("random database name: %v", err)
	}
	name := "parley_e2e_" + hex.EncodeToString(rnd[:])
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	db := *u
	db.Path = "/" + name
	return db.String()
}

// redactArgs hides passwords in URLs given on the command line.
func redactArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if u, err := url.Parse(a); err == nil && u.User != nil {
			out[i] = u.Redacted()
		}
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for the process's writers and readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) contains(s string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Contains(b.buf.Bytes(), []byte(s))
}
