package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestMain removes the server binary built for the tests once they ran.
func TestMain(m *testing.M) {
	code := m.Run()
	RemoveBuild()
	os.Exit(code)
}

// chromiumPath is the browser the chatjs tests drive.
const chromiumPath = "/usr/bin/chromium"

// postgresNodeFiles are the node test files also run against PostgreSQL.
var postgresNodeFiles = []string{"sdk.test.mjs", "users.test.mjs", "resources.test.mjs", "agents.test.mjs", "flows.test.mjs", "flowrun.test.mjs"}

// TestNodeClients runs the node test files (*.test.mjs) beside this file
// against a real server: every file against the embedded SQLite mode, and
// the SDK file once more against PostgreSQL. Each file is a subtest that
// fails with node's output when any of its tests fails.
func TestNodeClients(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	if _, err := exec.LookPath("node"); err != nil {
		SkipOrFail(t, "node not installed: %v", err)
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	ensureNodeModules(t, dir)
	files, err := filepath.Glob(filepath.Join(dir, "*.test.mjs"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no *.test.mjs files in %s (err %v)", dir, err)
	}
	sort.Strings(files)
	bin := Build(t)

	t.Run("SQLite", func(t *testing.T) {
		srv := Start(t, bin, Options{})
		for _, f := range files {
			name := filepath.Base(f)
			t.Run(name, func(t *testing.T) {
				if needsBrowser(t, f) {
					if _, err := os.Stat(chromiumPath); err != nil {
						SkipOrFail(t, "%s needs Chromium at %s: %v", name, chromiumPath, err)
					}
				}
				runNode(t, dir, srv, name)
			})
		}
	})

	t.Run("PostgreSQL", func(t *testing.T) {
		db := PostgresDB(t)
		srv := Start(t, bin, Options{DB: db})
		for _, name := range postgresNodeFiles {
			t.Run(name, func(t *testing.T) { runNode(t, dir, srv, name) })
		}
	})
}

// needsBrowser reports whether a test file drives a browser.
func needsBrowser(t *testing.T, path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Contains(b, []byte("playwright-core"))
}

// ensureNodeModules runs `npm ci` when node_modules is missing or older than
// package-lock.json.
func ensureNodeModules(t *testing.T, dir string) {
	t.Helper()
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatalf("package-lock.json: %v", err)
	}
	// npm writes this file last on every install; its age is the install's.
	installed, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json"))
	if err == nil && !lock.ModTime().After(installed.ModTime()) {
		return
	}
	if _, err := exec.LookPath("npm"); err != nil {
		SkipOrFail(t, "node_modules missing and npm not installed: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci: %v\n%s", err, out)
	}
}

// runNode runs one node test file against srv with the spec reporter and
// fails the test with node's output if any node test failed.
func runNode(t *testing.T, dir string, srv *Server, file string) {
	t.Helper()
	timeout := 8 * time.Minute
	if d, ok := t.Deadline(); ok {
		// Leave time to stop the server and report before go test's own deadline.
		if left := time.Until(d) - 30*time.Second; left < timeout {
			timeout = left
		}
	}
	if timeout <= 0 {
		t.Fatalf("no time left to run %s before the go test deadline", file)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "--test", "--test-reporter=spec", "--test-timeout=180000", file)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"PARLEY_ENDPOINT="+srv.Endpoint,
		"PARLEY_BOOTSTRAP="+srv.BootstrapPath,
		"NO_COLOR=1",
		"FORCE_COLOR=0",
	)
	cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("node --test %s: still running after %v, killed; output:\n%s", file, timeout, out)
	}
	if err != nil {
		t.Fatalf("node --test %s failed (%v) after %v; output:\n%s", file, err, time.Since(start).Round(time.Millisecond), out)
	}
	t.Logf("node --test %s passed in %v:\n%s", file, time.Since(start).Round(time.Millisecond), summary(out))
}

// summary keeps the lines of node's closing counts (ℹ tests 12 …).
func summary(out []byte) string {
	var keep []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "ℹ ") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}
