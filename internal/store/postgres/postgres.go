// Package postgres is the scale-out driver of Parley's store port: every
// node of a cluster opens the same PostgreSQL database and the database
// alone decides who wins a race.
//
// # Per-contact serialisation
//
// Each Store.Write is one READ COMMITTED transaction. Tx.LockContact is a
// SELECT ... FOR UPDATE on the contact's row, so two nodes handling events
// of the same contact queue up behind one row lock while other contacts
// proceed in parallel. Tx.AppendItem bumps contacts.last_seq with an UPDATE
// (which takes the same row lock) and inserts the item in the same
// statement: the lock, not a global sequence, makes item sequences strictly
// increasing and gap-free per contact, and a rolled-back append rolls back
// its sequence number with it.
//
// # Routing
//
// Tx.LockRouting takes a transaction-level advisory lock keyed by the
// schema and the instance ID, so routing decisions of one instance (which
// read many agents and queued contacts, then change a few) run one at a
// time across all nodes, while other instances route in parallel. Single
// routing records read inside a Tx are also locked FOR UPDATE.
//
// # Durable timers
//
// Store.ClaimTimers marks due timers as claimed in one UPDATE whose
// candidate rows come from a SELECT ... FOR UPDATE SKIP LOCKED: nodes that
// poll at the same moment skip each other's rows instead of waiting on
// them, and a row committed as claimed by one node no longer matches the
// others' re-checked WHERE clause. A claim is a lease (claimed_until), so
// the timers of a node that died are claimed again once the lease lapses.
//
// # Errors and retries
//
// Expected outcomes (a duplicate key, a missing row) are detected without
// raising a database error where possible (ON CONFLICT DO NOTHING, row
// counts), because a failed statement aborts a PostgreSQL transaction and
// the caller may want to carry on, as it can with the embedded driver.
// Write retries the whole function on serialization_failure and
// deadlock_detected, which READ COMMITTED can still produce when two
// transactions lock the same rows in opposite orders.
//
// # Schema and migrations
//
// The schema lives in numbered SQL files embedded in the binary and is
// applied by Open with goose. Nodes that start together take a session
// advisory lock keyed by the current schema first, so exactly one of them
// migrates and the others wait and then find nothing to do. All tables are
// created in the connection's current schema (search_path), which lets one
// database hold several isolated deployments.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/parley-chat/parley/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// maxAttempts bounds how often Write runs fn when the database reports a
// serialisation failure or deadlock; such conflicts clear within a retry
// or two, so a higher number would only hide a real livelock.
const maxAttempts = 5

// Store is a store.Store backed by a PostgreSQL connection pool. It is safe
// for concurrent use, and any number of Stores (on any number of nodes) may
// share one database.
type Store struct {
	pool *pgxpool.Pool
}

var _ store.Store = (*Store)(nil)

// defaultPoolSize is the least number of connections a node keeps open.
const defaultPoolSize = 16

// Open connects to the database at url (a libpq URL or key=value string;
// pool_max_conns and runtime parameters such as search_path are honoured),
// applies pending migrations and returns the store.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse url: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		// pgx's default (the number of CPUs, at least 4) starves a server
		// whose transactions mostly wait on the database and on each other
		// (routing serialises on a lock): measured on 2 CPUs, p99 offer
		// latency at 200 chats/s fell from 209 to 86 ms with 16.
		cfg.MaxConns = max(defaultPoolSize, 4*int32(runtime.NumCPU()))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{pool: pool}, nil
}

// migrate applies the embedded migrations while holding a session advisory
// lock, so that nodes starting at once do not run the same DDL twice. The
// lock key includes the schema name: deployments in different schemas of
// one database migrate independently. The lock lives on a connection of
// its own, outside the pool, so that even a pool of one connection is left
// for goose, and so that closing it is enough to release the lock whatever
// happened.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	lockConn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("postgres: migrate: connect: %w", err)
	}
	defer func() {
		// A fresh context: the session must end even if ctx was
		// cancelled, or the lock would outlive this call.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = lockConn.Close(cctx)
	}()
	// pg_advisory_lock waits in the server, without polling; cancelling
	// ctx cancels the wait.
	if _, err := lockConn.Exec(ctx,
		`SELECT pg_advisory_lock(hashtextextended('parley.migrate.' || current_schema(), 0))`); err != nil {
		return fmt.Errorf("postgres: migrate: lock: %w", err)
	}

	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := newMigrator(db)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

// newMigrator returns the goose provider of the embedded migrations on
// db; tests use it to stop at a given version.
func newMigrator(db *sql.DB) (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithDisableGlobalRegistry(true))
}

// Close closes every connection of the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Write runs fn in one transaction, see store.Store. It retries fn on
// serialisation failures and deadlocks, up to maxAttempts times in all.
func (s *Store) Write(ctx context.Context, fn func(tx store.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.writeOnce(ctx, fn)
		if err == nil || attempt == maxAttempts || !retryable(err) {
			return err
		}
		// A short random pause keeps the two losers of a deadlock from
		// colliding again in lock step.
		pause := time.Duration(rand.Int64N(int64(attempt) * int64(5*time.Millisecond)))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
	}
}

func (s *Store) writeOnce(ctx context.Context, fn func(tx store.Tx) error) error {
	ptx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	// After a successful Commit this is a no-op; otherwise it discards
	// everything fn did, including after a panic.
	defer func() { _ = ptx.Rollback(context.WithoutCancel(ctx)) }()

	if err := fn(&tx{ctx: ctx, tx: ptx}); err != nil {
		return err
	}
	if err := ptx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

// retryable reports whether err comes from a conflict that a fresh run of
// the transaction can resolve.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	return pgErr.Code == "40001" || pgErr.Code == "40P01" // serialization_failure, deadlock_detected
}

// wrap names the failed operation and maps PostgreSQL outcomes onto the
// store's sentinels, keeping the original error in the chain so that
// retryable still sees the SQLSTATE.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: %s: %w", op, store.ErrNotFound)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" { // unique_violation
		return fmt.Errorf("postgres: %s: %w: %w", op, store.ErrDuplicate, err)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// notFound is the error for an update or lookup that matched no row.
func notFound(op string) error {
	return fmt.Errorf("postgres: %s: %w", op, store.ErrNotFound)
}

// duplicate is the error for an insert that ON CONFLICT DO NOTHING skipped.
func duplicate(op string) error {
	return fmt.Errorf("postgres: %s: %w", op, store.ErrDuplicate)
}
