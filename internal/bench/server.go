package bench

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
	"time"

	"github.com/jackc/pgx/v5"
)

// Bootstrap is the part of a server's bootstrap.json the benchmark needs.
type Bootstrap struct {
	InstanceID      string `json:"instanceId"`
	Region          string `json:"region"`
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	InboundFlowID   string `json:"inboundFlowId"`
}

// ReadBootstrap reads and checks a bootstrap.json file.
func ReadBootstrap(path string) (Bootstrap, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Bootstrap{}, fmt.Errorf("read bootstrap: %w", err)
	}
	var b Bootstrap
	if err := json.Unmarshal(raw, &b); err != nil {
		return Bootstrap{}, fmt.Errorf("parse bootstrap %s: %w", path, err)
	}
	if b.InstanceID == "" || b.AccessKeyID == "" || b.SecretAccessKey == "" || b.InboundFlowID == "" || b.Region == "" {
		return Bootstrap{}, fmt.Errorf("bootstrap %s: instanceId, region, accessKeyId, secretAccessKey and inboundFlowId are required", path)
	}
	return b, nil
}

// readyTimeout bounds the wait for a child server's /healthz (migrations
// on a fresh PostgreSQL database included).
const readyTimeout = 60 * time.Second

// stopGrace is how long a child gets after SIGTERM before it is killed.
const stopGrace = 10 * time.Second

// child is a server process the benchmark started and owns.
type child struct {
	cmd      *exec.Cmd
	endpoint string
	args     []string // the serve command line
	dataDir  string
	boot     Bootstrap
	logs     *tailBuffer
	exited   chan struct{}
	waitErr  error
	dropDB   func(context.Context) error // nil unless a database was created
	stopOnce sync.Once
	stopErr  error
}

// startChild runs `<command> serve` on a free loopback port with a fresh
// data directory (and, for PostgreSQL, a fresh database), waits until it
// answers /healthz and reads its bootstrap.json.
func startChild(ctx context.Context, command []string, db string, logOut *tailBuffer) (_ *child, err error) {
	if len(command) == 0 {
		return nil, errors.New("start server: no server command")
	}
	dataDir, err := os.MkdirTemp("", "parley-bench-")
	if err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	c := &child{dataDir: dataDir, logs: logOut}
	defer func() {
		if err != nil {
			c.stop(context.WithoutCancel(ctx))
		}
	}()
	if db == "" {
		db = "sqlite"
	}
	if isPostgres(db) {
		dbURL, drop, err := createDatabase(ctx, db)
		if err != nil {
			return c, err
		}
		c.dropDB = drop
		db = dbURL
	}
	addr, err := freeAddr()
	if err != nil {
		return c, err
	}
	c.endpoint = "http://" + addr
	c.args = append(append([]string(nil), command...),
		"serve", "--addr", addr, "--data-dir", dataDir, "--db", db, "--log-level", "warn")
	if err := c.launch(ctx); err != nil {
		return c, err
	}
	c.boot, err = ReadBootstrap(filepath.Join(dataDir, "bootstrap.json"))
	if err != nil {
		return c, err
	}
	// Start again on the bootstrapped data, as a server normally runs: the
	// first start hashed the admin password with argon2id (64 MiB), and a
	// process that has just freed that much memory reports an RSS that
	// hides what the chats cost.
	if err := c.terminate(); err != nil {
		return c, err
	}
	if err := c.launch(ctx); err != nil {
		return c, err
	}
	return c, nil
}

// launch starts the child process and waits until it is ready.
func (c *child) launch(ctx context.Context) error {
	c.cmd = exec.Command(c.args[0], c.args[1:]...)
	c.cmd.Stdout = c.logs
	c.cmd.Stderr = c.logs
	setProcAttr(c.cmd)
	exited := make(chan struct{})
	c.exited = exited
	if err := c.cmd.Start(); err != nil {
		close(exited)
		return fmt.Errorf("start server: %w", err)
	}
	cmd := c.cmd
	go func() {
		c.waitErr = cmd.Wait()
		close(exited)
	}()
	return c.waitReady(ctx)
}

// terminate stops the running child with SIGTERM and waits for it.
func (c *child) terminate() error {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
		return nil
	case <-time.After(stopGrace):
		_ = c.cmd.Process.Kill()
		<-c.exited
		return fmt.Errorf("server did not exit within %v of SIGTERM; killed it", stopGrace)
	}
}

// pid returns the child's process ID.
func (c *child) pid() int { return c.cmd.Process.Pid }

// alive reports whether the child has not exited.
func (c *child) alive() bool {
	select {
	case <-c.exited:
		return false
	default:
		return true
	}
}

func (c *child) waitReady(ctx context.Context) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(readyTimeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	last := ""
	for {
		resp, err := hc.Get(c.endpoint + "/healthz")
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
		case <-ctx.Done():
			return fmt.Errorf("wait for server: %w", ctx.Err())
		case <-c.exited:
			return fmt.Errorf("server exited before it was ready (%v); its log ends:\n%s", c.waitErr, c.logs.String())
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server not ready within %v (last: %s); its log ends:\n%s", readyTimeout, last, c.logs.String())
		}
	}
}

// stop ends the child (SIGTERM, then SIGKILL after a grace period), drops
// its database and removes its data directory. It is safe to call twice.
func (c *child) stop(ctx context.Context) error {
	c.stopOnce.Do(func() {
		var errs []error
		if c.cmd != nil && c.cmd.Process != nil {
			if err := c.terminate(); err != nil {
				errs = append(errs, err)
			}
		}
		if c.dropDB != nil {
			if err := c.dropDB(ctx); err != nil {
				errs = append(errs, err)
			}
		}
		if err := os.RemoveAll(c.dataDir); err != nil {
			errs = append(errs, fmt.Errorf("remove data dir: %w", err))
		}
		c.stopErr = errors.Join(errs...)
	})
	return c.stopErr
}

func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// createDatabase creates a uniquely named database on the server that
// base names and returns its URL and a function that drops it.
func createDatabase(ctx context.Context, base string) (string, func(context.Context) error, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, fmt.Errorf("--db: %w", err)
	}
	// The administrative connection is a plain one: drop the pool
	// settings (pool_max_conns, ...) meant for the server's pgxpool.
	adminURL := *u
	q := adminURL.Query()
	for k := range q {
		if strings.HasPrefix(k, "pool_") {
			q.Del(k)
		}
	}
	adminURL.RawQuery = q.Encode()
	base = adminURL.String()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	admin, err := pgx.Connect(cctx, base)
	if err != nil {
		return "", nil, fmt.Errorf("connect to postgres %s: %w", u.Redacted(), err)
	}
	defer admin.Close(context.WithoutCancel(ctx))
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", nil, fmt.Errorf("random database name: %w", err)
	}
	name := "parley_bench_" + hex.EncodeToString(rnd[:])
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := admin.Exec(cctx, "CREATE DATABASE "+ident); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	drop := func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		defer conn.Close(context.WithoutCancel(ctx))
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		return nil
	}
	db := *u
	db.Path = "/" + name
	return db.String(), drop, nil
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr, nil
}

// tailBuffer keeps the last part of what a child prints, for error
// messages, and optionally copies everything to another writer.
type tailBuffer struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	copy interface{ Write([]byte) (int, error) }
}

const tailMax = 16 << 10

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.copy != nil {
		_, _ = b.copy.Write(p)
	}
	b.buf.Write(p)
	if b.buf.Len() > 2*tailMax {
		keep := b.buf.Bytes()[b.buf.Len()-tailMax:]
		b.buf = *bytes.NewBuffer(append([]byte(nil), keep...))
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if len(s) > tailMax {
		s = s[len(s)-tailMax:]
	}
	return s
}
