package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
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
//
// Each node process gets the server in its environment: PARLEY_ENDPOINT
// (its base URL), PARLEY_BOOTSTRAP (its bootstrap.json) and PARLEY_CONTROL,
// the base URL of a control endpoint for what only the Go side can do to
// the server process (see [controlServer]). Files that do not need it
// ignore it.
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
		control := controlServer(t, srv)
		for _, f := range files {
			name := filepath.Base(f)
			t.Run(name, func(t *testing.T) {
				if needsBrowser(t, f) {
					if _, err := os.Stat(chromiumPath); err != nil {
						SkipOrFail(t, "%s needs Chromium at %s: %v", name, chromiumPath, err)
					}
				}
				runNode(t, dir, srv, control, name)
			})
		}
	})

	t.Run("PostgreSQL", func(t *testing.T) {
		db := PostgresDB(t)
		srv := Start(t, bin, Options{DB: db})
		control := controlServer(t, srv)
		for _, name := range postgresNodeFiles {
			t.Run(name, func(t *testing.T) { runNode(t, dir, srv, control, name) })
		}
	})
}

// controlServer serves, on a loopback port of its own until the test ends,
// the control endpoint the node tests reach at PARLEY_CONTROL:
//
//	POST /restart            kills the server (SIGKILL, as a crash would) and
//	                         starts it again on the same data directory and port
//	POST /restart?mode=term  the same after a graceful stop (SIGTERM)
//
// It answers 200 {"endpoint": ...} once the server is ready again (the
// endpoint does not change, so browsers and clients keep their URLs), 405
// to another method, 400 to another mode, and 500 with the reason when the
// server does not come back, which also fails the Go test. Requests are
// served one at a time.
func controlServer(t *testing.T, srv *Server) string {
	t.Helper()
	var mu sync.Mutex
	mux := http.NewServeMux()
	mux.HandleFunc("/restart", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		mode := r.URL.Query().Get("mode")
		if mode != "" && mode != "kill" && mode != "term" {
			http.Error(w, "mode must be kill or term", http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		// Not srv.Restart: it may call t.Fatal, which must not run on this goroutine.
		var err error
		if mode == "term" {
			err = srv.Stop()
		} else {
			srv.Kill()
		}
		if err == nil {
			fmt.Fprintf(srv.logs, "=== restart (control endpoint, mode %q)\n", mode)
			err = srv.start()
		}
		if err != nil {
			t.Errorf("control endpoint: restart: %v", err)
			http.Error(w, "restart: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("content-type", "application/json")
		fmt.Fprintf(w, "{\"endpoint\":%q}\n", srv.Endpoint)
	})
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return hs.URL
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
func runNode(t *testing.T, dir string, srv *Server, control, file string) {
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
		"PARLEY_CONTROL="+control,
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

// summary keeps the lines of node's closing counts (ℹ tests 12 …) and the
// measurements a file prints (uiperf: …).
func summary(out []byte) string {
	var keep []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "ℹ ") || strings.HasPrefix(line, "uiperf: ") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}
