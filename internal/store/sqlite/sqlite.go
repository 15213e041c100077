package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/parley-chat/parley/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// ErrClosed is returned by calls made after Close.
var ErrClosed = errors.New("sqlite: store closed")

// Synchronous modes accepted in Options.Synchronous.
const (
	// SyncNormal survives a killed process but may lose the last commits
	// on power loss or an OS crash. It is the default.
	SyncNormal = "NORMAL"
	// SyncFull fsyncs the WAL on every commit, so commits also survive
	// power loss, at the cost of one fsync per group commit.
	SyncFull = "FULL"
)

// Options tunes Open. The zero value is the default configuration.
type Options struct {
	// Synchronous is SyncNormal (default) or SyncFull.
	Synchronous string
	// MaxBatch caps how many Write calls share one group commit
	// (default 256).
	MaxBatch int
	// ReadConns is the size of the read-only connection pool
	// (default 2×GOMAXPROCS, at least 4).
	ReadConns int
	// BusyTimeoutMS is how long a connection waits for a lock held by
	// another connection (default 5000). Within one process only
	// checkpoints contend, so this matters mostly when an outside tool
	// opens the file.
	BusyTimeoutMS int
}

func (o Options) withDefaults() (Options, error) {
	switch strings.ToUpper(o.Synchronous) {
	case "":
		o.Synchronous = SyncNormal
	case SyncNormal, SyncFull:
		o.Synchronous = strings.ToUpper(o.Synchronous)
	default:
		return o, fmt.Errorf("synchronous %q: want %s or %s", o.Synchronous, SyncNormal, SyncFull)
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 256
	}
	if o.ReadConns <= 0 {
		o.ReadConns = max(4, 2*runtime.GOMAXPROCS(0))
	}
	if o.BusyTimeoutMS <= 0 {
		o.BusyTimeoutMS = 5000
	}
	return o, nil
}

// Store is the SQLite implementation of store.Store. It is safe for
// concurrent use.
type Store struct {
	opts Options

	// writeDB holds exactly one connection, owned by the writer goroutine
	// once Open returns.
	writeDB *sql.DB
	w       *writer

	readDB *sql.DB
	rd     *readStmts

	// mu guards closed against Write calls that are enqueueing, so Close
	// can close the queue without racing a send.
	mu     sync.RWMutex
	closed bool
	done   chan struct{} // closed when the writer goroutine has exited

	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path with the
// default Options, creating its directory if needed, and migrates it to
// the latest schema.
func Open(ctx context.Context, path string) (*Store, error) {
	return OpenWith(ctx, path, Options{})
}

// OpenWith is Open with explicit Options.
func OpenWith(ctx context.Context, path string, opts Options) (*Store, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		// Readers and the writer are separate connections, so they must
		// share a file.
		return nil, fmt.Errorf("open sqlite: need a file path, got %q", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return nil, fmt.Errorf("open sqlite: create directory: %w", err)
	}

	s := &Store{opts: opts, done: make(chan struct{})}
	s.writeDB, err = sql.Open("sqlite", dsn(abs, opts, false))
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	s.writeDB.SetMaxOpenConns(1)
	s.writeDB.SetMaxIdleConns(1)
	s.writeDB.SetConnMaxLifetime(0)
	s.writeDB.SetConnMaxIdleTime(0)

	if err := migrate(ctx, s.writeDB); err != nil {
		s.writeDB.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}

	conn, err := s.writeDB.Conn(ctx)
	if err != nil {
		s.writeDB.Close()
		return nil, fmt.Errorf("open sqlite: write connection: %w", err)
	}
	s.w, err = newWriter(ctx, conn, opts.MaxBatch)
	if err != nil {
		conn.Close()
		s.writeDB.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}

	s.readDB, err = sql.Open("sqlite", dsn(abs, opts, true))
	if err != nil {
		s.w.close()
		s.writeDB.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	s.readDB.SetMaxOpenConns(opts.ReadConns)
	s.readDB.SetMaxIdleConns(opts.ReadConns)
	s.readDB.SetConnMaxLifetime(0)
	s.readDB.SetConnMaxIdleTime(0)
	s.rd, err = prepareReads(ctx, s.readDB)
	if err != nil {
		s.readDB.Close()
		s.w.close()
		s.writeDB.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}

	go func() {
		defer close(s.done)
		s.w.run()
	}()
	return s, nil
}

// dsn builds the connection string. The path goes through a file: URI so
// that characters such as '?' in it cannot be mistaken for parameters.
func dsn(abs string, opts Options, readOnly bool) string {
	u := url.URL{Scheme: "file", OmitHost: true, Path: filepath.ToSlash(abs)}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opts.BusyTimeoutMS))
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		// query_only rather than mode=ro: a read-only open cannot create
		// the WAL index, and this way a stray write fails loudly instead.
		q.Add("_pragma", "query_only(1)")
	} else {
		// journal_mode is persistent in the file; only the writer sets it.
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous("+opts.Synchronous+")")
		q.Add("_pragma", "temp_store(MEMORY)")
	}
	return u.String() + "?" + q.Encode()
}

// migrate brings the schema up to date with the embedded migrations.
func migrate(ctx context.Context, db *sql.DB) error {
	p, err := newMigrator(db)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// newMigrator returns the goose provider of the embedded migrations on
// db; tests use it to stop at a given version.
func newMigrator(db *sql.DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// Close stops accepting writes, lets the writer finish every Write already
// queued, and closes all connections. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.w.reqs)
		s.mu.Unlock()
		<-s.done

		errs := []error{s.rd.close(), s.readDB.Close(), s.w.close(), s.writeDB.Close()}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("close sqlite: %w", err)
		}
	})
	return s.closeErr
}
