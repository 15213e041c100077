// Package testdb gives domain tests real stores and a settable clock:
// every domain test that touches the store runs on SQLite and on
// PostgreSQL (a fresh database on the test server, see e2e.PostgresDB).
package testdb

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/postgres"
	"github.com/parley-chat/parley/internal/store/sqlite"
	"github.com/parley-chat/parley/test/e2e"
)

// Driver opens a fresh, empty store of one kind for a test.
type Driver struct {
	Name string
	Open func(t testing.TB) store.Store
}

// Drivers are SQLite (in the test's temporary directory) and PostgreSQL.
var Drivers = []Driver{
	{"sqlite", func(t testing.TB) store.Store {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "parley.db"))
		if err != nil {
			t.Fatalf("open sqlite: %v", err)
		}
		return st
	}},
	{"postgres", func(t testing.TB) store.Store {
		st, err := postgres.Open(context.Background(), e2e.PostgresDB(t))
		if err != nil {
			t.Fatalf("open postgres: %v", err)
		}
		return st
	}},
}

// Clock is a settable clock, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
